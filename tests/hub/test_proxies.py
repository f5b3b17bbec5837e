"""HUB_TRUSTED_PROXIES: whose X-Forwarded-* headers decide the address the audit log and the login
throttle see (nobody's by default)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import create_app
from hub.accounts.models import User, UserSession
from hub.auth.models import LoginAttempt
from hub.auth.views import GENERIC_REFUSAL
from hub.extensions import db
from tests import factories
from tests.forms import login
from tests.hub.auth.support import audit_actions
from tests.hub.conftest import TEST_CONFIG

WRONG = "not-the-password-at-all"
PROXY = "192.0.2.1"  # documentation addresses (RFC 5737): never contacted, only written in the environ


def _agent() -> User:
    user = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    return user


def _client(app: Flask, *, remote: str = "127.0.0.1", forwarded_for: str | None = None) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    if forwarded_for is not None:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def test_without_trusted_proxies_a_forged_forwarded_for_cannot_evade_the_throttle(app: Flask) -> None:
    app.config["THROTTLE_PER_ADDRESS"] = 3
    agent = _agent()
    for n in range(3):  # every attempt claims to come from somewhere else
        refused = login(_client(app, forwarded_for=f"203.0.113.{n}"), "nobody@example.test", WRONG)
        assert refused.status_code == 200
    response = login(_client(app, forwarded_for="203.0.113.99"), agent.email, factories.DEFAULT_PASSWORD)
    assert response.status_code == 200 and GENERIC_REFUSAL in response.get_data(as_text=True)
    throttled = audit_actions("auth.login_failed")[-1]
    assert throttled.detail == {"reason": "address_throttled"} and throttled.address == "127.0.0.1"
    assert set(db.session.scalars(select(LoginAttempt.address))) == {"127.0.0.1"}


def test_behind_one_trusted_proxy_the_forwarded_client_is_recorded_and_throttled(
    make_app: Callable[..., Flask],
) -> None:
    proxied = make_app(TRUSTED_PROXIES=1, THROTTLE_PER_ADDRESS=3)
    with proxied.app_context():
        agent = _agent()
        # the client forges a first entry; the proxy appends the address it really sees, which wins
        attacker = _client(proxied, remote=PROXY, forwarded_for="198.51.100.1, 203.0.113.7")
        for _ in range(3):
            assert login(attacker, "nobody@example.test", WRONG).status_code == 200
        assert [e.address for e in audit_actions("auth.login_failed")] == ["203.0.113.7"] * 3
        refused = login(attacker, agent.email, factories.DEFAULT_PASSWORD)
        assert refused.status_code == 200 and GENERIC_REFUSAL in refused.get_data(as_text=True)
        assert audit_actions("auth.login_failed")[-1].detail == {"reason": "address_throttled"}
        # another client behind the same proxy is not throttled with the attacker
        colleague = _client(proxied, remote=PROXY, forwarded_for="203.0.113.8")
        assert login(colleague, agent.email, factories.DEFAULT_PASSWORD).status_code == 302
        assert audit_actions("auth.login")[-1].address == "203.0.113.8"
        assert db.session.scalars(select(UserSession.address)).one() == "203.0.113.8"


def test_trusted_proxy_count_must_be_a_whole_number(tmp_path) -> None:
    base = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hub.sqlite3'}"}
    assert create_app(base).config["TRUSTED_PROXIES"] == 0
    assert create_app({**base, "TRUSTED_PROXIES": "2"}).config["TRUSTED_PROXIES"] == 2
    for bad in ("yes", -1, True, 1.5):
        with pytest.raises(ValueError, match="HUB_TRUSTED_PROXIES"):
            create_app({**base, "TRUSTED_PROXIES": bad})


def test_trusted_proxies_from_the_environment(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TRUSTED_PROXIES", "1")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hub.sqlite3'}"})
    assert app.config["TRUSTED_PROXIES"] == 1
