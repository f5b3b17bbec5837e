"""Canary secrets never appear in exception text, tracebacks, reprs or log records."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tenant_connectors.base import TenantError


def _leaks(text: str, canaries: tuple[str, ...]) -> list[str]:
    return [c for c in canaries if c in text]


def _exception_text(error: BaseException) -> str:
    """Everything a log handler or error page could render about ``error``."""
    parts = [str(error), repr(error), *map(repr, error.args), "".join(traceback.format_exception(error))]
    parts += [repr(value) for value in vars(error).values()]
    return "\n".join(parts)


def _echo_secrets(status: int) -> Callable[[httpx.Request], httpx.Response]:
    """A hostile tenant that echoes the request body and headers in its error message."""

    def handler(request: httpx.Request) -> httpx.Response:
        echoed = f"{request.content.decode()} {request.headers.get('Authorization')}"
        body = {"error": {"code": "validation_failed", "message": echoed, "fields": {echoed: [echoed]}}}
        if status == 401:
            body["error"]["code"] = "totp_invalid"
        return httpx.Response(status, json=body)

    return handler


def _session_reply_with(mutate: Callable[[dict[str, Any]], None], replies) -> Callable[..., httpx.Response]:
    body = replies.authenticated()
    mutate(body["session"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/login"):
            return httpx.Response(200, json=replies["challenge"])
        return httpx.Response(200, json=body)

    return handler


def _truncated_session(replies) -> Callable[[httpx.Request], httpx.Response]:
    import json

    text = json.dumps(replies.authenticated())

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/login"):
            return httpx.Response(200, json=replies["challenge"])
        # the token is inside the part that did arrive
        return httpx.Response(
            200, content=text[: text.index("expires_at")], headers={"Content-Type": "application/json"}
        )

    return handler


SCENARIOS = {
    "echoed in 422": lambda r: _echo_secrets(422),
    "echoed in 401": lambda r: _echo_secrets(401),
    "echoed in 503 envelope": lambda r: _echo_secrets(503),
    "token with a wrong neighbour": lambda r: _session_reply_with(lambda s: s.update(expires_at="soon"), r),
    "token of the wrong type": lambda r: _session_reply_with(lambda s: s.update(token=12345), r),
    "truncated session JSON": _truncated_session,
    "connect error naming the URL": lambda r: _raise(httpx.ConnectError("refused: https://tenant.example")),
    "timeout": lambda r: _raise(httpx.ReadTimeout("read timed out")),
}


def _raise(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_secrets_stay_out_of_errors_and_logs(connect, replies, session, canaries, caplog, scenario):
    password, token, totp, _challenge = canaries
    connector = connect(SCENARIOS[scenario](replies))
    caplog.set_level(logging.DEBUG)
    errors: list[TenantError] = []
    calls = [
        lambda: connector.begin_login("gt-acme-full", password),
        lambda: connector.complete_secondary(replies_challenge(connector, password), "acme.alice", password,
                                             totp_code=totp),
        lambda: connector.current_session(token),
        lambda: connector.list_payers(session),
        lambda: connector.logout(session),
    ]  # fmt: skip
    for call in calls:
        try:
            call()
        except TenantError as error:
            errors.append(error)
    assert errors, "every scenario makes at least one call fail"
    for error in errors:
        assert _leaks(_exception_text(error), canaries) == []
        assert _leaks(repr(getattr(error, "field_errors", {})), canaries) == []
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert any(r.name == "tenant_connectors.http.transport" for r in caplog.records)
    assert _leaks(logged, canaries) == []


def replies_challenge(connector, password):
    """A challenge for the secondary step (from the handler when it serves one, else a stand-in)."""
    from datetime import UTC, datetime

    from tenant_connectors.base import CompanyRef, Identity, SecondaryChallenge, UserType

    try:
        step = connector.begin_login("gt-acme-full", password)
    except TenantError:
        step = None
    if isinstance(step, SecondaryChallenge):
        return step
    acme = CompanyRef("acme", "ACME Billing")
    return SecondaryChallenge(
        "canary-challenge-c0ffee42",
        acme,
        Identity("gt-acme-full", "GT", UserType.BILLING, acme),
        datetime.now(UTC),
    )


def test_debug_line_per_call_names_the_template_not_the_ids(connect, recorder, session, caplog):
    caplog.set_level(logging.DEBUG, logger="tenant_connectors.http.transport")
    connect(recorder((200, {"items": []}))).list_client_payers(session, "client-4711")
    (record,) = [r for r in caplog.records if r.name == "tenant_connectors.http.transport"]
    message = record.getMessage()
    assert "GET /clients/{client_id}/payers -> 200" in message
    assert "client-4711" not in message


def test_dataclass_and_connector_reprs_hide_secrets(connect, recorder, replies, session, canaries):
    connector = connect(recorder((200, replies["challenge"]), (200, replies.authenticated())))
    challenge = connector.begin_login("gt-acme-full", canaries[0])
    opened = connector.complete_secondary(challenge, "acme.alice", canaries[0], totp_code=canaries[2])
    for shown in (repr(challenge), repr(opened), repr(session), str(opened), repr(connector)):
        assert _leaks(shown, canaries) == []
    assert opened.token == canaries[1] and challenge.challenge_id == canaries[3]


def test_secrets_travel_only_in_body_and_header(connect, recorder, replies, canaries):
    handler = recorder((200, replies["challenge"]), (200, replies.authenticated()))
    connector = connect(handler)
    challenge = connector.begin_login("gt-acme-full", canaries[0])
    connector.complete_secondary(challenge, "acme.alice", canaries[0], totp_code=canaries[2])
    for request in handler.requests:
        assert _leaks(str(request.url), canaries) == []
        assert request.method == "POST" and "Authorization" not in request.headers
    assert canaries[0].encode() in handler.requests[0].content
    assert canaries[2].encode() in handler.requests[1].content
