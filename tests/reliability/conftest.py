"""Reliability fixtures: the hub fixtures (both backends) and the sync world helpers, shared here."""

from __future__ import annotations

from tests.hub import conftest as hub_fixtures
from tests.hub.sync import conftest as sync_fixtures

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
import re  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from hub.accounts.models import Role, User  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.sync.accounts import set_sync_account  # noqa: E402
from hub.sync.worker import sync_pass  # noqa: E402
from hub.tenants.connectors import close_connectors  # noqa: E402
from hub.tenants.models import Tenant  # noqa: E402
from tenant_connectors.sandbox.testing import SandboxServer  # noqa: E402
from tests import factories  # noqa: E402
from tests.forms import login, submit  # noqa: E402

ALICE = ("acme.alice", "alice-Passw0rd!")
GT_FULL_SECRET = "gt-full-Secret1!"


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
        page = client.get("/tenants")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
        assert token is not None
        first = client.post(f"/tenants/{self.tenant.id}/enter", data={"csrf_token": token.group(1)})
        assert first.status_code == 302 and first.headers["Location"].endswith("/secondary"), first.status_code
        done = submit(client, f"/tenants/{self.tenant.id}/secondary", {"username": ALICE[0], "password": ALICE[1]})
        assert done.status_code == 302 and done.headers["Location"].endswith("/clients"), done.status_code


def build_world(app: Flask, sandbox: SandboxServer, *, sync: bool = True) -> FuzzWorld:
    """Good Therapy registered in a new hub with one account per role, a group, and its events synced."""
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub, name="Good Therapy, Inc", base_url=sandbox.tenant_url("good-therapy"))
    other = factories.make_tenant(hub, name="Spare Tenant", notes="spare")
    credential = factories.make_credential(tenant, "Full", remote_user_id="gt-acme-full", secret=GT_FULL_SECRET)
    factories.make_credential(other, "Full", label="spare credential")
    users = {
        "support": factories.make_user(role=Role.SUPPORT),
        "hub_admin": factories.make_user(role=Role.HUB_ADMIN, hub=hub),
        "agent": factories.make_user(role=Role.AGENT, hub=hub, restricted_user_id=ALICE[0]),
        "tenant_admin": factories.make_user(role=Role.TENANT_ADMIN, hub=hub, tenant=tenant),
        "victim": factories.make_user(role=Role.AGENT, hub=hub),
    }
    factories.grant(tenant, "Full", user=users["agent"])
    group = factories.make_group(hub, name="Fuzz group", members=(users["victim"],))
    factories.grant(other, "Read only", group=group)
    set_sync_account(tenant=tenant, credential=credential, restricted_user_id=ALICE[0], restricted_secret=ALICE[1])
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
