"""Sync fixtures: bulk-seeded sandbox tenants, mirrored as hub tenants with sync accounts."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from hub.extensions import db
from hub.sync import service
from hub.sync.accounts import set_sync_account
from hub.sync.models import TenantAuditEvent
from hub.sync.service import SYNC_CLIENT
from hub.tenants.models import Tenant
from tenant_connectors.sandbox import clock as sandbox_clock
from tenant_connectors.sandbox.models import AuditRow, Company
from tenant_connectors.sandbox.seed_bulk import FULL_PASSWORD, seed_tenants
from tenant_connectors.sandbox.testing import SandboxServer
from tests import factories
from tests.hub.conftest import TEST_CONFIG, TEST_VAULT_KEYS

RESTRICTED_USER, RESTRICTED_PASSWORD = "acme.alice", "alice-Passw0rd!"
#: small bounds so that a slow or hanging tenant fails fast (the fault tests switch to them)
FAST_TIMEOUTS = {"TENANT_CONNECT_TIMEOUT": 1.0, "TENANT_READ_TIMEOUT": 1.0, "TENANT_TOTAL_TIMEOUT": 2.5}
#: bounds for the tests about healthy tenants: generous, so a loaded test machine cannot time a call out
#: (a timed-out call the tenant did serve would add an audit row and upset exact counts)
SAFE_TIMEOUTS = {"TENANT_CONNECT_TIMEOUT": 2.0, "TENANT_READ_TIMEOUT": 5.0, "TENANT_TOTAL_TIMEOUT": 10.0}


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``flask hub sync`` worker process on ``database_url`` (test keys, safe
    timeouts), plus ``extra`` ``HUB_*`` settings."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "HUB_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "HUB_VAULT_KEYS": TEST_VAULT_KEYS,
        **{f"HUB_{name}": str(value) for name, value in SAFE_TIMEOUTS.items()},
        **extra,
    }
#: the tests re-sync at once (production waits SYNC_MIN_INTERVAL_SECONDS after a success), and count the
#: tenant's rows exactly: no scheduled seat check adds its own logins (tests/hub/sync/test_seat_checks.py)
SYNC_TEST_CONFIG = {**SAFE_TIMEOUTS, "SYNC_MIN_INTERVAL_SECONDS": 0, "SEAT_CHECK_INTERVAL_HOURS": 0}
#: the tenant rows of a seat check the sync ran after its last read: login, secondary login, list, logout
SEAT_CHECK_ROWS = 4


@dataclass
class SyncWorld:
    """A sandbox with ``slugs`` seeded and their hub tenants (``tenants[slug]``) ready to sync."""

    server: SandboxServer
    slugs: list[str]
    tenants: dict[str, Tenant]
    events_per_tenant: int

    def tenant_event_ids(self, slug: str) -> list[str]:
        """Every audit row id of a sandbox tenant, read straight from the sandbox database."""
        return sandbox_event_ids(self.server.database_url, slug)

    def assert_exact(self, slug: str) -> list[str]:
        """The hub holds exactly the tenant's events up to the last page it read, each once.

        Returns the tenant's rows the hub does not hold: only the sync's own final ``GET /audit`` and
        logout may come after the last page it read (they are picked up by the next run), and the calls
        of a seat check the worker ran before releasing the tenant — all made by the sync worker.
        """
        stored = stored_event_ids(self.tenants[slug].id)
        remote = self.tenant_event_ids(slug)
        assert len(stored) == len(set(stored)), "an event was stored twice"
        assert sorted(stored, key=int) == remote[: len(stored)], "stored events differ from the tenant's"
        tail = remote[len(stored):]
        assert len(tail) <= 2 + SEAT_CHECK_ROWS, f"events left behind: {tail} {self.describe(tail)}"
        if len(tail) > 2:
            assert set(self.platforms(tail)) == {SYNC_CLIENT.platform}, f"events left behind: {self.describe(tail)}"
        return tail

    def _audit_rows(self, ids: list[str]) -> list[AuditRow]:
        """The sandbox audit rows ``ids`` (detached, their columns loaded)."""
        engine = create_engine(self.server.database_url)
        try:
            with Session(engine) as s:
                rows = list(s.scalars(select(AuditRow).where(AuditRow.id.in_([int(i) for i in ids]))))
                s.expunge_all()
                return rows
        finally:
            engine.dispose()

    def platforms(self, ids: list[str]) -> list[str | None]:
        """The client platform of sandbox audit rows (the sync worker names itself)."""
        return [r.platform for r in self._audit_rows(ids)]

    def describe(self, ids: list[str]) -> list[tuple[str, str | None, str | None]]:
        """(action, entity type, user) of sandbox audit rows, for failure messages."""
        return [(r.action, r.entity_type, r.user_id) for r in self._audit_rows(ids)]


def sandbox_event_ids(database_url: str, slug: str) -> list[str]:
    """The sandbox tenant's audit row ids, oldest first."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as s:
            company_id = s.scalar(select(Company.id).where(Company.slug == slug))
            rows = s.scalars(select(AuditRow.id).where(AuditRow.company_id == company_id).order_by(AuditRow.id))
            return [str(r) for r in rows]
    finally:
        engine.dispose()


def stored_event_ids(tenant_id: int) -> list[str]:
    """The hub's copy of a tenant's events (remote ids, duplicates kept so a test can see them)."""
    db.session.expire_all()
    return list(db.session.scalars(select(TenantAuditEvent.remote_event_id).where(
        TenantAuditEvent.tenant_id == tenant_id)))


def add_hub_tenants(server: SandboxServer, slugs: list[str], *, hub: object | None = None) -> dict[str, Tenant]:
    """Hub tenants pointing at the sandbox, each with its Full credential and sync account (committed)."""
    hub = hub or factories.make_hub()
    tenants = {}
    for slug in slugs:
        tenant = factories.make_tenant(hub, name=slug, base_url=server.tenant_url(slug))
        number = slug.rsplit("-", 1)[1]
        credential = factories.make_credential(tenant, "Full", remote_user_id=f"t{number}-acme-full",
                                               secret=FULL_PASSWORD)
        set_sync_account(tenant=tenant, credential=credential, restricted_user_id=RESTRICTED_USER,
                         restricted_secret=RESTRICTED_PASSWORD)
        tenants[slug] = tenant
    db.session.commit()
    return tenants


@pytest.fixture
def seeded_sandbox(tmp_path: Path) -> Callable[..., SandboxServer]:
    """Start a sandbox over a fresh SQLite file seeded with ``tenants`` x ``events`` (bulk seed)."""
    servers: list[SandboxServer] = []

    def _start(*, tenants: int, events: int) -> SandboxServer:
        sandbox_clock.reset()
        url = f"sqlite:///{tmp_path / f'sandbox-{len(servers)}.sqlite3'}"
        engine = create_engine(url)
        seed_tenants(engine, tenants=tenants, clients=2, events=events)
        engine.dispose()
        server = SandboxServer(url).start()
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()
    sandbox_clock.reset()


@pytest.fixture
def sync_world(make_app: Callable[..., Flask], seeded_sandbox: Callable[..., SandboxServer]) -> Iterator[SyncWorld]:
    """Six sandbox tenants with 120 audit events each, mirrored in a hub app (``SAFE_TIMEOUTS``)."""
    server = seeded_sandbox(tenants=6, events=120)
    app = make_app(**SYNC_TEST_CONFIG)
    with app.app_context():
        slugs = [f"tenant-{n:03d}" for n in range(1, 7)]
        tenants = add_hub_tenants(server, slugs)
        yield SyncWorld(server, slugs, tenants, 120)


@pytest.fixture(autouse=True)
def _reset_hooks() -> Iterator[None]:
    yield
    service._after_insert_hook = service._no_hook
    service._after_commit_hook = service._no_hook
