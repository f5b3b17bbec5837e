"""Hub fixtures: an app with a fresh database per test, on SQLite and (when configured) PostgreSQL.

Every test that takes ``app`` runs once per backend in ``BACKENDS``; PostgreSQL joins when
``HUB_TEST_DATABASE_URL`` is set (CI sets it) and each test gets its own throw-away schema.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import clock, create_app
from hub.extensions import db
from hub.testing import scratch_schema
from tests import factories
from tests.forms import login

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

#: a key ring used only by tests (two keys so rotation has somewhere to go)
TEST_VAULT_KEYS = (
    "k2:dGVzdC12YXVsdC1rZXktdHdvLTMyLWJ5dGVzLWxvbmc=,"
    "k1:dGVzdC12YXVsdC1rZXktb25lLTMyLWJ5dGVzLWxvbmc="
)

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
    "VAULT_KEYS": TEST_VAULT_KEYS,
    # cheap hashing keeps the suite fast; production uses argon2-cffi's defaults or stronger
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8192,
    "ARGON2_PARALLELISM": 1,
    "SERVER_NAME": "hub.test",
}


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database nobody else sees: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        return
    assert PG_URL is not None
    with scratch_schema(PG_URL, prefix="t") as url:
        yield url


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test database (several may share it, like several hub processes)."""
    built: list[Flask] = []

    def _make(**overrides: object) -> Flask:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        if not built:
            with app.app_context():
                db.create_all()
        built.append(app)
        return app

    yield _make
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """The hub app with an app context pushed (so factories and queries work directly)."""
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client (cookies kept, CSRF enforced)."""
    return app.test_client()


@pytest.fixture
def login_as(app: Flask, client: FlaskClient) -> Callable[..., object]:
    """Create an account of ``role`` (in a new hub unless one is given) and log ``client`` in."""

    def _login_as(role: str, *, hub: object | None = None, **user_fields: object) -> object:
        if hub is None and role != "support":
            hub = factories.make_hub()
        user = factories.make_user(role=role, hub=hub, **user_fields)
        db.session.commit()
        totp_secret = user_fields.get("totp_secret")
        response = login(client, user.email, factories.DEFAULT_PASSWORD, totp_secret=totp_secret)
        assert response.status_code in (302, 303), response.status_code
        return user

    return _login_as
