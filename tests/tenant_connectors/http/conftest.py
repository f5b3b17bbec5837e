"""Fixtures for the HTTP connector's unit tests: a connector on an ``httpx.MockTransport``.

``connect(handler, ...)`` builds an :class:`HttpTenantConnector` whose requests go to ``handler``
(a function ``httpx.Request -> httpx.Response``); every connector is closed at teardown.
``replies`` holds valid JSON bodies for each reply shape, carrying the canary secrets below, so a
test can break one field at a time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tenant_connectors.base import (
    CompanyRef,
    Identity,
    SeatStatus,
    TenantSession,
    Timeouts,
    UserType,
)
from tenant_connectors.http import HttpTenantConnector, RetryPolicy

BASE_URL = "https://tenant.example:8443/t/good-therapy/api/v1"
TENANT = "tenant.example:8443/t/good-therapy/api/v1"
#: canary secrets: none of them may ever show up in an exception, a repr or a log record
CANARY_PASSWORD = "canary-Passw0rd-7f3a91"
CANARY_TOKEN = "canary-token-5be20c77d1"
CANARY_TOTP = "731942"
CANARY_CHALLENGE = "canary-challenge-c0ffee42"
CANARIES = (CANARY_PASSWORD, CANARY_TOKEN, CANARY_TOTP, CANARY_CHALLENGE)

Handler = Callable[[httpx.Request], httpx.Response]


def envelope(code: str, message: str = "refused", fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The tenant API's error body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def _company(cid: str, name: str) -> dict[str, str]:
    return {"company_id": cid, "name": name}


def _identity(uid: str, kind: str, company: dict[str, str]) -> dict[str, Any]:
    return {"user_id": uid, "display_name": uid, "user_type": kind, "company": company}


class Replies:
    """Valid reply bodies and error envelopes (deep-copied on every access so tests can mutate them)."""

    _acme = _company("acme", "ACME Billing")
    _gt = _company("good-therapy", "Good Therapy, Inc")
    _later = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0).isoformat()
    _bodies: dict[str, Any] = {
        "challenge": {
            "status": "secondary_required",
            "challenge": {
                "challenge_id": CANARY_CHALLENGE,
                "billing_company": _acme,
                "billing_user": _identity("gt-acme-full", "billing", _gt),
                "expires_at": _later,
            },
        },
        "session": {
            "token": CANARY_TOKEN,
            "expires_at": _later,
            "billing_user": _identity("gt-acme-full", "billing", _gt),
            "acting_for": _identity("acme.alice", "restricted", _acme),
            "permissions": ["clients:read", "payers:read", "payers:write"],
            "seat": {"user_type": "billing", "charged": False},
            "tenant": _gt,
        },
        "client_payer": {
            "client_payer_id": "11",
            "client_id": "3",
            "payer_id": "2",
            "payer_name": "Blue Shield",
            "rank": 1,
            "distribution": "difference_percent",
            "amount": "80.00",
            "week_start_day": None,
            "pay_start": "2026-01-01",
            "pay_end": None,
            "status": "active",
        },
        "client_page": {
            "items": [{"client_id": "3", "first_name": "Ana", "last_name": "Rivera", "account_number": "A-3",
                       "active": True}],
            "total": 1, "offset": 0, "limit": 50,
        },
        "audit_page": {
            "items": [{
                "event_id": "e1", "occurred_at": "2026-11-23T09:00:00+00:00", "action": "proxy_login",
                "entity_type": None, "entity_id": None, "user_id": "gt-acme-full", "user_name": "GT ACME",
                "user_type": "billing", "on_behalf_of_user_id": "acme.alice", "on_behalf_of_name": "Alice",
                "billing_company": _acme, "proxy": True, "ip_address": "127.0.0.1", "source_port": 50211,
                "platform": "python-httpx", "os": "Linux", "detail": None,
            }],
            "next_cursor": "c1", "has_more": True,
        },
    }  # fmt: skip

    def __getitem__(self, name: str) -> Any:
        return copy.deepcopy(self._bodies[name])

    @staticmethod
    def error(code: str, message: str = "refused", fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
        """An error envelope."""
        return envelope(code, message, fields)

    def authenticated(self) -> dict[str, Any]:
        """The reply of a completed login."""
        return {"status": "authenticated", "session": self["session"]}


@pytest.fixture
def replies() -> Replies:
    """Valid reply bodies."""
    return Replies()


@pytest.fixture
def session() -> TenantSession:
    """An open session holding the canary token."""
    gt = CompanyRef("good-therapy", "Good Therapy, Inc")
    acme = CompanyRef("acme", "ACME Billing")
    return TenantSession(
        token=CANARY_TOKEN,
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
        billing_user=Identity("gt-acme-full", "GT ACME", UserType.BILLING, gt),
        acting_for=Identity("acme.alice", "Alice", UserType.RESTRICTED, acme),
        permissions=frozenset({"clients:read", "payers:read", "payers:write"}),
        seat=SeatStatus(UserType.BILLING, charged=False),
        tenant=gt,
    )


@pytest.fixture
def connect() -> Iterator[Callable[..., HttpTenantConnector]]:
    """Build connectors on a mock transport; ``calls`` on the handler's list records requests."""
    made: list[HttpTenantConnector] = []

    def build(
        handler: Handler,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> HttpTenantConnector:
        connector = HttpTenantConnector(
            BASE_URL,
            timeouts=timeouts or Timeouts(connect=1.0, read=1.0, total=5.0),
            transport=httpx.MockTransport(handler),
            # quick back-off so retry tests take milliseconds
            retry=retry or RetryPolicy(attempts=3, backoff=0.001, max_backoff=0.01),
            **kwargs,
        )
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


Answer = Exception | tuple[Any, ...] | Handler


class Recorder:
    """A mock handler that answers from a list (the last answer repeats) and records requests.

    An answer is an exception to raise, a handler to call, or ``(status, body[, headers])`` where
    a dict/list body is sent as JSON and bytes/str as they are (a fresh response every time).
    """

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, tuple):
            status, body, *rest = answer
            headers = rest[0] if rest else None
            if isinstance(body, dict | list):
                return httpx.Response(status, json=body, headers=headers)
            return httpx.Response(status, content=body, headers=headers)
        return answer(request)

    @property
    def calls(self) -> int:
        """How many requests arrived."""
        return len(self.requests)


@pytest.fixture
def recorder() -> type[Recorder]:
    """The :class:`Recorder` class (tests instantiate it with their answers)."""
    return Recorder


@pytest.fixture
def canaries() -> tuple[str, ...]:
    """Every canary secret used by :class:`Replies` and ``session``."""
    return CANARIES
