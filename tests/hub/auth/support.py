"""Helpers for auth tests: cookies, audit look-ups, comparable page bodies."""

from __future__ import annotations

import re

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter, PathConverter, UUIDConverter

from hub.audit.models import AuditEvent
from hub.extensions import db

COOKIE = "hub_session"
HOST = "hub.test"  # TEST_CONFIG's SERVER_NAME: cookies are stored under it


def session_cookie(client: FlaskClient) -> str | None:
    """The raw value of the client's session cookie."""
    cookie = client.get_cookie(COOKIE, domain=HOST)
    return None if cookie is None else cookie.value


def clone_client(app: Flask, client: FlaskClient) -> FlaskClient:
    """A new browser holding a copy of ``client``'s session cookie (a stolen or replayed cookie)."""
    other = app.test_client()
    value = session_cookie(client)
    assert value, "the client has no session cookie to copy"
    other.set_cookie(COOKIE, value, domain=HOST)
    return other


def session_data(app: Flask, client: FlaskClient) -> dict:
    """What the signed session cookie carries."""
    value = session_cookie(client)
    if value is None:
        return {}
    serializer = app.session_interface.get_signing_serializer(app)
    return dict(serializer.loads(value))


def audit_actions(action: str | None = None) -> list[AuditEvent]:
    """Audit events in order (only ``action`` when given)."""
    db.session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def count(model: type) -> int:
    """Rows of ``model``."""
    return db.session.scalar(select(func.count()).select_from(model)) or 0


_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


def comparable(body: str, *typed: str) -> str:
    """``body`` without its CSRF token and without the values the visitor typed."""
    body = _CSRF_VALUE.sub(r"\1TOKEN\2", body)
    for value in typed:
        body = body.replace(value, "TYPED")
    return body


#: dummy values per converter, so every rule can be built
_DUMMY = [(NumberConverter, 1), (PathConverter, "x/y"), (UUIDConverter, "00000000-0000-0000-0000-000000000001")]


def _dummy(converter: object) -> object:
    return next((value for kind, value in _DUMMY if isinstance(converter, kind)), "x")


def build_url(app: Flask, rule: Rule) -> str:
    """A URL of ``rule`` with dummy values for its arguments."""
    args = {name: _dummy(conv) for name, conv in rule._converters.items()}
    with app.test_request_context():
        return url_for(rule.endpoint, **args)
