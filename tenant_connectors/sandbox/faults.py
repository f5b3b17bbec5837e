"""Switchable fault injection per company: latency, 5xx errors, malformed 200s and hangs.

Faults are applied *before* a call reaches the tenant logic, so an injected failure never
changes data (and writes no audit row: the call never reached the tenant).  Settings live in
the ``companies`` table and are mirrored here so that a hung request never holds a database
transaction.  The random source is seeded and can be re-seeded through the control API.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field

from flask import Response

from tenant_connectors.sandbox.errors import error_body

#: longest a "hang" fault blocks a request
MAX_HANG_SECONDS = 120.0

_ERROR_HTML = "<html><head><title>{status}</title></head><body><h1>{status} Service Error</h1></body></html>"
_MALFORMED_BODIES: tuple[tuple[str, str], ...] = (
    ('{"items": [{"client_id": "1", "first_na', "application/json"),  # truncated JSON
    ("<!DOCTYPE html><html><body><p>Maintenance</p></body></html>", "text/html"),
    ('{"unexpected": true, "data": [1, 2, 3]}', "application/json"),  # wrong shape
    ('["not", "an", "object"]', "application/json"),
    ("", "application/json"),  # empty body
    ("OK", "text/plain"),
)


@dataclass(slots=True)
class FaultSettings:
    """The fault settings of one company."""

    latency_ms: int = 0
    error_rate: float = 0.0
    malformed_rate: float = 0.0
    hang: bool = False
    #: set whenever the company is not hanging; hung requests wait on it
    released: threading.Event = field(default_factory=threading.Event)

    def as_json(self) -> dict[str, object]:
        """The settings as the control API shows them."""
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "malformed_rate": self.malformed_rate,
            "hang": self.hang,
        }


class FaultBoard:
    """In-memory fault settings of every company of one app, plus the app's stop signal."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._settings: dict[str, FaultSettings] = {}
        self._random = random.Random(seed)  # noqa: S311 - reproducible faults, not security
        #: set when the server stops, so that hung requests return at once
        self.stopping = threading.Event()

    def reseed(self, seed: int) -> None:
        """Restart the random source (reproducible fault sequences)."""
        with self._lock:
            self._random = random.Random(seed)  # noqa: S311 - reproducible faults, not security

    def get(self, slug: str) -> FaultSettings | None:
        """The settings of ``slug`` if known."""
        with self._lock:
            return self._settings.get(slug)

    def put(self, slug: str, latency_ms: int, error_rate: float, malformed_rate: float, hang: bool) -> None:
        """Replace the settings of ``slug``; clearing ``hang`` releases waiting requests."""
        with self._lock:
            current = self._settings.setdefault(slug, FaultSettings())
            current.latency_ms = latency_ms
            current.error_rate = error_rate
            current.malformed_rate = malformed_rate
            current.hang = hang
            if hang:
                current.released.clear()
            else:
                current.released.set()

    def _draw(self) -> float:
        with self._lock:
            return self._random.random()

    def _choice(self, n: int) -> int:
        with self._lock:
            return self._random.randrange(n)

    def inject(self, slug: str) -> Response | None:
        """Apply ``slug``'s faults; a response to send instead of handling the call, or None."""
        settings = self.get(slug)
        if settings is None:
            return None
        if settings.latency_ms > 0:
            self.stopping.wait(settings.latency_ms / 1000)
        if settings.hang:
            deadline = time.monotonic() + MAX_HANG_SECONDS
            # wake up on release, on server stop, or after the cap; short waits check both events
            while not settings.released.is_set() and not self.stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                settings.released.wait(min(0.05, remaining))
            if settings.hang:
                return self._error_response()
        if settings.error_rate > 0 and self._draw() < settings.error_rate:
            return self._error_response()
        if settings.malformed_rate > 0 and self._draw() < settings.malformed_rate:
            body, mimetype = _MALFORMED_BODIES[self._choice(len(_MALFORMED_BODIES))]
            return Response(body, status=200, mimetype=mimetype)
        return None

    def _error_response(self) -> Response:
        status = 500 if self._choice(2) == 0 else 503
        if self._choice(2) == 0:
            return Response(
                json.dumps(error_body("server_error", "injected failure")), status=status, mimetype="application/json"
            )
        return Response(_ERROR_HTML.format(status=status), status=status, mimetype="text/html")
