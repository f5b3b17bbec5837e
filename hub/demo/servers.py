"""WSGI apps served by waitress in background threads, stoppable from the main thread.

``waitress.serve`` blocks and stops only on a signal.  Here the asyncore loop of the server runs in
its own thread in short polls, and the *same* thread closes the listening socket, the worker pool
and every open connection when asked to stop, so nothing races with the loop and the port is free
once :meth:`ServerThread.stop` returns.
"""

from __future__ import annotations

import errno
import threading
from typing import Any

import waitress
from waitress.server import BaseWSGIServer

#: seconds the loop waits for socket activity before checking the stop flag
POLL_SECONDS = 0.1


class PortInUse(RuntimeError):
    """The port asked for explicitly is taken."""


class ServerThread:
    """Serve ``app`` on ``host:port`` in a thread; ``fallback`` picks a free port when ``port`` is taken."""

    def __init__(self, app: Any, *, host: str, port: int, name: str, threads: int = 8,
                 fallback: bool = False) -> None:
        self.name = name
        self._map: dict[int, Any] = {}
        try:
            self.server = self._create(app, host, port, threads)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            if not fallback:
                raise PortInUse(f"port {port} is in use; choose another with the port option, or 0") from None
            self._map = {}
            self.server = self._create(app, host, 0, threads)
        self.host = host
        self.port = int(self.server.effective_port)  # type: ignore[union-attr]
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"demo-{name}", daemon=True)

    def _create(self, app: Any, host: str, port: int, threads: int) -> BaseWSGIServer:
        return waitress.create_server(app, host=host, port=port, threads=threads, map=self._map,
                                      ident=f"billing-hub-demo-{self.name}", clear_untrusted_proxy_headers=True)

    @property
    def url(self) -> str:
        """The root URL of the server."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        """Start serving."""
        self._thread.start()
        return self

    def _serve(self) -> None:
        server = self.server
        try:
            while not self._stop.is_set():
                server.asyncore.loop(timeout=POLL_SECONDS, map=self._map, count=1)
        finally:
            # no new connections, let running requests finish (bounded), then drop every connection
            server.del_channel()
            server.socket.close()
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
            for channel in list(self._map.values()):
                channel.close()
            self._map.clear()
            self._stopped.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop serving and release the port; True when the thread ended within ``timeout``."""
        self._stop.set()
        if self._thread.is_alive():
            self.server.pull_trigger()  # wake the loop now rather than at the next poll
            self._thread.join(timeout)
        elif not self._stopped.is_set():  # never started: close the listening socket ourselves
            self.server.close()
            self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        return not self._thread.is_alive()
