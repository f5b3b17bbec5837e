"""Server-side sessions: timeouts on the controlled clock, revocation, replay, cookie contents."""

from __future__ import annotations

import hashlib

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import clock
from hub.accounts import service as accounts
from hub.accounts.models import UserSession
from hub.auth.sessions import SESSION_KEY
from hub.extensions import db
from tests import factories
from tests.forms import csrf_token_from, login, submit
from tests.hub.auth.support import audit_actions, clone_client, session_cookie, session_data

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def _logout(client: FlaskClient) -> None:
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_idle_timeout(app: Flask, client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    clock.advance(14 * 60)
    assert _logged_in(client)
    clock.advance(14 * 60)  # 28 minutes since login, but only 14 idle
    assert _logged_in(client)
    clock.advance(app.config["SESSION_IDLE_TIMEOUT"] + 1)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    expired = audit_actions("auth.session_expired")
    assert [(e.actor_id, e.detail["reason"]) for e in expired] == [(user.id, "idle_timeout")]
    assert db.session.scalars(select(UserSession)).one().revoked_reason == "idle_timeout"
    # coming back later does not revive it
    assert not _logged_in(client)


def test_idle_timeout_is_configurable(make_app, app: Flask) -> None:
    short = make_app(SESSION_IDLE_TIMEOUT=60)
    user = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    browser = short.test_client()
    login(browser, user.email, factories.DEFAULT_PASSWORD)
    clock.advance(61)
    assert browser.get("/").status_code == 302


def test_absolute_timeout(app: Flask, client: FlaskClient, login_as) -> None:
    login_as("agent")
    limit = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    elapsed = 0
    while elapsed + 600 < limit:  # busy all day: never idle
        clock.advance(600)
        elapsed += 600
        assert _logged_in(client), elapsed
    clock.advance(limit - elapsed + 1)
    assert not _logged_in(client)
    assert audit_actions("auth.session_expired")[-1].detail == {"reason": "absolute_timeout"}


def test_last_seen_is_written_at_most_every_30_seconds(client: FlaskClient, login_as) -> None:
    login_as("agent")
    record = db.session.scalars(select(UserSession)).one()
    first = record.last_seen_at
    clock.advance(10)
    client.get("/")
    db.session.refresh(record)
    assert record.last_seen_at == first
    clock.advance(25)
    client.get("/")
    db.session.refresh(record)
    assert record.last_seen_at > first


def test_cookie_replay_after_logout_is_refused(app: Flask, client: FlaskClient, login_as) -> None:
    login_as("agent")
    thief = clone_client(app, client)
    assert _logged_in(thief)  # the copy works while the session lives...
    _logout(client)
    assert not _logged_in(thief)  # ...and not after logout
    assert not _logged_in(client)
    record = db.session.scalars(select(UserSession)).one()
    assert record.revoked_reason == "logout"
    assert [e.action for e in audit_actions()][-1] == "auth.logout"


def test_logout_needs_post(client: FlaskClient, login_as) -> None:
    login_as("agent")
    assert client.get("/logout").status_code == 405
    assert _logged_in(client)


def test_password_change_ends_other_sessions(app: Flask, client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    laptop = app.test_client()
    login(laptop, user.email, factories.DEFAULT_PASSWORD)
    assert _logged_in(laptop)
    response = submit(client, "/account/password", {
        "current_password": factories.DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert _logged_in(client)
    assert not _logged_in(laptop)
    assert login(laptop, user.email, NEW_PASSWORD).status_code == 302
    event = audit_actions("auth.password_changed")[-1]
    assert event.actor_id == user.id and event.detail["sessions_ended"] == 1


def test_disabling_ends_every_session(app: Flask, client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    phone = app.test_client()
    login(phone, user.email, factories.DEFAULT_PASSWORD)
    admin = factories.make_user(role="hub_admin", hub=user.hub)
    accounts.disable_user(user, actor=admin)
    db.session.commit()
    assert not _logged_in(client) and not _logged_in(phone)
    assert {s.revoked_reason for s in db.session.scalars(select(UserSession))} == {"account_disabled"}
    assert login(client, user.email, factories.DEFAULT_PASSWORD).status_code == 200


def test_disabled_account_is_refused_even_without_revocation(client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    user.active = False
    db.session.commit()
    assert not _logged_in(client)


def test_deactivated_hub_ends_its_users_sessions(client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    user.hub.active = False
    db.session.commit()
    assert not _logged_in(client)


def test_cookie_holds_only_the_session_id(app: Flask, client: FlaskClient, login_as) -> None:
    login_as("agent")
    data = session_data(app, client)
    assert set(data) <= {SESSION_KEY, "csrf_token", "_flashes"}
    assert "_user_id" not in data
    record = db.session.scalars(select(UserSession)).one()
    # the database holds only a hash of the id: a dump yields no usable cookie
    assert record.id_hash == hashlib.sha256(data[SESSION_KEY].encode()).hexdigest()
    assert data[SESSION_KEY] not in record.id_hash
    assert len(data[SESSION_KEY]) >= 43


def test_new_session_id_at_every_login(app: Flask, client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    first = session_data(app, client)[SESSION_KEY]
    _logout(client)
    login(client, user.email, factories.DEFAULT_PASSWORD)
    second = session_data(app, client)[SESSION_KEY]
    assert first != second


def test_planted_session_id_is_replaced_at_login(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    with client.session_transaction() as sess:
        sess[SESSION_KEY] = "planted-by-an-attacker"
    login(client, user.email, factories.DEFAULT_PASSWORD)
    assert session_data(app, client)[SESSION_KEY] != "planted-by-an-attacker"


def test_no_remember_me_cookie(client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    _logout(client)
    response = login(client, user.email, factories.DEFAULT_PASSWORD)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all(c.startswith("hub_session=") for c in cookies)
    assert "remember" not in " ".join(cookies).lower()
    assert session_cookie(client) is not None
    assert "Expires" not in cookies[0] and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]


def test_forged_session_id_is_anonymous(app: Flask, client: FlaskClient) -> None:
    with client.session_transaction() as sess:
        sess[SESSION_KEY] = "guessed-session-id"
    assert not _logged_in(client)
