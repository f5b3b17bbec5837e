"""Admin screen fixtures: the hub fixtures (both backends), plus two populated hubs to compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hub.extensions import db
from tests import factories
from tests.forms import login
from tests.hub import conftest as hub_fixtures

# the hub fixtures (both backends, fresh database per test), shared with this directory
database_url = hub_fixtures.database_url
make_app = hub_fixtures.make_app
app = hub_fixtures.app
client = hub_fixtures.client
login_as = hub_fixtures.login_as
_reset_clock = hub_fixtures._reset_clock


@dataclass
class HubData:
    """One hub with one of everything the admin screens show."""

    hub: Any
    tenant: Any
    level: Any
    credential: Any
    agent: Any
    group: Any
    grant: Any


def populate(hub: Any, *, secret: str = "billing-secret-Passw0rd!") -> HubData:
    """A tenant with levels, a credential, an agent, a group and a grant in ``hub``."""
    tenant = factories.make_tenant(hub)
    credential = factories.make_credential(tenant, "Full", secret=secret)
    agent = factories.make_user(role="agent", hub=hub)
    group = factories.make_group(hub, members=(agent,))
    grant = factories.grant(tenant, "Read only", user=agent)
    return HubData(hub, tenant, factories.level(tenant, "Full"), credential, agent, group, grant)


@pytest.fixture
def two_hubs(app: Any) -> tuple[HubData, HubData]:
    """Our hub and another hub, both populated and committed."""
    ours, other = populate(factories.make_hub()), populate(factories.make_hub())
    db.session.commit()
    return ours, other


@pytest.fixture
def client_for(app: Any) -> Any:
    """A fresh browser signed in as a new account of ``role`` (several roles in one test)."""

    def _client_for(role: str, hub: Any = None, **fields: Any) -> tuple[Any, Any]:
        user = factories.make_user(role=role, hub=hub, **fields)
        db.session.commit()
        browser = app.test_client()
        response = login(browser, user.email, factories.DEFAULT_PASSWORD, totp_secret=fields.get("totp_secret"))
        assert response.status_code in (302, 303), response.status_code
        return browser, user

    return _client_for


def body(response: Any) -> str:
    """The whole body (streamed exports included: reading it also closes the stream)."""
    return response.get_data(as_text=True)
