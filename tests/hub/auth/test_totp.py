"""TOTP: enrolment with a QR code, the second login step, replay refusal, admin enforcement."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from hub import clock
from hub.accounts.models import User
from hub.auth import totp
from hub.extensions import db
from tests import factories
from tests.forms import csrf_token_from, login, submit
from tests.hub.auth.support import audit_actions

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_now(secret: str = SECRET, offset_steps: int = 0) -> str:
    """The code for ``secret`` at the hub's (controlled) time."""
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30 * offset_steps))


def _password_step(client: FlaskClient, user: User):
    response = submit(client, "/login", {"email": user.email, "password": factories.DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login/totp"
    return response


def _totp_user() -> User:
    user = factories.make_user(role="agent", hub=factories.make_hub(), totp_secret=SECRET)
    db.session.commit()
    return user


def test_secret_is_sealed_not_stored_plain(app: Flask) -> None:
    user = _totp_user()
    assert user.totp_enabled and SECRET not in user.totp_secret_sealed
    assert totp.verify_totp(user, code_now())


def test_login_with_a_valid_code(client: FlaskClient) -> None:
    user = _totp_user()
    _password_step(client, user)
    assert client.get("/").status_code == 302  # not logged in between the steps
    response = submit(client, "/login/totp", {"code": code_now()})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert audit_actions("auth.login")[-1].actor_id == user.id


def test_codes_from_the_neighbouring_steps_are_accepted(client: FlaskClient) -> None:
    user = _totp_user()
    _password_step(client, user)
    assert submit(client, "/login/totp", {"code": code_now(offset_steps=-1)}).status_code == 302


def test_invalid_code_is_refused_and_counts_toward_lockout(client: FlaskClient) -> None:
    user = _totp_user()
    _password_step(client, user)
    response = submit(client, "/login/totp", {"code": code_now(offset_steps=3)})
    assert response.status_code == 200 and "incorrect" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 1
    assert audit_actions("auth.login_failed")[-1].detail == {"reason": "wrong_totp"}
    for _ in range(8):
        submit(client, "/login/totp", {"code": "000000"})
    db.session.refresh(user)
    assert user.locked_until is not None
    # the half-finished login is gone: back to the first step
    assert client.get("/login/totp").headers["Location"] == "/login"


def test_a_code_is_never_accepted_twice(app: Flask, client: FlaskClient) -> None:
    user = _totp_user()
    code = code_now()
    _password_step(client, user)
    assert submit(client, "/login/totp", {"code": code}).status_code == 302
    other = app.test_client()
    _password_step(other, user)
    replay = submit(other, "/login/totp", {"code": code})
    assert replay.status_code == 200
    assert other.get("/").status_code == 302
    clock.advance(30)
    assert submit(other, "/login/totp", {"code": code_now()}).status_code == 302


def test_totp_step_expires(client: FlaskClient) -> None:
    user = _totp_user()
    _password_step(client, user)
    clock.advance(301)
    assert client.get("/login/totp").headers["Location"] == "/login"


def test_totp_page_without_password_step_goes_to_login(client: FlaskClient) -> None:
    assert client.get("/login/totp").headers["Location"] == "/login"


def test_enrolment_shows_qr_and_secret_then_confirms(client: FlaskClient, login_as) -> None:
    user = login_as("hub_admin")
    page = client.get("/account/totp").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    token = csrf_token_from(page)
    db.session.refresh(user)
    assert not user.totp_enabled and secret not in (user.totp_secret_sealed or "")
    late_code = pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=300))
    wrong = client.post("/account/totp", data={"csrf_token": token, "code": late_code})
    assert wrong.status_code == 200 and "does not match" in wrong.get_data(as_text=True)
    assert secret in wrong.get_data(as_text=True)  # same secret, still before confirmation
    db.session.refresh(user)
    assert not user.totp_enabled
    response = client.post("/account/totp", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_enabled
    assert [e.actor_id for e in audit_actions("auth.totp_enabled")] == [user.id]
    # afterwards the secret never appears again
    after = client.get("/account/totp").get_data(as_text=True)
    assert secret not in after and "<svg" not in after
    # and the next login asks for a code
    client.post("/logout", data={"csrf_token": csrf_token_from(after)})
    clock.advance(30)
    assert login(client, user.email, factories.DEFAULT_PASSWORD).headers["Location"] == "/login/totp"
    assert submit(client, "/login/totp", {"code": pyotp.TOTP(secret).at(clock.now())}).status_code == 302


def test_each_enrolment_page_makes_a_new_secret(client: FlaskClient, login_as) -> None:
    login_as("agent")
    pages = [client.get("/account/totp").get_data(as_text=True) for _ in range(2)]
    secrets = {re.search(r'<code class="secret">([A-Z2-7]+)</code>', p).group(1) for p in pages}
    assert len(secrets) == 2


def test_admins_must_enrol_when_required(app: Flask, client: FlaskClient) -> None:
    app.config["REQUIRE_ADMIN_TOTP"] = True
    admin = factories.make_user(role="hub_admin", hub=factories.make_hub())
    db.session.commit()
    response = login(client, admin.email, factories.DEFAULT_PASSWORD)
    assert response.headers["Location"] == "/account/totp"
    for path in ("/", "/account/password", "/admin/"):
        assert client.get(path).headers.get("Location") == "/account/totp", path
    assert client.get("/account/totp").status_code == 200


def test_support_must_enrol_but_agents_need_not(app: Flask, client: FlaskClient) -> None:
    app.config["REQUIRE_ADMIN_TOTP"] = True
    support = factories.make_user(role="support")
    agent = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    assert login(client, support.email, factories.DEFAULT_PASSWORD).headers["Location"] == "/account/totp"
    other = app.test_client()
    assert login(other, agent.email, factories.DEFAULT_PASSWORD).headers["Location"] == "/"
    assert other.get("/").status_code == 200


def test_enrolled_admin_is_not_sent_to_enrolment(app: Flask, client: FlaskClient, login_as) -> None:
    app.config["REQUIRE_ADMIN_TOTP"] = True
    login_as("hub_admin", totp_secret=SECRET)
    assert client.get("/").status_code == 200


def test_reset_lets_the_user_log_in_with_password_then_enrol_again(client: FlaskClient) -> None:
    user = _totp_user()
    admin = factories.make_user(role="hub_admin", hub=user.hub)
    totp.reset_totp(user, actor=admin)
    db.session.commit()
    assert not user.totp_enabled and user.totp_secret_sealed is None
    assert login(client, user.email, factories.DEFAULT_PASSWORD).headers["Location"] == "/account/totp"
    assert audit_actions("auth.totp_reset")[-1].actor_id == admin.id
