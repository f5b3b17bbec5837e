"""Each injected fault becomes its typed error within the configured time; other tenants carry on.

Timing assertions are generous upper bounds (configured deadline + ``SLACK``), never goals.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tenant_connectors.base import (
    TenantConnectionError,
    TenantProtocolError,
    TenantServerError,
    TenantTimeout,
)

from .helpers import (
    ALICE,
    CALM_WATERS,
    CW_FULL,
    FAST,
    GOOD_THERAPY,
    GT_FULL,
    SLACK,
    closed_port,
    open_session,
)


@pytest.fixture
def fast(connector_factory):
    """A Good Therapy connector with small timeouts and an open session (faults switched on later).

    The session is opened with the default timeouts: the login is set-up, not what is tested, and on a
    loaded CI machine the sandbox's password hashing can take longer than the small read timeout.
    """
    session = open_session(connector_factory(GOOD_THERAPY), GT_FULL, ALICE)
    return connector_factory(GOOD_THERAPY, timeouts=FAST), session


def _timed(call, *args) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        call(*args)
    return caught.value, time.monotonic() - started


def test_latency_beyond_the_read_timeout(fast, sandbox):
    connector, session = fast
    sandbox.set_faults(GOOD_THERAPY, latency_ms=int((FAST.read + 1.0) * 1000))
    error, elapsed = _timed(connector.list_clients, session)
    assert isinstance(error, TenantTimeout)
    assert elapsed < FAST.total + SLACK


def test_latency_within_the_timeout_is_tolerated(fast, sandbox):
    connector, session = fast
    sandbox.set_faults(GOOD_THERAPY, latency_ms=100)
    assert connector.list_clients(session).total >= 3


def test_errors(fast, sandbox):
    connector, session = fast
    sandbox.set_faults(GOOD_THERAPY, error_rate=1.0)
    error, elapsed = _timed(connector.list_clients, session)
    assert isinstance(error, TenantServerError) and 500 <= error.status_code < 600
    assert elapsed < FAST.total + SLACK


def test_malformed_replies(fast, sandbox):
    connector, session = fast
    sandbox.set_faults(GOOD_THERAPY, malformed_rate=1.0)
    for _ in range(6):  # the sandbox varies the malformation; every kind must be caught
        error, _elapsed = _timed(connector.list_clients, session)
        assert isinstance(error, TenantProtocolError)


def test_hang_on_a_read(fast, sandbox):
    connector, session = fast
    sandbox.set_faults(GOOD_THERAPY, hang=True)
    error, elapsed = _timed(connector.list_clients, session)
    assert isinstance(error, TenantTimeout)
    assert elapsed < FAST.total + SLACK


def test_hang_on_a_write_is_not_retried(fast, sandbox):
    connector, session = fast
    sandbox.set_faults(GOOD_THERAPY, hang=True)
    error, elapsed = _timed(connector.logout, session)
    assert isinstance(error, TenantTimeout)
    assert elapsed < FAST.read + SLACK


def test_recovers_when_the_fault_clears(fast, sandbox):
    connector, session = fast
    sandbox.set_faults(GOOD_THERAPY, error_rate=1.0)
    with pytest.raises(TenantServerError):
        connector.list_payers(session)
    sandbox.set_faults(GOOD_THERAPY)
    assert connector.list_payers(session)


def test_other_tenants_are_unaffected(fast, connector_factory, sandbox):
    connector, session = fast
    calm_waters = connector_factory(CALM_WATERS)
    cw_session = open_session(calm_waters, CW_FULL, ALICE)
    sandbox.set_faults(GOOD_THERAPY, hang=True)
    started = time.monotonic()
    assert calm_waters.list_clients(cw_session).total >= 1
    # Good Therapy hangs for good: Calm Waters answering at all, within a bound, is the point
    assert time.monotonic() - started < FAST.total + SLACK
    with pytest.raises(TenantTimeout):
        connector.list_clients(session)


def test_closed_port(connector_factory):
    url = f"http://127.0.0.1:{closed_port()}/t/{GOOD_THERAPY}/api/v1"
    connector = connector_factory(GOOD_THERAPY, timeouts=FAST, base_url=url)
    error, elapsed = _timed(connector.begin_login, *GT_FULL)
    assert isinstance(error, TenantConnectionError)
    assert elapsed < FAST.total + SLACK


@pytest.fixture
def slamming_server() -> Iterator[int]:
    """A loopback port that accepts connections and closes them without answering."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_server_that_drops_the_connection(connector_factory, slamming_server):
    url = f"http://127.0.0.1:{slamming_server}/t/{GOOD_THERAPY}/api/v1"
    connector = connector_factory(GOOD_THERAPY, timeouts=FAST, base_url=url)
    error, elapsed = _timed(connector.ping)
    assert isinstance(error, TenantConnectionError)
    assert elapsed < FAST.total + SLACK


def test_stopped_server(connector_factory, sandbox):
    connector = connector_factory(GOOD_THERAPY, timeouts=FAST)
    connector.ping()
    sandbox.stop()
    error, elapsed = _timed(connector.ping)
    assert isinstance(error, TenantConnectionError)
    assert elapsed < FAST.total + SLACK
