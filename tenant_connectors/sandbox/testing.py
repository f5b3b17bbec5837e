"""Run the sandbox tenant in a background thread for tests (:class:`SandboxServer`)."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import flask
import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.app import create_app
from tenant_connectors.sandbox.pipeline import state


class _QuietHandler(WSGIRequestHandler):
    """Request handler that keeps test output clean (no access log lines)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log requests."""


class SandboxServer:
    """The sandbox app served on a free loopback port in a background thread (a context manager).

    ``database_url=None`` uses a fresh SQLite file in a temporary directory removed on exit.  On
    exit the fault board's stop signal releases hung requests, then the server shuts down and the
    thread is joined.  ``world`` is set by whoever seeds the database (the pytest fixture does).
    """

    def __init__(self, database_url: str | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sandbox-")
            database_url = f"sqlite:///{Path(self._tmp.name) / 'sandbox.sqlite3'}"
        self.database_url = database_url
        self.app: flask.Flask = create_app(database_url)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.url: str = f"http://{host}:{self._server.server_port}"
        self._thread: threading.Thread | None = None
        self._http = httpx.Client(base_url=self.url, timeout=10.0)
        self.world: Any = None

    # -- lifecycle
    def start(self) -> SandboxServer:
        """Start serving (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-server", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Release hung requests, stop serving, join the thread, dispose of the database."""
        st = state(self.app)
        st.faults.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()
        self._http.close()
        st.engine.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses
    def tenant_url(self, slug: str) -> str:
        """Base URL of tenant ``slug``."""
        return f"{self.url}/t/{slug}/api/v1"

    # -- control API
    def _call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.request(method, f"/_sandbox{path}", json=body)
        response.raise_for_status()
        return response.json()

    def set_faults(
        self,
        slug: str,
        *,
        latency_ms: int = 0,
        error_rate: float = 0.0,
        malformed_rate: float = 0.0,
        hang: bool = False,
        seed: int | None = None,
    ) -> None:
        """Replace the fault settings of ``slug`` (all off by default)."""
        body: dict[str, Any] = {
            "latency_ms": latency_ms,
            "error_rate": error_rate,
            "malformed_rate": malformed_rate,
            "hang": hang,
        }
        if seed is not None:
            body["seed"] = seed
        self._call("PUT", f"/companies/{slug}/faults", body)

    def set_settings(self, slug: str, *, token_ttl_seconds: int) -> None:
        """Change the token lifetime of ``slug``."""
        self._call("PUT", f"/companies/{slug}/settings", {"token_ttl_seconds": token_ttl_seconds})

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox clock forward."""
        self._call("POST", "/clock", {"advance_seconds": seconds})

    def reset_clock(self) -> None:
        """Return the sandbox clock to real time."""
        self._call("POST", "/clock", {"reset": True})

    def unlock(self, slug: str, user_id: str) -> None:
        """Unlock a locked account."""
        self._call("POST", f"/companies/{slug}/users/{user_id}/unlock", {})

    def add_audit_noise(self, slug: str, n: int) -> None:
        """Insert ``n`` extra audit rows for ``slug`` directly."""
        self._call("POST", f"/companies/{slug}/audit-noise", {"n": n})


def reset_sandbox_clock() -> None:
    """Reset the process-wide sandbox clock (fixtures call it between tests)."""
    clock.reset()
