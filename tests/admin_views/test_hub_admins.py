"""Support's Hub admins screen: a hub's first admin from the screens, through the provisioning service.

The initial password is random, shown once (sealed one-time notice), must be changed at the first
sign-in, and is in no audit row and no later page; duplicate emails are refused next to the field.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from hub.accounts.models import Role, User
from hub.accounts.passwords import verify_password
from hub.audit.models import AuditEvent
from hub.audit.service import chain_key_for
from hub.extensions import db
from tests import factories
from tests.admin_views.conftest import body
from tests.forms import csrf_token_from, login, submit

NEW = "/admin/hub_admins/new/"


def _users() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def _audit_text() -> str:
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return json.dumps([[e.action, e.actor_label, e.target_id, e.detail] for e in rows], default=str)


def test_support_creates_a_hubs_first_admin_with_a_password_shown_once(app, client_for) -> None:
    hub, other = factories.make_hub(name="Zenith Billing"), factories.make_hub()
    db.session.commit()
    support, support_user = client_for("support")
    # the Hubs screen links each hub to the form, with the hub chosen
    hubs = body(support.get("/admin/hubs/"))
    form_url = f"{NEW}?hub={hub.id}"
    assert form_url in hubs
    form = body(support.get(form_url))
    assert re.search(rf'<option selected value="{hub.id}">|<option value="{hub.id}" selected', form)

    response = submit(support, NEW, {
        "hub": hub.id, "email": " Zed@Zenith.TEST ", "display_name": "Zed Admin",
        # fields the form does not have are ignored
        "role": "support", "hub_id": other.id, "password_hash": "x", "must_change_password": "", "totp_enabled": "y",
    }, form_url=form_url)
    assert response.status_code == 302, body(response)
    admin = db.session.scalars(select(User).where(User.email == "zed@zenith.test")).one()
    assert (admin.role, admin.hub_id, admin.must_change_password, admin.totp_enabled) == (
        Role.HUB_ADMIN, hub.id, True, False)

    # the password rides sealed in the cookie, shows on the next page only
    cookie = support.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="hub.test")
    shown = body(support.get(response.headers["Location"]))
    password = re.search(r'data-notice="one-time">[^<]*<code>([^<]+)</code>', shown).group(1)
    assert verify_password(admin.password_hash, password) and len(password) >= 16
    assert password not in cookie.value
    for url in (response.headers["Location"], "/admin/hub_admins/", f"/admin/hub_admins/details/?id={admin.id}",
                "/admin/audit_log/", "/admin/hubs/"):
        assert password not in body(support.get(url)), url

    # audited in the hub's chain, naming support, never the password
    events = {e.action: e for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.target_type == "user", AuditEvent.target_id == str(admin.id)))}
    assert set(events) == {"user.created", "provision.user_created"}
    assert all(e.actor_id == support_user.id and e.chain_key == chain_key_for(hub.id) for e in events.values())
    assert password not in _audit_text()

    # the new admin signs in and must choose a new password first
    newcomer = app.test_client()
    signed_in = login(newcomer, "zed@zenith.test", password)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account/password"


def test_duplicate_email_is_refused_next_to_the_field(client_for) -> None:
    hub = factories.make_hub()
    taken = factories.make_user(role="agent", hub=factories.make_hub(), email="taken@example.test")
    db.session.commit()
    support, _ = client_for("support")
    count = _users()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = submit(support, NEW, {"hub": hub.id, "email": "Taken@Example.test", "display_name": "Dup"})
    page = body(response)
    assert response.status_code == 200
    # the error sits in the email field's own feedback block
    email_group = page[page.index('name="email"'):page.index('name="display_name"')]
    assert re.search(r'invalid-feedback">\s*<ul[^>]*>\s*<li>(Already exists\.|An account with this email already '
                     r'exists\.)</li>', email_group)
    assert 'data-notice="one-time"' not in page
    assert _users() == count and db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert db.session.get(User, taken.id).hub_id != hub.id


def test_an_unknown_hub_or_blank_fields_create_nothing(client_for) -> None:
    support, _ = client_for("support")
    count = _users()
    unknown = submit(support, NEW, {"hub": "987654", "email": "a@example.test", "display_name": "A"})
    assert unknown.status_code == 200 and "Not a valid choice" in body(unknown)
    hub = factories.make_hub()
    db.session.commit()
    bad_email = submit(support, NEW, {"hub": hub.id, "email": "not-an-email", "display_name": "A"})
    assert bad_email.status_code == 200
    # the provisioning service's own check, shown next to its field
    blank = body(submit(support, NEW, {"hub": hub.id, "email": "b@example.test", "display_name": "  "}))
    name_group = blank[blank.index('name="display_name"'):]
    assert "Enter a name." in name_group
    assert _users() == count


def test_only_support_reaches_the_screen(client_for) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    db.session.commit()
    browsers = {role: client_for(role, hub, **extra)[0]
                for role, extra in (("hub_admin", {}), ("agent", {}), ("tenant_admin", {"tenant": tenant}))}
    count = _users()
    for role, browser in browsers.items():
        for url in ("/admin/hub_admins/", NEW, f"{NEW}?hub={hub.id}"):
            assert browser.get(url).status_code == 403, (role, url)
        token = csrf_token_from(body(browser.get("/")))
        posted = browser.post(NEW, data={"csrf_token": token, "hub": hub.id, "email": f"{role}@x.test",
                                         "display_name": "X"})
        assert posted.status_code == 403, role
    assert _users() == count


def test_creating_needs_a_valid_csrf_token(client_for) -> None:
    hub = factories.make_hub()
    db.session.commit()
    support, _ = client_for("support")
    count = _users()
    for data in ({}, {"csrf_token": "IjEyMyI.forged.token"}):
        response = support.post(NEW, data={"hub": hub.id, "email": "c@x.test", "display_name": "C", **data})
        assert response.status_code == 400
    assert _users() == count
