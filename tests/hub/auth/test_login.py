"""Login: success, failure, lockout with growing wait, identical refusals, throttling, rehash."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import clock
from hub.accounts.models import User, UserSession
from hub.accounts.passwords import hash_password
from hub.auth import login as login_module
from hub.auth.models import LoginAttempt
from hub.auth.views import GENERIC_REFUSAL
from hub.extensions import db
from tests import factories
from tests.forms import login, submit
from tests.hub.auth.support import audit_actions, comparable, count

WRONG = "not-the-password-at-all"


@pytest.fixture
def agent(app: Flask) -> User:
    user = factories.make_user(role="agent", hub=factories.make_hub(), email="Agent.Smith@Example.test")
    db.session.commit()
    return user


def _fail(client: FlaskClient, email: str, password: str = WRONG, times: int = 1) -> str:
    body = ""
    for _ in range(times):
        response = login(client, email, password)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
    return body


def test_login_page_has_email_password_and_csrf(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page and 'name="csrf_token"' in page


def test_correct_password_logs_in_and_audits(client: FlaskClient, agent: User) -> None:
    response = login(client, "  AGENT.smith@example.test ", factories.DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    event = audit_actions("auth.login")[-1]
    assert event.actor_id == agent.id and event.hub_id == agent.hub_id and event.address == "127.0.0.1"
    assert count(UserSession) == 1


def test_wrong_password_is_refused_with_the_generic_message(client: FlaskClient, agent: User) -> None:
    body = _fail(client, agent.email)
    assert GENERIC_REFUSAL in body
    assert client.get("/").status_code == 302
    failed = audit_actions("auth.login_failed")[-1]
    assert failed.actor_label == agent.email and failed.outcome == "failure"
    assert failed.detail == {"reason": "wrong_password"}
    assert WRONG not in str(failed.detail) and WRONG not in (failed.actor_label or "")


def test_empty_fields_are_reported_by_the_field(client: FlaskClient) -> None:
    response = submit(client, "/login", {"email": "", "password": ""})
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="error"') == 2


def test_lockout_after_exactly_nine_failures(client: FlaskClient, agent: User) -> None:
    _fail(client, agent.email, times=8)
    db.session.refresh(agent)
    assert agent.failed_logins == 8 and agent.locked_until is None
    _fail(client, agent.email)
    db.session.refresh(agent)
    assert agent.locked_until is not None
    assert [e.detail["wait_seconds"] for e in audit_actions("auth.lockout")] == [60]
    # the right password does not help while locked
    assert login(client, agent.email, factories.DEFAULT_PASSWORD).status_code == 200
    # margins of seconds: the real clock keeps running under the controlled offset
    clock.advance(45)
    assert login(client, agent.email, factories.DEFAULT_PASSWORD).status_code == 200
    clock.advance(16)
    assert login(client, agent.email, factories.DEFAULT_PASSWORD).status_code == 302


def test_a_success_resets_the_count(client: FlaskClient, agent: User) -> None:
    _fail(client, agent.email, times=8)
    assert login(client, agent.email, factories.DEFAULT_PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    _fail(client, agent.email, times=8)
    db.session.refresh(agent)
    assert agent.locked_until is None and agent.failed_logins == 8


def _token(client: FlaskClient) -> str:
    from tests.forms import csrf_token_from

    return csrf_token_from(client.get("/").get_data(as_text=True))


def test_the_wait_grows_with_each_lockout_and_is_capped(app: Flask, client: FlaskClient, agent: User) -> None:
    _fail(client, agent.email, times=9)
    clock.advance(61)
    _fail(client, agent.email, times=9)  # second lockout: 120 s
    clock.advance(61)
    assert login(client, agent.email, factories.DEFAULT_PASSWORD).status_code == 200
    clock.advance(60)
    assert login(client, agent.email, factories.DEFAULT_PASSWORD).status_code == 302
    assert [e.detail["wait_seconds"] for e in audit_actions("auth.lockout")] == [60, 120]
    assert login_module.lockout_wait(30) == login_module.lockout_wait(31)
    assert login_module.lockout_wait(30).total_seconds() == app.config["LOCKOUT_MAX_SECONDS"]


def test_locked_wrong_and_unknown_get_identical_replies(client: FlaskClient, agent: User) -> None:
    other = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    wrong = login(client, other.email, WRONG)
    unknown = login(client, "nobody@example.test", WRONG)
    _fail(client, agent.email, times=9)
    locked = login(client, agent.email, factories.DEFAULT_PASSWORD)
    disabled_user = factories.make_user(role="agent", hub=other.hub, active=False)
    db.session.commit()
    disabled = login(client, disabled_user.email, factories.DEFAULT_PASSWORD)
    replies = {
        (r.status_code, comparable(r.get_data(as_text=True), email))
        for r, email in [(wrong, other.email), (unknown, "nobody@example.test"),
                         (locked, agent.email), (disabled, disabled_user.email)]
    }
    assert len(replies) == 1
    status, body = replies.pop()
    assert status == 200 and GENERIC_REFUSAL in body
    reasons = [e.detail["reason"] for e in audit_actions("auth.login_failed")]
    assert {"wrong_password", "unknown_account", "locked", "account_disabled"} <= set(reasons)


def test_unknown_account_still_verifies_a_hash(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = login_module.verify_password

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(login_module, "verify_password", spy)
    login(client, "ghost@example.test", WRONG)
    assert checked == [login_module.dummy_hash()]


def test_per_address_throttling(app: Flask, client: FlaskClient, agent: User) -> None:
    app.config["THROTTLE_PER_ADDRESS"] = 5
    for n in range(5):
        _fail(client, f"stranger{n}@example.test")
    refused = login(client, agent.email, factories.DEFAULT_PASSWORD)
    assert refused.status_code == 200 and GENERIC_REFUSAL in refused.get_data(as_text=True)
    assert audit_actions("auth.login_failed")[-1].detail == {"reason": "address_throttled"}
    # the failures are counted in the database, where every hub process sees them
    assert count(LoginAttempt) == 6
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    assert login(elsewhere, agent.email, factories.DEFAULT_PASSWORD).status_code == 302
    clock.advance(app.config["THROTTLE_WINDOW_SECONDS"] + 1)
    assert login(client, agent.email, factories.DEFAULT_PASSWORD).status_code == 302


def test_throttle_counts_across_hub_processes(make_app, app: Flask, agent: User) -> None:
    other_process = make_app(THROTTLE_PER_ADDRESS=3)
    app.config["THROTTLE_PER_ADDRESS"] = 3
    _fail(app.test_client(), "a@example.test", times=2)
    _fail(other_process.test_client(), "b@example.test")
    assert GENERIC_REFUSAL in login(app.test_client(), agent.email, factories.DEFAULT_PASSWORD).get_data(as_text=True)


def test_password_hash_is_upgraded_when_parameters_rise(make_app, app: Flask, agent: User) -> None:
    stronger = make_app(ARGON2_TIME_COST=2)
    old_hash = agent.password_hash
    assert login(stronger.test_client(), agent.email, factories.DEFAULT_PASSWORD).status_code == 302
    db.session.refresh(agent)
    assert agent.password_hash != old_hash and "t=2" in agent.password_hash


def test_no_rehash_for_current_parameters(client: FlaskClient, agent: User) -> None:
    agent.password_hash = hash_password(factories.DEFAULT_PASSWORD)
    db.session.commit()
    before = agent.password_hash
    login(client, agent.email, factories.DEFAULT_PASSWORD)
    db.session.refresh(agent)
    assert agent.password_hash == before


def test_logged_in_user_visiting_login_goes_home(client: FlaskClient, login_as) -> None:
    login_as("agent")
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"
