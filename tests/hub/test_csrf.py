"""CSRF: every state-changing request without a valid token is refused and changes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.accounts.models import User, UserSession
from hub.audit.models import AuditEvent
from hub.auth.models import LoginAttempt
from hub.extensions import db
from hub.security import CSRF_MESSAGE
from tests import factories
from tests.forms import csrf_token_from, submit
from tests.hub.auth.support import build_url, count

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _snapshot() -> tuple:
    db.session.expire_all()
    users = tuple(
        (u.id, u.password_hash, u.totp_secret_sealed, u.totp_enabled, u.failed_logins, u.active)
        for u in db.session.scalars(select(User).order_by(User.id))
    )
    sessions = tuple((s.id, s.revoked_at) for s in db.session.scalars(select(UserSession).order_by(UserSession.id)))
    return users, sessions, count(AuditEvent), count(LoginAttempt)


def _refused(response) -> None:
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)


FORMS = {
    "/logout": {},
    "/account/password": {"current_password": factories.DEFAULT_PASSWORD, "new_password": "fresh-passphrase-99",
                          "confirm": "fresh-passphrase-99"},
    "/account/totp": {"code": "123456"},
}


@pytest.mark.parametrize("bad_token", [None, "", "forged-token"])
def test_login_without_a_valid_token_is_refused(client: FlaskClient, bad_token: str | None) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    before = _snapshot()
    data = {"email": user.email, "password": factories.DEFAULT_PASSWORD}
    if bad_token is not None:
        data["csrf_token"] = bad_token
    _refused(client.post("/login", data=data))
    assert _snapshot() == before
    assert client.get("/").status_code == 302


def test_second_login_step_without_token_is_refused(client: FlaskClient) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub(), totp_secret=TOTP_SECRET)
    db.session.commit()
    submit(client, "/login", {"email": user.email, "password": factories.DEFAULT_PASSWORD})
    before = _snapshot()
    _refused(client.post("/login/totp", data={"code": "123456"}))
    assert _snapshot() == before


@pytest.mark.parametrize("path", sorted(FORMS))
def test_account_forms_without_token_are_refused(client: FlaskClient, login_as, path: str) -> None:
    login_as("hub_admin")
    client.get("/account/totp")  # start an enrolment, so the pending secret exists before the snapshot
    before = _snapshot()
    _refused(client.post(path, data=FORMS[path]))
    assert _snapshot() == before
    assert client.get("/").status_code == 200  # still logged in: logout did not happen


def test_a_token_from_another_session_is_refused(app: Flask, client: FlaskClient, login_as) -> None:
    login_as("agent")
    other = app.test_client()
    foreign_token = csrf_token_from(other.get("/login").get_data(as_text=True))
    before = _snapshot()
    _refused(client.post("/logout", data={"csrf_token": foreign_token}))
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["hub_admin", "support"])
def test_every_post_route_refuses_a_missing_token(app: Flask, client: FlaskClient, login_as, role: str) -> None:
    """The whole URL map, Flask-Admin's views included: no state change without the token."""
    login_as(role)
    before = _snapshot()
    posted = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint == "auth.logout":
            continue
        url = build_url(app, rule)
        response = client.post(url, data={"id": "1", "name": "x", "rowid": "1", "action": "delete"})
        assert response.status_code == 400, (rule.endpoint, response.status_code)
        posted += 1
    assert posted >= 3
    assert _snapshot() == before
