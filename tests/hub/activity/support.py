"""Helpers of the activity tests: bulk-insert synced events and read them back directly."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from hub.extensions import db
from hub.sync.choices import rebuild_choices
from hub.sync.models import TenantAuditEvent as Event
from hub.tenants.models import Tenant

_seq = itertools.count(1)
BASE_TIME = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
STAFF = (("acme.alice", "Alice Archer"), ("acme.bob", "Bob Baker"), ("acme.dan", "Dan Doe"), (None, None))
USERS = (("gt-acme-full", "ACME Billing (full)", "billing"),
         ("gt-acme-readonly", "ACME Billing (read only)", "billing"),
         ("gt.admin", "Gina Admin", "standard"))
ACTIONS = ("login", "proxy_login", "view", "update", "logout")
ENTITIES = ((None, None), ("client", "17"), ("client", "18"), ("client_payer", "5"))


def event_row(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    """One ``tenant_audit_events`` row of ``tenant`` (defaults for what the test does not care about)."""
    n = next(_seq)
    row = {
        "hub_id": tenant.hub_id, "tenant_id": tenant.id, "remote_event_id": f"r{n}",
        "occurred_at": BASE_TIME + timedelta(minutes=n), "action": "view", "entity_type": None, "entity_id": None,
        "user_id": "gt-acme-full", "user_name": "ACME Billing (full)", "user_type": "billing",
        "on_behalf_of_user_id": "acme.alice", "on_behalf_of_name": "Alice Archer",
        "billing_company_id": "acme", "billing_company_name": "ACME Billing", "proxy": True,
        "ip_address": "10.1.2.3", "source_port": 50000 + n % 1000, "platform": "Chrome", "os": "Linux",
        "detail": None, "pulled_at": BASE_TIME,
    }
    row.update(fields)
    return row


def varied_rows(tenants: Sequence[Tenant], count: int, *, start: datetime = BASE_TIME,
                step_minutes: int = 37, ties: int = 4) -> list[dict[str, Any]]:
    """``count`` rows spread over tenants, staff, users, actions and entities; ``ties`` rows share each time."""
    rng = random.Random(count)  # varied but repeatable
    rows = []
    for i in range(count):
        staff_id, staff_name = rng.choice(STAFF)
        user_id, user_name, user_type = rng.choice(USERS)
        entity_type, entity_id = rng.choice(ENTITIES)
        third_party = user_type == "billing"
        rows.append(event_row(
            tenants[i % len(tenants)],
            occurred_at=start + timedelta(minutes=step_minutes * (i // ties)),
            action=rng.choice(ACTIONS), entity_type=entity_type, entity_id=entity_id,
            user_id=user_id, user_name=user_name, user_type=user_type,
            on_behalf_of_user_id=staff_id if third_party else None,
            on_behalf_of_name=staff_name if third_party else None, proxy=third_party and staff_id is not None,
            billing_company_id="acme" if third_party else None,
            billing_company_name="ACME Billing" if third_party else None,
        ))
    return rows


def insert_rows(rows: Iterable[dict[str, Any]]) -> None:
    """Bulk insert (around the sync, so the filter's choices of those tenants are rebuilt) and commit."""
    rows = list(rows)
    if rows:
        db.session.execute(insert(Event), rows)
        rebuild_choices({r["tenant_id"] for r in rows})
    db.session.commit()


def ids_where(*clauses: Any) -> list[int]:
    """Event ids matching ``clauses``, newest first: the reference the pages are compared with."""
    stmt = select(Event.id).where(*clauses).order_by(Event.occurred_at.desc(), Event.id.desc())
    return list(db.session.scalars(stmt))


def grouped_staff_choices(scope: Any) -> list[tuple[str, str]]:
    """The staff select as the dashboard first built it: a GROUP BY over every event of the scope.

    The reference the ``activity_choices`` side table is compared with.
    """
    stmt = (
        select(Event.on_behalf_of_user_id, func.max(Event.on_behalf_of_name))
        .where(*scope.clauses(), Event.on_behalf_of_user_id.is_not(None))
        .group_by(Event.on_behalf_of_user_id).order_by(Event.on_behalf_of_user_id)
    )
    return [(staff_id, name or staff_id) for staff_id, name in db.session.execute(stmt)]


def grouped_values(scope: Any, column_name: str) -> list[str]:
    """The action / entity type select as first built: distinct values grouped from the events (reference)."""
    column = {"action": Event.action, "entity_type": Event.entity_type}[column_name]
    stmt = select(column).where(*scope.clauses(), column.is_not(None)).group_by(column).order_by(column)
    return list(db.session.scalars(stmt))


def sandbox_tenant(sandbox: Any, hub: Any, *, slug: str = "good-therapy", name: str | None = None,
                   sync_account: bool = True) -> Tenant:
    """A hub tenant on the sandbox's ``slug`` with its Full Billing credential and sync account (committed)."""
    from hub.sync.accounts import set_sync_account
    from tests import factories

    world = sandbox.world
    billing = world.billing_full if slug == "good-therapy" else world.cw_billing_full
    tenant = factories.make_tenant(hub, name=name or slug, base_url=sandbox.tenant_url(slug))
    credential = factories.make_credential(tenant, "Full", remote_user_id=billing[0], secret=billing[1])
    if sync_account:
        set_sync_account(tenant=tenant, credential=credential, restricted_user_id=world.restricted_alice[0],
                         restricted_secret=world.restricted_alice[1])
    db.session.commit()
    return tenant
