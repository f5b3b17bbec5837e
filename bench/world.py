"""Build what the benchmarks measure: a hub, its tenants (through the real services) and bulk audit events.

Tenants, credentials, grants and sync accounts go through :mod:`hub.tenants.service` and
:mod:`hub.sync.accounts` like the demo does; the millions of ``tenant_audit_events`` rows of the
dashboard benchmarks are written straight through the driver (``COPY`` on PostgreSQL, ``executemany``
on SQLite) in batches, since that is set-up, not what is measured; the dashboard's filter choices of
those tenants are then rebuilt from them in the same transaction.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from hub.accounts.models import AgentGroup, Hub, Role, User
from hub.accounts.service import create_user
from hub.extensions import db
from hub.sync.accounts import set_sync_account
from hub.sync.choices import rebuild_choices
from hub.tenants import service as tenants
from hub.tenants.models import PermissionLevel, Tenant
from tenant_connectors.sandbox.seed_bulk import FULL_PASSWORD

LEVELS = ("Billing - Full", "Billing - Read only")
#: the sandbox's service Restricted account (seeded by ``seed_bulk``)
SYNC_RESTRICTED = ("acme.alice", "alice-Passw0rd!")
AGENT_PASSWORD = "bench-agent-Passw0rd!"
BATCH = 20_000
#: the audit-event columns the bulk writer fills, in order
EVENT_COLUMNS = (
    "hub_id", "tenant_id", "remote_event_id", "occurred_at", "action", "entity_type", "entity_id", "user_id",
    "user_name", "user_type", "on_behalf_of_user_id", "on_behalf_of_name", "billing_company_id",
    "billing_company_name", "proxy", "ip_address", "source_port", "platform", "os", "detail", "pulled_at",
)
ACTIONS = ("view", "view", "view", "view", "update", "update", "create", "login", "logout", "login_failed",
           "delete", "export")
ENTITY_TYPES = ("client", "client", "client", "client_payer", "payer", "authorization", "session")


def make_hub(slug: str = "bench") -> Hub:
    """A hub of the billing company ``acme`` (flushed)."""
    hub = Hub(slug=slug, name=f"Bench hub {slug}", billing_company_ref="acme")
    db.session.add(hub)
    db.session.flush()
    return hub


def add_tenant(hub: Hub, name: str, base_url: str) -> tuple[Tenant, dict[str, PermissionLevel]]:
    """A tenant with the two Billing permission levels (through the tenant service)."""
    tenant = tenants.create_tenant(hub=hub, name=name, base_url=base_url, actor=None, permission_levels=LEVELS)
    levels = {lv.name: lv for lv in db.session.scalars(
        select(PermissionLevel).where(PermissionLevel.tenant_id == tenant.id))}
    return tenant, levels


def add_sync_tenants(hub: Hub, sandbox_root: str, slugs: Sequence[str]) -> list[Tenant]:
    """Hub tenants for bulk-seeded sandbox tenants, each with its Full credential and sync account; commits."""
    made = []
    for slug in slugs:
        tenant, levels = add_tenant(hub, slug, f"{sandbox_root}/t/{slug}/api/v1")
        number = slug.rsplit("-", 1)[1]
        credential = tenants.store_credential(
            tenant=tenant, permission_level=levels[LEVELS[0]], label="ACME Billing (full)",
            remote_user_id=f"t{number}-acme-full", secret=FULL_PASSWORD, actor=None)
        set_sync_account(tenant=tenant, credential=credential, restricted_user_id=SYNC_RESTRICTED[0],
                         restricted_secret=SYNC_RESTRICTED[1], actor_label="bench")
        made.append(tenant)
    db.session.commit()
    return made


def add_agent_world(hub: Hub, *, tenant_count: int, agents: int) -> tuple[list[Tenant], list[User]]:
    """``tenant_count`` tenants all granted (Full) to one group holding ``agents`` agents; commits."""
    members = [
        create_user(email=f"agent{n}@bench.example", display_name=f"Agent {n}", role=Role.AGENT,
                    password=AGENT_PASSWORD, actor=None, hub=hub, restricted_user_id=f"acme.agent{n}")
        for n in range(1, agents + 1)
    ]
    group = AgentGroup(hub_id=hub.id, name="Everyone", members=members)
    db.session.add(group)
    db.session.flush()
    made = []
    for n in range(1, tenant_count + 1):
        tenant, levels = add_tenant(hub, f"Tenant {n:04d} Clinic", f"http://127.0.0.1:9/t/tenant-{n:04d}/api/v1")
        tenants.grant_access(permission_level=levels[LEVELS[0]], actor=None, group=group)
        made.append(tenant)
        if n % 200 == 0:
            db.session.commit()
    db.session.commit()
    return made, members


@dataclass(frozen=True, slots=True)
class EventShape:
    """How bulk events spread: over tenants (skewed), staff members, Billing users and months."""

    staff: int = 30
    months: int = 12
    end: datetime = datetime(2026, 6, 1, tzinfo=UTC)
    seed: int = 7

    def staff_id(self, n: int) -> str:
        """The Restricted user id of staff member ``n`` (0-based)."""
        return f"acme.staff{n:02d}"


def generate_events(hub_id: int, tenant_ids: Sequence[int], count: int, shape: EventShape) -> Iterator[tuple[Any, ...]]:
    """``count`` event rows in :data:`EVENT_COLUMNS` order, deterministic for ``shape.seed``.

    Tenant sizes follow a 1/rank (Zipf-like) weighting; 70 % of events are the billing company's staff
    acting through the tenant's Full or Read-only Billing user, the rest the clinic's own users.
    """
    rng = random.Random(shape.seed)
    weights = [1 / (rank + 1) for rank in range(len(tenant_ids))]
    span = shape.months * 30 * 86400
    start = shape.end - timedelta(seconds=span)
    pulled = shape.end
    picks = rng.choices(range(len(tenant_ids)), weights=weights, k=count)
    for n, index in enumerate(picks):
        tenant_id = tenant_ids[index]
        moment = start + timedelta(seconds=rng.random() * span)
        third_party = rng.random() < 0.7
        if third_party:
            staff = rng.randrange(shape.staff)
            level = "full" if rng.random() < 0.8 else "readonly"
            user = (f"t{index + 1:04d}-acme-{level}", f"ACME Billing ({level})", "billing")
            behalf = (shape.staff_id(staff), f"Staff {staff:02d}")
            company = ("acme", "ACME Billing")
        else:
            clinic = rng.randrange(8)
            user = (f"t{index + 1:04d}-clinic{clinic}", f"Clinic user {clinic}", "standard")
            behalf = (None, None)
            company = (None, None)
        entity_type = rng.choice(ENTITY_TYPES)
        yield (
            hub_id, tenant_id, str(n + 1), moment, rng.choice(ACTIONS), entity_type, str(rng.randrange(1, 400)),
            user[0], user[1], user[2], behalf[0], behalf[1], company[0], company[1], third_party,
            f"10.{index % 250}.{rng.randrange(250)}.{rng.randrange(1, 250)}", 40000 + n % 20000, "Chrome",
            "Windows 10", None, pulled,
        )


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite form
    if isinstance(value, bool):
        return int(value)
    return value


def bulk_insert_events(engine: Engine, rows: Iterator[tuple[Any, ...]], *, batch: int = BATCH) -> int:
    """Write event rows in batches (COPY on PostgreSQL, executemany on SQLite); how many were written.

    The rows bypass the sync, so the dashboard's filter choices of their tenants are rebuilt in the
    same transaction (:func:`hub.sync.choices.rebuild_choices`).
    """
    written = 0
    tenant_ids: set[int] = set()
    columns = ", ".join(EVENT_COLUMNS)
    tenant_column = EVENT_COLUMNS.index("tenant_id")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY tenant_audit_events ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    tenant_ids.add(row[tenant_column])
                    written += 1
            rebuild_choices(tenant_ids, connection=conn)
            return written
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        sql = f"INSERT INTO tenant_audit_events ({columns}) VALUES ({marks})"
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(tuple(_sqlite_value(v) for v in row))
            tenant_ids.add(row[tenant_column])
            if len(chunk) >= batch:
                conn.exec_driver_sql(sql, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            conn.exec_driver_sql(sql, chunk)
            written += len(chunk)
        rebuild_choices(tenant_ids, connection=conn)
    return written


def analyze(engine: Engine) -> None:
    """Refresh planner statistics after a bulk load (what autovacuum would do a bit later)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
