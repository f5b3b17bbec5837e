"""The start page per role, the health check, and escaping of stored text on the pages."""

from __future__ import annotations

from flask.testing import FlaskClient

from hub.extensions import db
from tests import factories
from tests.sql import count_sql

XSS = "<script>alert(1)</script>"


def test_agent_sees_counts_and_the_granted_tenants_needing_attention(client: FlaskClient, login_as) -> None:
    hub = factories.make_hub()
    direct = factories.make_tenant(hub, name="Good Therapy", health_status="unavailable")
    via_group = factories.make_tenant(hub, name="Calm Minds", health_status="misconfigured")
    both = factories.make_tenant(hub, name="Both Ways", health_status="auth_failed")
    healthy = factories.make_tenant(hub, name="All Fine", health_status="ok")
    factories.make_tenant(hub, name="Not Granted", health_status="unavailable")
    foreign = factories.make_tenant(factories.make_hub(), name="Other Hub Tenant", health_status="unavailable")
    agent = login_as("agent", hub=hub)
    group = factories.make_group(hub, members=(agent,))
    factories.grant(direct, "Read only", user=agent)
    factories.grant(via_group, "Full", group=group)
    factories.grant(both, "Read only", user=agent)
    factories.grant(both, "Full", group=group)
    factories.grant(healthy, "Full", user=agent)
    factories.grant(foreign, "Full", user=factories.make_user(role="agent", hub=foreign.hub))
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    counts = page.split('id="tenant-counts"', 1)[1].split("</p>", 1)[0]
    assert "4 tenants open to you" in counts
    assert ">1 ok<" in counts and ">1 unavailable<" in counts and ">1 misconfigured<" in counts
    attention = page.split('id="attention"', 1)[1].split("</table>", 1)[0]
    assert "Good Therapy" in attention and "Calm Minds" in attention and "Both Ways" in attention
    assert "All Fine" not in attention
    assert "Not Granted" not in page and "Other Hub Tenant" not in page
    row = attention.split("Both Ways", 1)[1].split("</tr>", 1)[0]
    assert "Full" in row  # the highest level wins
    assert "/admin/" not in page


def test_agent_start_page_costs_the_same_for_few_or_many_tenants(app, client: FlaskClient, login_as) -> None:
    hub = factories.make_hub()
    agent = login_as("agent", hub=hub)

    def add(n: int) -> None:
        for _ in range(n):
            factories.grant(factories.make_tenant(hub, health_status="unavailable"), "Full", user=agent)
        db.session.commit()

    def statements() -> tuple[int, str]:
        with count_sql() as sent:
            page = client.get("/").get_data(as_text=True)
        return sent["statements"], page

    add(3)
    few, page = statements()
    assert page.count("/enter") == 3
    add(40)
    many, page = statements()
    assert many == few
    assert page.count("/enter") == 10 and "33 more on the tenant dashboard" in page


def test_agent_without_grants_is_told_so(client: FlaskClient, login_as) -> None:
    login_as("agent")
    assert "No tenant has been opened to you yet" in client.get("/").get_data(as_text=True)


def test_hub_admin_sees_the_admin_screens(client: FlaskClient, login_as) -> None:
    login_as("hub_admin")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in page and "Administration screens" in page


def test_support_sees_provisioning(client: FlaskClient, login_as) -> None:
    login_as("support")
    page = client.get("/").get_data(as_text=True)
    assert "Hub provisioning" in page and 'href="/admin/"' in page


def test_tenant_admin_sees_their_tenant_only(client: FlaskClient, login_as) -> None:
    hub = factories.make_hub()
    mine = factories.make_tenant(hub, name="Good Therapy")
    factories.make_tenant(hub, name="Someone Else")
    login_as("tenant_admin", hub=hub, tenant=mine)
    page = client.get("/").get_data(as_text=True)
    assert "Good Therapy" in page and "Someone Else" not in page
    assert 'href="/admin/"' not in page


def test_stored_text_renders_escaped(client: FlaskClient, login_as) -> None:
    hub = factories.make_hub(name=f"Hub {XSS}")
    tenant = factories.make_tenant(hub, name=f"Tenant {XSS}", health_status="auth_failed")
    agent = login_as("agent", hub=hub, display_name=f"Name {XSS}")
    factories.grant(tenant, "Full", user=agent)
    db.session.commit()
    for path in ("/", "/account/password", "/account/totp", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        assert XSS not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_tenant_supplied_level_names_are_escaped(client: FlaskClient, login_as) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub, levels=(f"Level {XSS}",), health_status="unavailable")
    agent = login_as("agent", hub=hub)
    factories.grant(tenant, f"Level {XSS}", user=agent)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert XSS not in page and "Level &lt;script&gt;" in page


def test_health_check_is_public_and_says_little(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_tenants_needing_attention_link_to_tenant_entry(client: FlaskClient, login_as) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub, name="Good Therapy", health_status="protocol_error")
    agent = login_as("agent", hub=hub)
    factories.grant(tenant, "Full", user=agent)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert f'href="/tenants/{tenant.id}/enter"' in page
