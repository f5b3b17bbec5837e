"""Bounded HTTP exchanges with one tenant: pooling, timeouts, a per-call deadline, retries, size cap.

:class:`TenantTransport` owns one pooled :class:`httpx.Client` and turns every network outcome
into either a :class:`Reply` (status, content type, body bytes) or a typed
:class:`~tenant_connectors.base.TenantError`.  It knows nothing about the JSON API itself; the
connector maps replies to contract data.

Rules it enforces:

* every call ends by ``Timeouts.total`` (retries and back-off included); each attempt's connect and
  read timeouts are clipped to what is left of that deadline;
* only idempotent reads (GET) are retried, and only after connection errors, timeouts, 502/503/504
  and 429 (``Retry-After`` honoured when it fits in the deadline) - a write is never repeated;
* redirects are never followed, so a bearer token can never travel to another host;
* the body is streamed and abandoned beyond ``max_response_bytes`` (decoded size, so a compressed
  bomb is caught too);
* TLS verification cannot be switched off (only a CA bundle can be supplied).

httpx exceptions are never chained onto the errors raised here: the outcome of an attempt is
recorded inside the ``except`` block and the typed error is raised outside it, so neither
``__cause__`` nor ``__context__`` carries httpx's text (which may hold the URL) into a traceback.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from os import PathLike
from typing import Any

import httpx

from tenant_connectors.base import (
    TenantConnectionError,
    TenantError,
    TenantProtocolError,
    TenantTimeout,
    Timeouts,
)

logger = logging.getLogger(__name__)

#: replies larger than this are refused (the largest legitimate page is far below it)
DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024

_RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
_USER_AGENT = "billing-hub-tenant-connector/1"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How idempotent reads are retried; writes are never retried whatever this says."""

    #: attempts in all for one GET (1 disables retries)
    attempts: int = 3
    #: first back-off in seconds; doubles per attempt, jittered to 50-100 %
    backoff: float = 0.1
    #: ceiling of one back-off (a longer ``Retry-After`` is honoured if the deadline allows)
    max_backoff: float = 2.0


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete, size-checked tenant reply."""

    status: int
    content_type: str
    body: bytes
    attempts: int
    #: seconds asked for by a ``Retry-After`` header, if any
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why an attempt produced no reply; turned into a typed error once retries are over."""

    kind: type[TenantError]
    message: str
    retryable: bool


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class TenantTransport:
    """One tenant's pooled HTTP client with deadline, retry and size rules."""

    def __init__(
        self,
        timeouts: Timeouts,
        *,
        tenant: str,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limits: httpx.Limits | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        ca_bundle: str | PathLike[str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._timeouts = timeouts
        self._tenant = tenant
        self._retry = retry or RetryPolicy()
        self._max_bytes = max_response_bytes
        self._sleep = sleep
        # jitter only spreads retries out; it protects nothing, so a non-crypto RNG is right
        self._rng = random.Random()  # noqa: S311
        self._client = httpx.Client(
            transport=transport,
            limits=limits or httpx.Limits(max_connections=20, max_keepalive_connections=10),
            timeout=self._attempt_timeout(timeouts.total),
            follow_redirects=False,
            # a CA bundle may be supplied; there is deliberately no way to pass verify=False
            verify=str(ca_bundle) if ca_bundle is not None else True,
            # no proxies, netrc credentials or CA overrides picked up from the environment
            trust_env=False,
            headers={"User-Agent": _USER_AGENT, "Accept": "application/json"},
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        connect = max(0.001, min(self._timeouts.connect, remaining))
        read = max(0.001, min(self._timeouts.read, remaining))
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def request(
        self,
        method: str,
        url: str,
        *,
        template: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
        token: str | None = None,
    ) -> Reply:
        """Perform one call (retrying a GET when allowed) and return the final reply.

        Raises :class:`TenantTimeout`, :class:`TenantConnectionError` or
        :class:`TenantProtocolError` (oversized or cut-off body) when no usable reply came.
        """
        started = time.monotonic()
        deadline = started + self._timeouts.total
        idempotent = method == "GET"
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        content = json.dumps(body).encode() if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        attempts = 0
        while True:
            attempts += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                outcome: Reply | _Failure = _Failure(TenantTimeout, "deadline passed", retryable=False)
                break
            outcome = self._attempt(
                # built inside the attempt so that even an unbuildable request becomes a typed error
                partial(
                    self._client.build_request, method, url, params=params, headers=headers, content=content,
                    timeout=self._attempt_timeout(remaining),
                ),
                deadline,
                attempts,
            )  # fmt: skip
            if not idempotent or attempts >= self._retry.attempts:
                break
            delay = self._retry_delay(outcome, attempts)
            if delay is None or time.monotonic() + delay >= deadline:
                break
            self._sleep(delay)
        elapsed = time.monotonic() - started
        status = outcome.status if isinstance(outcome, Reply) else outcome.kind.code
        logger.debug(
            "tenant %s: %s %s -> %s in %.3fs (%d attempt%s)",
            self._tenant,
            method,
            template,
            status,
            elapsed,
            attempts,
            "" if attempts == 1 else "s",
        )
        if isinstance(outcome, _Failure):
            raise outcome.kind(f"{method} {template}: {outcome.message}", tenant=self._tenant)
        return outcome

    def _retry_delay(self, outcome: Reply | _Failure, attempts: int) -> float | None:
        """Seconds to wait before the next attempt, or None when the outcome is final."""
        if isinstance(outcome, _Failure):
            if not outcome.retryable:
                return None
            asked = None
        elif outcome.status in _RETRYABLE_STATUS:
            asked = outcome.retry_after
        else:
            return None
        step = min(self._retry.max_backoff, self._retry.backoff * 2 ** (attempts - 1))
        jittered = step * self._rng.uniform(0.5, 1.0)
        return asked if asked is not None else jittered

    def _attempt(self, build: Callable[[], httpx.Request], deadline: float, attempts: int) -> Reply | _Failure:
        """Send once and read the whole body within the size cap and the deadline."""
        failure: _Failure | None = None
        try:
            response = self._client.send(build(), stream=True)
        except httpx.TimeoutException:
            failure = _Failure(TenantTimeout, "no answer within the timeout", retryable=True)
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError):
            failure = _Failure(TenantConnectionError, "connection failed", retryable=True)
        except (httpx.HTTPError, httpx.InvalidURL):
            failure = _Failure(TenantConnectionError, "request could not be sent", retryable=False)
        if failure is not None:
            return failure
        try:
            return self._read(response, deadline, attempts)
        finally:
            response.close()

    def _read(self, response: httpx.Response, deadline: float, attempts: int) -> Reply | _Failure:
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        if 300 <= status < 400:
            # never read or follow: the connector reports the redirect as a protocol error
            return Reply(status=status, content_type=content_type, body=b"", attempts=attempts)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            return _Failure(TenantProtocolError, "reply larger than allowed", retryable=False)
        chunks: list[bytes] = []
        size = 0
        failure: _Failure | None = None
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self._max_bytes:
                    failure = _Failure(TenantProtocolError, "reply larger than allowed", retryable=False)
                    break
                if time.monotonic() > deadline:
                    failure = _Failure(TenantTimeout, "reply not complete within the deadline", retryable=False)
                    break
                chunks.append(chunk)
        except httpx.TimeoutException:
            failure = _Failure(TenantTimeout, "reply not complete within the timeout", retryable=True)
        except (httpx.RemoteProtocolError, httpx.DecodingError):
            # the headers came but the body was cut off or undecodable: a broken reply
            failure = _Failure(TenantProtocolError, "reply truncated or undecodable", retryable=False)
        except (httpx.HTTPError, httpx.StreamError):
            failure = _Failure(TenantConnectionError, "connection lost while reading", retryable=True)
        if failure is not None:
            return failure
        return Reply(
            status=status,
            content_type=content_type,
            body=b"".join(chunks),
            attempts=attempts,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
