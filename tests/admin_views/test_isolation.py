"""Isolation matrix: every screen x another hub's object id → 404, and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants.models import AccessGrant, BillingCredential, PermissionLevel, Tenant
from tests.admin_views.conftest import body
from tests.forms import csrf_token_from

#: screens without an edit form / delete button answer those URLs with a redirect to their list
NO_EDIT = {"access_levels"}
NO_DELETE = {"staff"}
#: the list action each screen offers
ACTIONS = {"staff": "unlock"}
#: screen -> (attribute of HubData holding the other hub's object, a field an edit would post)
SCREENS = {
    "tenants": ("tenant", {"name": "Stolen", "base_url": "https://evil.test/api", "connector": "http",
                           "notes": "x"}),
    "permission_levels": ("level", {"name": "Stolen", "weight": "9"}),
    "credentials": ("credential", {"label": "Stolen", "remote_user_id": "evil", "secret": "new-secret"}),
    "staff": ("agent", {"email": "stolen@example.test", "display_name": "Stolen", "role": "hub_admin"}),
    "agent_groups": ("group", {"name": "Stolen", "description": "x"}),
    "access_levels": ("grant", {}),
}


def _snapshot() -> tuple:
    """Everything the matrix could change, as plain values."""
    tenants = sorted((t.id, t.name, t.notes, t.active, t.base_url) for t in db.session.scalars(select(Tenant)))
    levels = sorted((lv.id, lv.name, lv.weight) for lv in db.session.scalars(select(PermissionLevel)))
    creds = sorted((c.id, c.label, c.remote_user_id, c.secret_sealed)
                   for c in db.session.scalars(select(BillingCredential)))
    grants = sorted(g.id for g in db.session.scalars(select(AccessGrant)))
    from hub.accounts.models import AgentGroup, User

    users = sorted((u.id, u.email, u.display_name, u.role, u.active, u.hub_id, u.locked_until)
                   for u in db.session.scalars(select(User)))
    groups = sorted((g.id, g.name, g.description) for g in db.session.scalars(select(AgentGroup)))
    db.session.rollback()
    return tenants, levels, creds, grants, users, groups


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_other_hubs_object_is_404_everywhere(client_for, two_hubs, screen) -> None:
    ours, other = two_hubs
    attribute, edit_data = SCREENS[screen]
    target = getattr(other, attribute)
    browser, _ = client_for("hub_admin", ours.hub)
    listing = browser.get(f"/admin/{screen}/")
    token = csrf_token_from(body(listing))
    before = _snapshot()

    assert browser.get(f"/admin/{screen}/details/?id={target.id}").status_code == 404
    edit_status = 302 if screen in NO_EDIT else 404
    assert browser.get(f"/admin/{screen}/edit/?id={target.id}").status_code == edit_status
    posted = browser.post(f"/admin/{screen}/edit/?id={target.id}", data={"csrf_token": token, **edit_data})
    assert posted.status_code == edit_status
    deleted = browser.post(f"/admin/{screen}/delete/", data={"csrf_token": token, "id": target.id})
    assert deleted.status_code == (302 if screen in NO_DELETE else 404)
    action = browser.post(f"/admin/{screen}/action/",
                          data={"csrf_token": token, "action": ACTIONS.get(screen, "delete"), "rowid": [target.id]})
    assert action.status_code == 404
    ajax = browser.post(f"/admin/{screen}/ajax/update/",
                        data={"csrf_token": token, "list_form_pk": target.id, "notes": "pwned", "active": "false"})
    assert ajax.status_code == 404
    assert _snapshot() == before
    # the other hub's object is not even listed
    label = {"tenant": target.name if attribute == "tenant" else None}.get(attribute)
    if label:
        assert label not in body(browser.get(f"/admin/{screen}/"))


def test_delete_with_own_and_foreign_ids_changes_nothing(client_for, two_hubs) -> None:
    ours, other = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    token = csrf_token_from(body(browser.get("/admin/agent_groups/")))
    before = _snapshot()
    response = browser.post("/admin/agent_groups/action/",
                            data={"csrf_token": token, "action": "delete", "rowid": [ours.group.id, other.group.id]})
    assert response.status_code == 404
    assert _snapshot() == before


def test_lists_and_counts_show_only_own_hub(client_for, two_hubs) -> None:
    ours, other = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    tenants = body(browser.get("/admin/tenants/"))
    assert ours.tenant.name in tenants and other.tenant.name not in tenants
    staff = body(browser.get("/admin/staff/"))
    assert ours.agent.email in staff and other.agent.email not in staff
    creds = body(browser.get("/admin/credentials/"))
    assert ours.credential.label in creds and other.credential.label not in creds


def test_audit_log_of_another_hub_is_404(client_for, two_hubs) -> None:
    ours, other = two_hubs
    from hub.audit.service import chain_key_for

    stmt = select(AuditEvent.id).where(AuditEvent.chain_key == chain_key_for(other.hub.id))
    foreign = db.session.scalars(stmt).first()
    assert foreign is not None
    db.session.rollback()
    browser, _ = client_for("hub_admin", ours.hub)
    assert browser.get(f"/admin/audit_log/details/?id={foreign}").status_code == 404
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    db.session.rollback()
    assert browser.get("/admin/audit_log/edit/?id=1").status_code in (302, 404)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count


@pytest.mark.parametrize("bad_id", ["abc", "-1", "999999", "1.5", "", "2147483648", "99999999999999999999"])
def test_garbage_ids_are_404_not_500(client_for, two_hubs, bad_id) -> None:
    browser, _ = client_for("hub_admin", two_hubs[0].hub)
    response = browser.get(f"/admin/tenants/details/?id={bad_id}")
    assert response.status_code in (404, 302)
    assert browser.get(f"/admin/audit_log/details/?id={bad_id}").status_code in (404, 302)
    token = csrf_token_from(browser.get("/admin/tenants/").get_data(as_text=True))
    action = browser.post("/admin/tenants/action/", data={"csrf_token": token, "action": "delete", "rowid": bad_id})
    assert action.status_code in (404, 302)


@pytest.mark.parametrize("url", ["/admin/tenants/\r\nSet-Cookie: a=b", "/admin/\n", "\x7f"])
def test_return_address_with_control_characters_is_400_not_500(client_for, two_hubs, url) -> None:
    browser, _ = client_for("hub_admin", two_hubs[0].hub)
    token = csrf_token_from(browser.get("/admin/tenants/").get_data(as_text=True))
    action = browser.post("/admin/tenants/action/", data={"csrf_token": token, "action": "nope", "url": url})
    assert action.status_code == 400 and "return address" in action.get_data(as_text=True)
    assert browser.get("/admin/tenants/", query_string={"url": url}).status_code == 400
    assert browser.get("/admin/tenants/", query_string={"url": "/admin/tenants/"}).status_code == 200
