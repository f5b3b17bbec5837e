"""Two-factor reset: who may reset whom, sessions end, and the next sign-in must enrol again."""

from __future__ import annotations

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.accounts.models import UserSession
from hub.auth import totp
from hub.extensions import db
from tests import factories
from tests.forms import csrf_token_from, login
from tests.hub.auth.support import audit_actions

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_who_may_reset_whom(app: Flask) -> None:
    hub, other = factories.make_hub(), factories.make_hub()
    admin = factories.make_user(role="hub_admin", hub=hub, totp_secret=SECRET)
    colleague = factories.make_user(role="hub_admin", hub=hub, totp_secret=SECRET)
    agent = factories.make_user(role="agent", hub=hub, totp_secret=SECRET)
    stranger = factories.make_user(role="hub_admin", hub=other, totp_secret=SECRET)
    support = factories.make_user(role="support", totp_secret=SECRET)
    other_support = factories.make_user(role="support", totp_secret=SECRET)
    no_two_factor = factories.make_user(role="agent", hub=hub)
    allowed = {(admin, colleague), (admin, agent), (colleague, admin), (colleague, agent),
               (support, admin), (support, colleague), (support, stranger)}
    for actor in (admin, colleague, agent, stranger, support):
        for target in (admin, colleague, agent, stranger, other_support):
            assert (totp.reset_refusal(actor, target) is None) == ((actor, target) in allowed), (actor, target)
    assert "your own" in totp.reset_refusal(admin, admin)
    assert "no two-factor" in totp.reset_refusal(admin, no_two_factor)
    with pytest.raises(totp.ResetRefused):
        totp.reset_totp(agent, actor=stranger)
    assert agent.totp_enabled and audit_actions("auth.totp_reset") == []


def test_reset_ends_every_session_of_the_account(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub(), totp_secret=SECRET)
    admin = factories.make_user(role="hub_admin", hub=user.hub)
    db.session.commit()
    login(client, user.email, factories.DEFAULT_PASSWORD, totp_secret=SECRET)
    assert client.get("/").status_code == 200
    assert totp.reset_totp(user, actor=admin) == 1
    db.session.commit()
    live = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.revoked_at.is_(None))).all()
    assert live == [] and client.get("/").status_code in (302, 303)
    assert audit_actions("auth.totp_reset")[-1].detail == {"sessions_ended": 1}


def test_reenrolment_is_due_from_the_reset_until_a_new_enrolment_is_confirmed(app: Flask) -> None:
    user = factories.make_user(role="tenant_admin", hub=factories.make_hub(), totp_secret=SECRET,
                               tenant=None)
    never = factories.make_user(role="agent", hub=user.hub)
    db.session.commit()
    assert not totp.reenrolment_due(user) and not totp.reenrolment_due(never)
    totp.reset_totp(user, actor=None)  # the system (command line) may reset too
    db.session.commit()
    assert totp.reenrolment_due(user)
    totp.set_pending_secret(user, SECRET)
    assert totp.confirm_enrolment(user, pyotp.TOTP(SECRET).now())
    db.session.commit()
    assert not totp.reenrolment_due(user)


def test_a_reset_account_reaches_only_enrolment_until_it_enrols(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub(), totp_secret=SECRET)
    untouched = factories.make_user(role="agent", hub=user.hub)
    db.session.commit()
    totp.reset_totp(user, actor=None)
    db.session.commit()
    assert login(client, user.email, factories.DEFAULT_PASSWORD).headers["Location"] == "/account/totp"
    for url in ("/", "/tenants", "/activity", "/account/password"):
        assert client.get(url).headers.get("Location") == "/account/totp", url
    page = client.get("/account/totp").get_data(as_text=True)
    new_secret = page.split('<code class="secret">')[1].split("<")[0]
    assert new_secret != SECRET
    client.post("/account/totp", data={"csrf_token": csrf_token_from(page), "code": pyotp.TOTP(new_secret).now()})
    assert client.get("/").status_code == 200
    # someone whose two-factor was never reset is not asked
    other = app.test_client()
    assert login(other, untouched.email, factories.DEFAULT_PASSWORD).headers["Location"] == "/"
