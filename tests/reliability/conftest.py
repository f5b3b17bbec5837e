"""Reliability fixtures: the hub fixtures (both backends) and the sync world helpers, shared here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.accounts.models import Role, User
from hub.extensions import db
from hub.sync.worker import sync_pass
from hub.tenants.connectors import close_connectors
from hub.tenants.models import Tenant
from tenant_connectors.sandbox.testing import SandboxServer
from tests import factories
from tests.forms import login
from tests.hub import conftest as hub_fixtures
from tests.hub.activity.support import sandbox_tenant
from tests.hub.sync import conftest as sync_fixtures
from tests.hub.workspace.conftest import enter

# the hub fixtures (both backends, fresh database per test)
database_url = hub_fixtures.database_url
make_app = hub_fixtures.make_app
app = hub_fixtures.app
client = hub_fixtures.client
login_as = hub_fixtures.login_as
_reset_clock = hub_fixtures._reset_clock
# bulk-seeded sandboxes for the sync runs
seeded_sandbox = sync_fixtures.seeded_sandbox


# -- a populated hub for fuzzing and the stored-XSS check ------------------------------------------
@dataclass
class FuzzWorld:
    """One hub with a sandbox tenant, every role's account, and ids to fill URLs with."""

    app: Flask
    sandbox: SandboxServer
    tenant: Tenant
    users: dict[str, User]
    ids: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str) -> FlaskClient:
        """A new test client logged in as ``role``."""
        client = self.app.test_client()
        response = login(client, self.users[role].email, factories.DEFAULT_PASSWORD)
        assert response.status_code in (302, 303), (role, response.status_code)
        return client

    def enter_tenant(self, client: FlaskClient) -> None:
        """Take an agent's client into the sandbox tenant through the secondary prompt."""
        enter(client, self.tenant, self.sandbox.world.restricted_alice)


def build_world(app: Flask, sandbox: SandboxServer, *, sync: bool = True) -> FuzzWorld:
    """Good Therapy registered in a new hub with one account per role, a group, and its events synced."""
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub, name="Good Therapy, Inc")  # Full credential and sync account
    other = factories.make_tenant(hub, name="Spare Tenant", notes="spare")
    factories.make_credential(other, "Full", label="spare credential")
    users = {
        "support": factories.make_user(role=Role.SUPPORT),
        "hub_admin": factories.make_user(role=Role.HUB_ADMIN, hub=hub),
        "agent": factories.make_user(role=Role.AGENT, hub=hub, restricted_user_id=sandbox.world.restricted_alice[0]),
        "tenant_admin": factories.make_user(role=Role.TENANT_ADMIN, hub=hub, tenant=tenant),
        "victim": factories.make_user(role=Role.AGENT, hub=hub),
    }
    factories.grant(tenant, "Full", user=users["agent"])
    group = factories.make_group(hub, name="Fuzz group", members=(users["victim"],))
    factories.grant(other, "Read only", group=group)
    db.session.commit()
    if sync:
        summary = sync_pass(app, concurrency=1, worker_id="fuzz")
        assert not summary.failed, summary.failed
    w = sandbox.world
    ids = {"tenant_id": tenant.id, "client_id": str(w.okafor_id), "client_payer_id": str(w.okafor_county_cp),
           "export_type": "csv", "hub_id": hub.id, "group_id": group.id, "other_tenant_id": other.id}
    return FuzzWorld(app, sandbox, tenant, users, ids)


@pytest.fixture
def fuzz_world(app: Flask, sandbox: SandboxServer) -> Iterator[FuzzWorld]:
    """A :class:`FuzzWorld` on the test database (both backends)."""
    world = build_world(app, sandbox)
    yield world
    close_connectors(app)
