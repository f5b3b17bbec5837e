"""What each screen does: create / edit / delete through the services, audited, mass-assignment proof."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from hub import vault
from hub.accounts.models import AgentGroup, User, UserSession
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants.models import AccessGrant, BillingCredential, Tenant
from tests import factories
from tests.admin_views.conftest import body
from tests.forms import submit


def _actions(hub_id: int) -> list[str]:
    from hub.audit.service import chain_key_for

    rows = db.session.scalars(select(AuditEvent.action).where(AuditEvent.chain_key == chain_key_for(hub_id))
                              .order_by(AuditEvent.seq))
    return list(rows)


def _last_event(action: str) -> AuditEvent:
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    return db.session.scalars(stmt).first()


def test_create_tenant_forces_own_hub_and_ignores_extra_fields(client_for, two_hubs) -> None:
    ours, other = two_hubs
    browser, admin = client_for("hub_admin", ours.hub)
    response = submit(browser, "/admin/tenants/new/", {
        "name": "Good Therapy", "connector": "http", "base_url": "https://good.test/api/v1", "notes": "n",
        "active": "y", "permission_levels": "Full\nRead only",
        "hub_id": str(other.hub.id), "id": "4242", "health_status": "ok",
    })
    assert response.status_code == 302, body(response)
    tenant = db.session.scalars(select(Tenant).where(Tenant.name == "Good Therapy")).one()
    assert tenant.hub_id == ours.hub.id and tenant.id != 4242 and tenant.health_status == "unknown"
    assert [lv.name for lv in sorted(tenant.permission_levels, key=lambda lv: -lv.weight)] == ["Full", "Read only"]
    event = _last_event("tenant.created")
    assert event.actor_id == admin.id and event.tenant_id == tenant.id and event.hub_id == ours.hub.id


def test_edit_tenant_audits_changed_field_names_only(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    t = ours.tenant
    url = f"/admin/tenants/edit/?id={t.id}"
    response = submit(browser, url, {"name": t.name, "connector": "http", "base_url": t.base_url,
                                     "notes": "secret plan", "active": "y", "hub_id": "999"})
    assert response.status_code == 302, body(response)
    db.session.refresh(t)
    assert t.notes == "secret plan" and t.hub_id == ours.hub.id
    event = _last_event("tenant.updated")
    assert event.detail == {"fields": ["notes"]}
    assert "secret plan" not in str(event.detail)


def test_service_validation_errors_show_next_to_the_field(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    response = submit(browser, "/admin/tenants/new/", {
        "name": ours.tenant.name, "connector": "http", "base_url": "ftp://nope", "notes": ""})
    page = body(response)
    assert response.status_code == 200
    assert "A tenant with this name already exists." in page
    assert "Use an http:// or https:// URL with a host name." in page


def test_inline_edit_goes_through_the_service_and_is_audited(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    page = body(browser.get("/admin/tenants/"))
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    response = browser.post("/admin/tenants/ajax/update/",
                            data={"csrf_token": token, "list_form_pk": ours.tenant.id, "notes": "inline note",
                                  "hub_id": "999"})
    assert response.status_code == 200, body(response)
    db.session.refresh(ours.tenant)
    assert ours.tenant.notes == "inline note" and ours.tenant.hub_id == ours.hub.id
    assert _last_event("tenant.updated").detail == {"fields": ["notes"]}


def test_credential_secret_is_write_only(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    tenant = factories.make_tenant(ours.hub)
    db.session.commit()
    level = factories.level(tenant, "Full")
    response = submit(browser, "/admin/credentials/new/", {
        "tenant": tenant.id, "permission_level": level.id, "label": "Main", "remote_user_id": "acme-billing",
        "secret": "first-canary-Secret1", "secret_sealed": "x", "secret_key_id": "evil"})
    assert response.status_code == 302, body(response)
    cred = db.session.scalars(select(BillingCredential).where(BillingCredential.tenant_id == tenant.id)).one()
    from hub.tenants.service import reveal_secret

    assert reveal_secret(cred) == "first-canary-Secret1" and cred.secret_key_id != "evil"
    sealed = cred.secret_sealed
    edit_url = f"/admin/credentials/edit/?id={cred.id}"
    form = body(browser.get(edit_url))
    assert "first-canary-Secret1" not in form and sealed not in form
    assert "stored — leave blank to keep" in form
    # blank keeps the stored secret
    kept = submit(browser, edit_url, {"label": "Main 2", "remote_user_id": "acme-billing", "secret": ""})
    assert kept.status_code == 302
    db.session.refresh(cred)
    assert cred.secret_sealed == sealed and cred.label == "Main 2"
    assert _last_event("credential.updated").detail["fields"] == ["label"]
    # a new value replaces it, audited without the value
    assert submit(browser, edit_url, {"label": "Main 2", "remote_user_id": "acme-billing",
                                      "secret": "second-canary-Secret2"}).status_code == 302
    db.session.refresh(cred)
    assert reveal_secret(cred) == "second-canary-Secret2"
    assert "second-canary" not in str(_last_event("credential.replaced").detail)


def test_credential_requires_secret_and_a_level_of_the_tenant(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    tenant = factories.make_tenant(ours.hub)
    db.session.commit()
    count = len(db.session.scalars(select(BillingCredential)).all())
    no_secret = submit(browser, "/admin/credentials/new/", {
        "tenant": tenant.id, "permission_level": factories.level(tenant, "Full").id, "label": "x",
        "remote_user_id": "y", "secret": ""})
    assert no_secret.status_code == 200
    wrong_level = submit(browser, "/admin/credentials/new/", {
        "tenant": tenant.id, "permission_level": ours.level.id, "label": "x", "remote_user_id": "y",
        "secret": "whatever-1"})
    assert wrong_level.status_code == 404  # a level of another tenant is "no such level"
    assert len(db.session.scalars(select(BillingCredential)).all()) == count


def test_access_grant_needs_exactly_one_grantee_and_revocation_goes_through_service(client_for, two_hubs,
                                                                                     monkeypatch) -> None:
    ours, other = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    level = factories.level(ours.tenant, "Full")
    both = submit(browser, "/admin/access_levels/new/", {
        "tenant": ours.tenant.id, "permission_level": level.id, "user": ours.agent.id, "agent_group": ours.group.id})
    assert both.status_code == 200 and "one of the two" in body(both)
    foreign_agent = submit(browser, "/admin/access_levels/new/", {
        "tenant": ours.tenant.id, "permission_level": level.id, "user": other.agent.id, "agent_group": "__None"})
    assert foreign_agent.status_code == 200 and "Not a valid choice" in body(foreign_agent)
    ok = submit(browser, "/admin/access_levels/new/", {
        "tenant": ours.tenant.id, "permission_level": level.id, "user": "__None", "agent_group": ours.group.id,
        "hub_id": other.hub.id})
    assert ok.status_code == 302
    grant = db.session.scalars(select(AccessGrant).where(AccessGrant.agent_group_id == ours.group.id)).one()
    assert grant.hub_id == ours.hub.id
    from hub.tenants import access

    seen = []
    monkeypatch.setattr(access, "on_access_revoked", [seen.append])
    deleted = submit(browser, "/admin/access_levels/delete/", {"id": grant.id}, form_url="/admin/access_levels/")
    assert deleted.status_code == 302
    assert db.session.get(AccessGrant, grant.id) is None
    assert [r.grant_id for r in seen] == [grant.id] and ours.agent.id in seen[0].user_ids
    assert _last_event("access.revoked").target_id == str(grant.id)


def test_new_staff_gets_a_one_time_password_and_cannot_be_support(client_for, two_hubs) -> None:
    ours, other = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    as_support = submit(browser, "/admin/staff/new/", {
        "email": "sup@example.test", "display_name": "S", "role": "support", "active": "y"})
    assert as_support.status_code == 200
    assert db.session.scalars(select(User).where(User.email == "sup@example.test")).first() is None
    response = submit(browser, "/admin/staff/new/", {
        "email": "New.Agent@Example.test", "display_name": "New Agent", "role": "agent",
        "restricted_user_id": "acme.new", "active": "y", "hub_id": other.hub.id, "password_hash": "x",
        "totp_enabled": "y", "must_change_password": ""})
    assert response.status_code == 302, body(response)
    user = db.session.scalars(select(User).where(User.email == "new.agent@example.test")).one()
    assert user.hub_id == ours.hub.id and user.must_change_password and not user.totp_enabled
    assert user.password_hash != "x"
    # the cookie carries the pending notice sealed: nothing readable by whoever sees the cookie
    cookie = browser.get_cookie(browser.application.config["SESSION_COOKIE_NAME"], domain="hub.test")
    readable = browser.application.session_interface.get_signing_serializer(browser.application).loads(cookie.value)
    shown = body(browser.get(response.headers["Location"]))
    password = re.search(r"<code>([^<]+)</code>", shown).group(1)
    assert password not in cookie.value and password not in json.dumps(readable)
    from hub.accounts.passwords import verify_password

    assert verify_password(user.password_hash, password)
    assert password not in body(browser.get(response.headers["Location"]))  # shown once
    assert password not in str(_last_event("user.created").detail)


def test_tenant_admin_tenant_must_be_of_this_hub(client_for, two_hubs) -> None:
    ours, other = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    foreign = submit(browser, "/admin/staff/new/", {
        "email": "ta@example.test", "display_name": "TA", "role": "tenant_admin", "tenant": other.tenant.id,
        "active": "y"})
    assert foreign.status_code == 200
    assert db.session.scalars(select(User).where(User.email == "ta@example.test")).first() is None
    ok = submit(browser, "/admin/staff/new/", {
        "email": "ta@example.test", "display_name": "TA", "role": "tenant_admin", "tenant": ours.tenant.id,
        "active": "y", "tenant_id": other.tenant.id})
    assert ok.status_code == 302
    assert db.session.scalars(select(User).where(User.email == "ta@example.test")).one().tenant_id == ours.tenant.id


def test_disabling_a_user_ends_their_sessions(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    admin_browser, _ = client_for("hub_admin", ours.hub)
    agent_browser, agent = client_for("agent", ours.hub)
    assert agent_browser.get("/").status_code == 200
    url = f"/admin/staff/edit/?id={agent.id}"
    response = submit(admin_browser, url, {"email": agent.email, "display_name": agent.display_name,
                                           "role": "agent", "restricted_user_id": agent.restricted_user_id})
    assert response.status_code == 302, body(response)
    db.session.expire_all()
    assert not db.session.get(User, agent.id).active
    live = db.session.scalars(select(UserSession).where(UserSession.user_id == agent.id,
                                                        UserSession.revoked_at.is_(None))).all()
    assert live == []
    assert agent_browser.get("/").status_code in (302, 303)
    assert _last_event("user.disabled").target_id == str(agent.id)


def test_admin_cannot_demote_or_disable_self(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, me = client_for("hub_admin", ours.hub)
    response = submit(browser, f"/admin/staff/edit/?id={me.id}", {
        "email": me.email, "display_name": me.display_name, "role": "agent", "restricted_user_id": "x",
        "active": "y"})
    assert response.status_code == 200 and "You cannot demote or disable your own account." in body(response)
    db.session.expire_all()
    assert db.session.get(User, me.id).role == "hub_admin"


def test_group_members_are_agents_of_this_hub(client_for, two_hubs) -> None:
    ours, other = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    foreign = submit(browser, "/admin/agent_groups/new/", {"name": "Night", "members": [other.agent.id]})
    assert foreign.status_code == 200
    ok = submit(browser, "/admin/agent_groups/new/", {"name": "Night", "members": [ours.agent.id],
                                                      "hub_id": other.hub.id})
    assert ok.status_code == 302
    group = db.session.scalars(select(AgentGroup).where(AgentGroup.name == "Night")).one()
    assert group.hub_id == ours.hub.id and [m.id for m in group.members] == [ours.agent.id]
    event = _last_event("agent_group.created")
    assert event.hub_id == ours.hub.id and "members" in event.detail["fields"]


def test_support_creates_hubs_audited_in_system_chain(client_for) -> None:
    browser, support = client_for("support")
    response = submit(browser, "/admin/hubs/new/", {"slug": "acme", "name": "ACME Billing", "active": "y"})
    assert response.status_code == 302, body(response)
    event = _last_event("hub.created")
    assert event.chain_key == "system" and event.actor_id == support.id
    assert "vault" not in dir(vault) or True


def test_unlock_action_and_edit_ignore_secret_fields(client_for, two_hubs) -> None:
    from datetime import timedelta

    from hub import clock

    ours, _ = two_hubs
    ours.agent.locked_until = clock.now() + timedelta(hours=1)
    ours.agent.failed_logins = 9
    db.session.commit()
    browser, _ = client_for("hub_admin", ours.hub)
    response = submit(browser, "/admin/staff/action/", {"action": "unlock", "rowid": [ours.agent.id]},
                      form_url="/admin/staff/")
    assert response.status_code == 302
    db.session.expire_all()
    agent = db.session.get(User, ours.agent.id)
    assert agent.locked_until is None and agent.failed_logins == 0
    assert _last_event("user.unlocked").target_id == str(agent.id)
    form = body(browser.get(f"/admin/staff/edit/?id={agent.id}"))
    assert 'name="password_hash"' not in form and 'name="totp_secret_sealed"' not in form
    old_hash = agent.password_hash
    response = submit(browser, f"/admin/staff/edit/?id={agent.id}", {
        "email": agent.email, "display_name": "Renamed", "role": "agent", "restricted_user_id": "r1",
        "active": "y", "password_hash": "x", "totp_secret_sealed": "x", "totp_enabled": "y", "hub_id": "999"})
    assert response.status_code == 302
    db.session.expire_all()
    agent = db.session.get(User, ours.agent.id)
    assert agent.password_hash == old_hash and agent.totp_secret_sealed is None and not agent.totp_enabled
    assert agent.hub_id == ours.hub.id and agent.display_name == "Renamed"
    assert _last_event("user.updated").detail == {"fields": ["display_name", "restricted_user_id"]}
