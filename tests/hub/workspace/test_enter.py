"""Entering a tenant: Billing login, secondary prompt, session kept sealed, leave, switch."""

from __future__ import annotations

from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.workspace.models import PendingTenantLogin, TenantSessionRecord
from tests.hub.workspace.conftest import ALICE, FULL_SECRET, answer_secondary, begin_enter, enter, page_text


def _open_rows(user_id: int) -> list[TenantSessionRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(TenantSessionRecord).where(
        TenantSessionRecord.user_id == user_id, TenantSessionRecord.ended_at.is_(None))))


def test_enter_through_secondary_prompt(client, hubworld, agent):
    first = begin_enter(client, hubworld.gt)
    prompt = client.get(first.headers["Location"])
    html = page_text(prompt)
    assert prompt.status_code == 200
    assert 'value="acme.alice"' in html  # the agent's Restricted User ID is prefilled
    assert "ACME Billing" in html
    done = answer_secondary(client, hubworld.gt, *ALICE)
    assert done.status_code == 302
    clients = client.get(done.headers["Location"])
    text = page_text(clients)
    assert clients.status_code == 200
    assert "Rivera, Ana" in text
    assert "Good Therapy, Inc" in text
    assert "on behalf of you" in text and "acme.alice" in text
    assert clients.headers["Cache-Control"] == "no-store"
    rows = _open_rows(agent.id)
    assert len(rows) == 1 and rows[0].token_sealed.startswith("v1.")
    assert db.session.scalars(select(PendingTenantLogin)).first() is None
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "tenant.entered" in actions
    assert FULL_SECRET not in text and ALICE[1] not in text


def _token_of(row: TenantSessionRecord):
    from hub.workspace.records import contract_session

    session = contract_session(row)
    assert session is not None
    return session


def test_switching_keeps_both_sessions_and_switch_back_needs_no_prompt(client, hubworld, agent):
    enter(client, hubworld.gt)
    page = client.get(f"/tenants/{hubworld.gt.id}/clients")
    # the banner's switcher lists open sessions only: none but this one yet, so only the search shows
    assert 'name="tenant_id"' not in page_text(page) and 'id="find-tenant"' in page_text(page)
    from tests.forms import csrf_token_from

    token = csrf_token_from(page_text(page))
    # switching to a granted tenant the banner does not list still works: it starts the enter flow
    to_cw = client.post("/tenants/switch", data={"csrf_token": token, "tenant_id": hubworld.cw.id})
    assert to_cw.headers["Location"].endswith(f"/tenants/{hubworld.cw.id}/secondary")
    done = answer_secondary(client, hubworld.cw, *ALICE)
    assert done.headers["Location"].endswith(f"/tenants/{hubworld.cw.id}/clients")
    assert {r.tenant_id for r in _open_rows(agent.id)} == {hubworld.gt.id, hubworld.cw.id}
    assert "Calm Waters Clinic" in page_text(client.get(f"/tenants/{hubworld.gt.id}/clients"))  # now listed
    back = client.post("/tenants/switch", data={"csrf_token": token, "tenant_id": hubworld.gt.id})
    assert back.headers["Location"].endswith(f"/tenants/{hubworld.gt.id}/clients")
    assert "Rivera, Ana" in page_text(client.get(back.headers["Location"]))
    assert "Lake, Dana" in page_text(client.get(f"/tenants/{hubworld.cw.id}/clients"))


def test_leave_ends_the_session_at_the_tenant(client, hubworld, agent):
    import pytest

    from hub.tenants.connectors import connector_for
    from tenant_connectors.base import SessionExpired
    from tests.forms import csrf_token_from

    enter(client, hubworld.gt)
    (row,) = _open_rows(agent.id)
    session = _token_of(row)
    page = client.get(f"/tenants/{hubworld.gt.id}/clients")
    left = client.post(f"/tenants/{hubworld.gt.id}/leave", data={"csrf_token": csrf_token_from(page_text(page))})
    assert left.headers["Location"].endswith("/tenants")
    assert _open_rows(agent.id) == []
    with pytest.raises(SessionExpired):
        connector_for(hubworld.gt).current_session(session.token)
    again = client.get(f"/tenants/{hubworld.gt.id}/clients")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/tenants/{hubworld.gt.id}/enter")
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "tenant.left" in actions


def test_switch_to_a_tenant_not_granted_or_junk_goes_back_to_the_dashboard(client, hubworld, agent):
    from tests import factories
    from tests.forms import csrf_token_from

    not_granted = factories.make_tenant(hubworld.hub, name="Not Granted Clinic")
    db.session.commit()
    token = csrf_token_from(page_text(client.get("/tenants")))
    for value in (not_granted.id, "junk", "", "-3", "99999999999999999999"):
        response = client.post("/tenants/switch", data={"csrf_token": token, "tenant_id": value})
        assert response.status_code == 302 and response.headers["Location"].endswith("/tenants"), value
        assert "Choose a tenant to switch to." in page_text(client.get("/tenants"))
    assert db.session.scalars(select(PendingTenantLogin)).first() is None


def test_tenant_ids_no_tenant_can_have_are_404(client, hubworld, agent):
    for tenant_id in ("0", "2147483648", "99999999999999999999"):
        assert client.get(f"/tenants/{tenant_id}/enter").status_code == 404
        assert client.get(f"/tenants/{tenant_id}/clients").status_code == 404


def test_enter_post_without_csrf_is_refused(client, hubworld, agent):
    response = client.post(f"/tenants/{hubworld.gt.id}/enter")
    assert response.status_code == 400
    assert db.session.scalars(select(PendingTenantLogin)).first() is None


def test_tenant_not_granted_is_404(client, hubworld, agent, app):
    from tests import factories

    other_hub = factories.make_hub()
    foreign = factories.make_tenant(other_hub, base_url=hubworld.sandbox.tenant_url("good-therapy"))
    db.session.commit()
    assert client.get(f"/tenants/{foreign.id}/enter").status_code == 404
    assert client.get(f"/tenants/{foreign.id}/clients").status_code == 404
    page = client.get("/tenants")
    from tests.forms import csrf_token_from

    token = csrf_token_from(page_text(page))
    assert client.post(f"/tenants/{foreign.id}/enter", data={"csrf_token": token}).status_code == 404


def test_dashboard_is_for_agents_only(client, login_as):
    login_as("hub_admin")
    assert client.get("/tenants").status_code == 403
