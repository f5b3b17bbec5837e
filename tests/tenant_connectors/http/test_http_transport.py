"""Transport rules: redirects refused, bodies bounded, GETs (only) retried, the deadline kept."""

from __future__ import annotations

import inspect
import time
from datetime import date

import httpx
import pytest

from tenant_connectors import registry
from tenant_connectors.base import (
    PayerStatus,
    StatusChangeRequest,
    TenantConnectionError,
    TenantProtocolError,
    TenantServerError,
    TenantTimeout,
    Timeouts,
)
from tenant_connectors.http import HttpTenantConnector, RetryPolicy
from tenant_connectors.http.transport import Reply, TenantTransport

OK_PAYERS = (200, {"items": []})


def _status_change() -> StatusChangeRequest:
    return StatusChangeRequest(PayerStatus.HOLD, date(2026, 1, 1), note="waiting for renewal")


def test_registered_under_its_slug():
    assert registry.get("http") is HttpTenantConnector
    assert HttpTenantConnector.slug == "http" and HttpTenantConnector.title == "HTTP JSON tenant API"


def test_tls_verification_cannot_be_disabled():
    assert "verify" not in inspect.signature(HttpTenantConnector).parameters
    assert "verify" not in inspect.signature(TenantTransport).parameters


def test_base_url_with_credentials_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as caught:
        HttpTenantConnector("https://user:s3cret-in-url@tenant.example/t/x/api/v1")
    assert "s3cret-in-url" not in str(caught.value)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_is_refused_and_not_followed(connect, recorder, session, status):
    handler = recorder((status, b"", {"Location": "https://evil.example/steal"}))
    connector = connect(handler)
    with pytest.raises(TenantProtocolError, match="redirect"):
        connector.list_payers(session)
    assert handler.calls == 1  # never followed: the bearer token reached only the tenant
    assert all(r.url.host == "tenant.example" for r in handler.requests)


def test_redirect_on_login_is_refused(connect, recorder):
    handler = recorder((307, b"", {"Location": "https://evil.example/auth/login"}))
    with pytest.raises(TenantProtocolError, match="redirect"):
        connect(handler).begin_login("gt-acme-full", "pw-12345678")
    assert handler.calls == 1


def test_bearer_token_and_path_template(connect, recorder, session):
    handler = recorder(OK_PAYERS)
    connect(handler).list_client_payers(session, "a/b")
    (request,) = handler.requests
    assert request.headers["Authorization"] == f"Bearer {session.token}"
    assert request.url.raw_path == b"/t/good-therapy/api/v1/clients/a%2Fb/payers"
    assert request.url.query == b""


def test_attempt_timeouts_come_from_timeouts(connect, recorder, session):
    handler = recorder(OK_PAYERS)
    connect(handler, timeouts=Timeouts(connect=0.7, read=1.3, total=9.0)).list_payers(session)
    timeout = handler.requests[0].extensions["timeout"]
    assert timeout == {"connect": 0.7, "read": 1.3, "write": 1.3, "pool": 0.7}


def test_oversized_declared_body_is_refused(connect, recorder, session):
    handler = recorder((200, b"{}", {"Content-Length": str(10 * 1024 * 1024), "Content-Type": "application/json"}))
    with pytest.raises(TenantProtocolError, match="larger"):
        connect(handler).list_payers(session)


def test_oversized_streamed_body_is_abandoned(connect, session):
    produced: list[int] = []

    def chunks():
        for i in range(1000):
            produced.append(i)
            yield b"x" * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks(), headers={"Content-Type": "application/json"})

    with pytest.raises(TenantProtocolError, match="larger"):
        connect(handler, max_response_bytes=16 * 1024).list_payers(session)
    assert len(produced) < 50  # stopped reading soon after the cap


def test_body_cut_off_by_the_peer_is_a_protocol_error(connect, session):
    def chunks():
        yield b'{"items": ['
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks(), headers={"Content-Type": "application/json"})

    with pytest.raises(TenantProtocolError) as caught:
        connect(handler).list_payers(session)
    assert caught.value.__context__ is None and caught.value.__cause__ is None


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_get_is_retried_after_transient_statuses(connect, recorder, session, status):
    handler = recorder((status, {"error": {"code": "server_error", "message": "busy"}}), OK_PAYERS)
    assert connect(handler).list_payers(session) == ()
    assert handler.calls == 2


def test_get_gives_up_after_the_attempts(connect, recorder, session):
    handler = recorder((503, {"error": {"code": "server_error", "message": "busy"}}))
    with pytest.raises(TenantServerError) as caught:
        connect(handler, retry=RetryPolicy(attempts=3, backoff=0.001)).list_payers(session)
    assert caught.value.status_code == 503
    assert handler.calls == 3


def test_get_is_not_retried_after_500(connect, recorder, session):
    handler = recorder((500, {"error": {"code": "server_error", "message": "bug"}}), OK_PAYERS)
    with pytest.raises(TenantServerError):
        connect(handler).list_payers(session)
    assert handler.calls == 1


@pytest.mark.parametrize("status", [429, 503])
def test_writes_are_never_retried(connect, recorder, session, status):
    handler = recorder((status, {"error": {"code": "server_error", "message": "busy"}}))
    connector = connect(handler)
    with pytest.raises(TenantServerError) as caught:
        connector.change_client_payer_status(session, "3", "11", _status_change())
    assert caught.value.status_code == status
    with pytest.raises(TenantServerError):
        connector.logout(session)
    assert handler.calls == 2  # one each, no repeats
    assert [r.method for r in handler.requests] == ["POST", "POST"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectError("connection refused"), TenantConnectionError),
        (httpx.ReadTimeout("timed out"), TenantTimeout),
        (httpx.ConnectTimeout("timed out"), TenantTimeout),
        (httpx.RemoteProtocolError("server disconnected"), TenantConnectionError),
    ],
)
def test_network_failures_are_typed_and_retried_for_get_only(connect, recorder, session, error, expected):
    handler = recorder(error, OK_PAYERS)
    assert connect(handler).list_payers(session) == ()
    assert handler.calls == 2
    post_handler = recorder(error, OK_PAYERS)
    with pytest.raises(expected) as caught:
        connect(post_handler).change_client_payer_status(session, "3", "11", _status_change())
    assert post_handler.calls == 1
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_retry_after_longer_than_the_deadline_is_not_waited_for(connect, recorder, session):
    handler = recorder((429, {"error": {"code": "server_error", "message": "slow down"}}, {"Retry-After": "30"}))
    started = time.monotonic()
    with pytest.raises(TenantServerError) as caught:
        connect(handler, timeouts=Timeouts(connect=0.5, read=0.5, total=2.0)).list_payers(session)
    assert caught.value.status_code == 429
    assert handler.calls == 1
    assert time.monotonic() - started < 1.0


def test_retry_after_is_honoured():
    waits: list[float] = []
    handler_calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        handler_calls.append(1)
        if len(handler_calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "2"})
        return httpx.Response(200, json={"items": []})

    transport = TenantTransport(
        Timeouts(total=10.0), tenant="t", transport=httpx.MockTransport(handler), sleep=waits.append
    )
    try:
        reply = transport.request("GET", "https://t.example/payers", template="/payers")
    finally:
        transport.close()
    assert isinstance(reply, Reply) and reply.status == 200 and reply.attempts == 2
    assert waits == [2.0]


def test_backoff_grows_exponentially_with_jitter():
    waits: list[float] = []
    transport = TenantTransport(
        Timeouts(total=60.0),
        tenant="t",
        transport=httpx.MockTransport(lambda request: httpx.Response(503)),
        retry=RetryPolicy(attempts=4, backoff=0.1, max_backoff=10.0),
        sleep=waits.append,
    )
    try:
        reply = transport.request("GET", "https://t.example/payers", template="/payers")
    finally:
        transport.close()
    assert reply.status == 503 and reply.attempts == 4
    assert len(waits) == 3
    for n, wait in enumerate(waits):
        assert 0.05 * 2**n <= wait <= 0.1 * 2**n


def test_deadline_bounds_all_retries(connect, session):
    calls: list[float] = []

    def slow_timeout(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        time.sleep(0.3)
        raise httpx.ReadTimeout("timed out")

    connector = connect(
        slow_timeout,
        timeouts=Timeouts(connect=0.3, read=0.3, total=1.0),
        retry=RetryPolicy(attempts=50, backoff=0.01, max_backoff=0.05),
    )
    started = time.monotonic()
    with pytest.raises(TenantTimeout):
        connector.list_payers(session)
    assert time.monotonic() - started < 1.0 + 0.5
    assert 2 <= len(calls) <= 4


def test_deadline_stops_a_slow_trickle(connect, session):
    def trickle():
        for _ in range(20):
            time.sleep(0.1)
            yield b" "

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=trickle(), headers={"Content-Type": "application/json"})

    started = time.monotonic()
    with pytest.raises(TenantTimeout):
        connect(handler, timeouts=Timeouts(connect=0.5, read=0.5, total=0.5)).list_payers(session)
    assert time.monotonic() - started < 0.5 + 0.5


def test_each_attempt_gets_only_what_is_left_of_the_deadline(connect, session):
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        time.sleep(0.4)
        return httpx.Response(503)

    connector = connect(
        handler,
        timeouts=Timeouts(connect=5.0, read=5.0, total=1.0),
        retry=RetryPolicy(attempts=5, backoff=0.01, max_backoff=0.01),
    )
    with pytest.raises(TenantServerError):
        connector.list_payers(session)
    assert seen[0]["read"] <= 1.0
    assert seen[-1]["read"] < seen[0]["read"]
