"""Reset two-factor: hub admins for their own hub's staff, support for any hub's admins; never oneself.

A reset turns the account's two-factor off, ends its sessions, is audited as ``auth.totp_reset`` in
the account's hub chain, and the account's next sign-in leads to the enrolment page.
"""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from hub.accounts.models import User, UserSession
from hub.audit.models import AuditEvent
from hub.audit.service import chain_key_for
from hub.extensions import db
from tests import factories
from tests.admin_views.conftest import body
from tests.forms import csrf_token_from, login, submit
from tests.hub.auth.support import audit_actions

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OWN_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def _resets() -> list[AuditEvent]:
    return audit_actions("auth.totp_reset")


def _two_factor(user_id: int) -> tuple[bool, str | None]:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    return user.totp_enabled, user.totp_secret_sealed


def _live_sessions(user_id: int) -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                            UserSession.revoked_at.is_(None))).all())


def _reset(browser, screen: str, *ids: int):
    return submit(browser, f"/admin/{screen}/action/", {"action": "reset_totp", "rowid": list(ids)},
                  form_url=f"/admin/{screen}/")


def test_hub_admin_resets_an_agent_who_must_then_enrol_again(app, client_for, two_hubs) -> None:
    ours, _ = two_hubs
    agent_browser, agent = client_for("agent", ours.hub, totp_secret=SECRET)
    assert agent_browser.get("/").status_code == 200
    admin_browser, admin = client_for("hub_admin", ours.hub)
    listing = body(admin_browser.get("/admin/staff/"))
    assert "Reset two-factor" in listing

    response = _reset(admin_browser, "staff", agent.id)
    assert response.status_code == 302
    assert "must set it up again" in body(admin_browser.get(response.headers["Location"]))
    assert _two_factor(agent.id) == (False, None)
    # the agent's open session ended at once
    assert _live_sessions(agent.id) == 0
    assert agent_browser.get("/").status_code in (302, 303)
    [event] = _resets()
    assert (event.actor_id, event.chain_key, event.target_id) == (admin.id, chain_key_for(ours.hub.id), str(agent.id))
    assert event.detail == {"sessions_ended": 1}

    # the next sign-in (password only now) leads to enrolment, and nothing else opens until it is done
    fresh = app.test_client()
    signed_in = login(fresh, agent.email, factories.DEFAULT_PASSWORD)
    assert signed_in.headers["Location"] == "/account/totp"
    assert fresh.get("/tenants").headers["Location"] == "/account/totp"
    page = body(fresh.get("/account/totp"))
    assert "An administrator reset your two-factor authentication" in page
    new_secret = page.split('<code class="secret">')[1].split("<")[0]
    done = fresh.post("/account/totp", data={"csrf_token": csrf_token_from(page),
                                             "code": pyotp.TOTP(new_secret).now()})
    assert done.status_code == 302
    assert fresh.get("/").status_code == 200
    assert _two_factor(agent.id)[0] is True


def test_another_hubs_admin_is_refused_and_nothing_changes(client_for, two_hubs) -> None:
    ours, other = two_hubs
    agent = factories.make_user(role="agent", hub=ours.hub, totp_secret=SECRET)
    db.session.commit()
    before = _two_factor(agent.id)
    stranger, _ = client_for("hub_admin", other.hub)
    assert _reset(stranger, "staff", agent.id).status_code == 404
    # support's screen lists hub admins only: an agent's id is "no such row" there too
    support, _ = client_for("support")
    assert _reset(support, "hub_admins", agent.id).status_code == 404
    assert _two_factor(agent.id) == before and _resets() == []


def test_nobody_resets_their_own_two_factor_here(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    agent = factories.make_user(role="agent", hub=ours.hub, totp_secret=SECRET)
    db.session.commit()
    browser, me = client_for("hub_admin", ours.hub, totp_secret=OWN_SECRET)
    response = _reset(browser, "staff", me.id, agent.id)  # all or nothing
    assert response.status_code == 302
    page = body(browser.get(response.headers["Location"]))
    assert "You cannot reset your own two-factor authentication" in page and "Nothing was reset." in page
    assert _two_factor(me.id)[0] is True and _two_factor(agent.id)[0] is True
    assert _resets() == []


def test_an_account_without_two_factor_is_left_alone(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    response = _reset(browser, "staff", ours.agent.id)
    assert "has no two-factor authentication to reset" in body(browser.get(response.headers["Location"]))
    assert _resets() == []


def test_support_resets_a_hub_admin_of_any_hub(client_for, two_hubs) -> None:
    _, other = two_hubs
    admin_browser, admin = client_for("hub_admin", other.hub, totp_secret=SECRET)
    support, support_user = client_for("support")
    listing = body(support.get("/admin/hub_admins/"))
    assert admin.email in listing and other.agent.email not in listing
    assert _reset(support, "hub_admins", admin.id).status_code == 302
    assert _two_factor(admin.id) == (False, None) and _live_sessions(admin.id) == 0
    [event] = _resets()
    assert (event.actor_id, event.chain_key) == (support_user.id, chain_key_for(other.hub.id))
    assert admin_browser.get("/admin/").status_code in (302, 303)


def test_other_roles_cannot_reset(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    target = factories.make_user(role="hub_admin", hub=ours.hub, totp_secret=SECRET)
    db.session.commit()
    for role, extra in (("agent", {}), ("tenant_admin", {"tenant": ours.tenant})):
        browser, _ = client_for(role, ours.hub, **extra)
        token = csrf_token_from(body(browser.get("/")))
        for screen in ("staff", "hub_admins"):
            response = browser.post(f"/admin/{screen}/action/", data={
                "csrf_token": token, "action": "reset_totp", "rowid": [target.id]})
            assert response.status_code == 403, (role, screen)
    support, _ = client_for("support")
    token = csrf_token_from(body(support.get("/admin/hub_admins/")))
    assert support.post("/admin/staff/action/", data={"csrf_token": token, "action": "reset_totp",
                                                      "rowid": [target.id]}).status_code == 403
    assert _two_factor(target.id)[0] is True and _resets() == []


def test_reset_needs_a_valid_csrf_token(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    agent = factories.make_user(role="agent", hub=ours.hub, totp_secret=SECRET)
    db.session.commit()
    browser, _ = client_for("hub_admin", ours.hub)
    stranger, _ = client_for("hub_admin", ours.hub)
    foreign = csrf_token_from(body(stranger.get("/admin/staff/")))
    for token in (None, "IjEyMyI.forged.token", foreign):
        data = {"action": "reset_totp", "rowid": [agent.id]} | ({} if token is None else {"csrf_token": token})
        assert browser.post("/admin/staff/action/", data=data).status_code == 400
    assert _two_factor(agent.id)[0] is True and _resets() == []
