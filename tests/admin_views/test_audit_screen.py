"""Audit: admin changes and their audit rows commit together; the audit log screen and its verifier."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from hub.accounts.models import AgentGroup
from hub.audit import service
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants.models import Tenant
from tests import factories
from tests.admin_views.conftest import body
from tests.admin_views.test_isolation import _snapshot
from tests.forms import submit


def _events() -> int:
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    db.session.rollback()
    return count


@pytest.fixture
def broken_audit(monkeypatch):
    """Make every audit write fail (wherever the module-level ``record`` is looked up)."""

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(service, "record", broken)
    import hub.accounts.service as accounts_service

    monkeypatch.setattr(accounts_service, "audit_record", broken)


def test_generic_screen_change_and_audit_row_commit_together(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, admin = client_for("hub_admin", ours.hub)
    before = _events()
    response = submit(browser, f"/admin/agent_groups/edit/?id={ours.group.id}",
                      {"name": "Renamed", "description": "d", "members": [ours.agent.id]})
    assert response.status_code == 302
    assert _events() == before + 1
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "agent_group.updated" and event.detail == {"fields": ["description", "name"]}
    assert event.actor_id == admin.id and event.target_id == str(ours.group.id)
    assert service.verify_all() == []


@pytest.mark.parametrize("change", ["create_group", "edit_group", "delete_group", "create_tenant", "edit_tenant",
                                    "create_staff", "disable_staff", "delete_grant", "replace_secret"])
def test_failing_audit_write_rolls_the_change_back(client_for, two_hubs, broken_audit, change) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    posts = {
        "create_group": ("/admin/agent_groups/new/", {"name": "New group"}, None),
        "edit_group": (f"/admin/agent_groups/edit/?id={ours.group.id}", {"name": "Renamed"}, None),
        "delete_group": ("/admin/agent_groups/delete/", {"id": ours.group.id}, "/admin/agent_groups/"),
        "create_tenant": ("/admin/tenants/new/", {"name": "New T", "connector": "http",
                                                  "base_url": "https://n.test/api"}, None),
        "edit_tenant": (f"/admin/tenants/edit/?id={ours.tenant.id}", {
            "name": "Renamed", "connector": "http", "base_url": ours.tenant.base_url}, None),
        "create_staff": ("/admin/staff/new/", {"email": "n@example.test", "display_name": "N", "role": "hub_admin",
                                               "active": "y"}, None),
        "disable_staff": (f"/admin/staff/edit/?id={ours.agent.id}", {
            "email": ours.agent.email, "display_name": "x", "role": "agent", "restricted_user_id": "r"}, None),
        "delete_grant": ("/admin/access_levels/delete/", {"id": ours.grant.id}, "/admin/access_levels/"),
        "replace_secret": (f"/admin/credentials/edit/?id={ours.credential.id}", {
            "label": "L", "remote_user_id": "R", "secret": "brand-new-secret"}, None),
    }
    url, data, form_url = posts[change]
    before, events = _snapshot(), _events()
    response = submit(browser, url, data, form_url=form_url)
    assert response.status_code in (200, 302)
    assert _snapshot() == before
    assert _events() == events
    if response.status_code == 302:
        assert "nothing was changed" in body(browser.get(response.headers["Location"]))


def test_audit_log_is_read_only(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    page = body(browser.get("/admin/audit_log/"))
    assert "/admin/audit_log/new/" not in page and "/admin/audit_log/edit/" not in page
    event_id = db.session.scalars(select(AuditEvent.id).where(AuditEvent.hub_id == ours.hub.id)).first()
    db.session.rollback()
    before = _events()
    token_page = browser.get("/admin/tenants/")
    from tests.forms import csrf_token_from

    token = csrf_token_from(body(token_page))
    for url, data in [("/admin/audit_log/new/", {"action": "x"}), (f"/admin/audit_log/edit/?id={event_id}",
                                                                   {"action": "x"}),
                      ("/admin/audit_log/delete/", {"id": event_id}),
                      ("/admin/audit_log/action/", {"action": "delete", "rowid": [event_id]})]:
        browser.post(url, data={"csrf_token": token, **data})
    assert _events() == before
    assert service.verify_all() == []


def test_support_sees_system_chain_and_hub_creation_only(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    service.record("hub.created", hub_id=ours.hub.id, target_type="hub", target_id=ours.hub.id)
    service.record("provision.started", hub_id=None, detail={"step": "x"})
    db.session.commit()
    browser, _ = client_for("support")
    page = body(browser.get("/admin/audit_log/"))
    assert "hub.created" in page and "provision.started" in page
    assert "credential.created" not in page and "access.granted" not in page
    admin_browser, _ = client_for("hub_admin", ours.hub)
    admin_page = body(admin_browser.get("/admin/audit_log/"))
    assert "credential.created" in admin_page and "provision.started" not in admin_page


def test_filters_and_newest_first(client_for, monkeypatch) -> None:
    from hub import clock

    hub = factories.make_hub()
    service.record("tenant.updated", hub_id=hub.id, tenant_id=100, target_type="tenant", target_id="oldest-one")
    clock.advance(60)
    service.record("tenant.updated", hub_id=hub.id, tenant_id=101, target_type="tenant", target_id="newest-one")
    service.record("auth.login_failed", hub_id=hub.id, outcome="failure", target_id="failed-one")
    db.session.commit()
    browser, _ = client_for("hub_admin", hub)
    page = body(browser.get("/admin/audit_log/"))
    assert page.index("newest-one") < page.index("oldest-one")
    outcome_only = body(browser.get("/admin/audit_log/?flt0_outcome_equals=failure"))
    assert "failed-one" in outcome_only and "oldest-one" not in outcome_only
    by_tenant = body(browser.get("/admin/audit_log/?flt0_tenant_id_equals=101"))
    assert "newest-one" in by_tenant and "oldest-one" not in by_tenant
    by_action = body(browser.get("/admin/audit_log/?flt0_action_contains=login_failed"))
    assert "failed-one" in by_action and "newest-one" not in by_action
    ranged = body(browser.get("/admin/audit_log/?flt0_time_utc_between=2000-01-01+00:00:00+to+2100-01-01+00:00:00"))
    assert "oldest-one" in ranged
    for garbage in ("flt0_time_utc_between=nonsense", "flt0_tenant_id_equals=abc", "flt9_nope=1", "sort=99"):
        assert browser.get(f"/admin/audit_log/?{garbage}").status_code == 200, garbage


def test_verify_page_names_the_first_broken_link(client_for) -> None:
    hub = factories.make_hub()
    events = [service.record("tenant.updated", hub_id=hub.id, detail={"n": n}) for n in range(4)]
    db.session.commit()
    browser, _ = client_for("hub_admin", hub)
    assert 'data-verify="ok"' in body(browser.get("/admin/audit_log/verify/"))
    db.session.execute(sa.text("UPDATE audit_events SET detail = :d WHERE id = :id"),
                       {"d": '{"n": 99}', "id": events[1].id})
    db.session.commit()
    page = body(browser.get("/admin/audit_log/verify/"))
    assert 'data-verify="broken"' in page
    assert f"sequence <strong>{events[1].seq}</strong>" in page and f"event id {events[1].id}" in page


def test_group_delete_through_screen_is_audited(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    response = submit(browser, "/admin/agent_groups/delete/", {"id": ours.group.id}, form_url="/admin/agent_groups/")
    assert response.status_code == 302
    assert db.session.get(AgentGroup, ours.group.id) is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "agent_group.deleted")).one()
    assert event.target_id == str(ours.group.id) and event.hub_id == ours.hub.id
    assert db.session.scalars(select(Tenant)).first() is not None
