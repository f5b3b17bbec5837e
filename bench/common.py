"""Shared benchmark plumbing: throw-away databases, the hub app, statistics, tables and machine facts."""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from flask import Flask

from hub import create_app
from hub.extensions import db
from hub.testing import scratch_schema

#: the repository root (servers run from here)
REPO = Path(__file__).resolve().parent.parent

#: a key ring for benchmark databases only (never a deployment's)
BENCH_VAULT_KEYS = "bench:YmVuY2gtdmF1bHQta2V5LTMyLWJ5dGVzLWxvbmchISE="
BENCH_SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
#: cheap password hashing: logins are set-up here, not what is measured
BENCH_CONFIG: dict[str, Any] = {
    "SECRET_KEY": BENCH_SECRET_KEY,
    "VAULT_KEYS": BENCH_VAULT_KEYS,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8192,
    "ARGON2_PARALLELISM": 1,
}


class CheckFailed(AssertionError):
    """A correctness check of a benchmark failed (its figures would mean nothing)."""


def sizes_from(args: argparse.Namespace, full: Mapping[str, int], quick: Mapping[str, int]) -> dict[str, int]:
    """The run's sizes: ``--quick`` or full defaults, each overridden by its own option when given."""
    sizes = dict(quick if args.quick else full)
    for key in sizes:
        if getattr(args, key, None) is not None:
            sizes[key] = getattr(args, key)
    return sizes


def bench_main(run: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None) -> int:
    """Run a benchmark: SIGTERM still cleans up; a failed check prints ``CHECK FAILED`` and gives 1."""
    exit_on_sigterm()
    try:
        return run(argv)
    except CheckFailed as failure:
        emit(f"CHECK FAILED: {failure}")
        return 1


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so a stopped run still drops its schema and stops its servers."""

    def _exit(_signum: int, _frame: object) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, _exit)


def database_url_arg(value: str | None) -> str | None:
    """``--database-url`` if given, else ``HUB_TEST_DATABASE_URL`` (PostgreSQL), else None (SQLite)."""
    return value or os.environ.get("HUB_TEST_DATABASE_URL") or None


@contextmanager
def scratch_database(pg_url: str | None, *, label: str) -> Iterator[str]:
    """A database URL nobody else uses: a fresh PostgreSQL schema (dropped after) or a temp SQLite file."""
    if not pg_url:
        with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'hub.sqlite3'}"
        return
    with scratch_schema(pg_url, prefix=f"bench_{label}") as url:
        yield url


def hub_app(database_url: str, **overrides: Any) -> Flask:
    """A hub app on ``database_url`` with its tables created (``create_all``, like the tests)."""
    app = create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    with app.app_context():
        db.create_all()
    return app


def backend_name(database_url: str) -> str:
    """``postgresql`` or ``sqlite``."""
    return sa.make_url(database_url).get_backend_name()


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return statistics.median(values) if values else 0.0


def ratio(numerator: float, denominator: float) -> str:
    """``12.3x`` (or ``n/a`` when the denominator is zero)."""
    return f"{numerator / denominator:.1f}x" if denominator else "n/a"


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table (Markdown pipe syntax, so it pastes into docs as is)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [f"\n{title}\n", line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def emit(text: str) -> None:
    """Print at once (the smoke tests read the output of a subprocess)."""
    print(text, flush=True)


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server subprocess on a free loopback port, in use once ``ready_path`` answers (a context manager).

    Stopped on exit (terminate, then kill after ``stop_timeout`` seconds), and also when it never
    becomes ready: a server that fails to start is not left running behind the benchmark.
    """

    def __init__(self, argv: Callable[[int], list[str]], *, ready_path: str, log_path: Path,
                 env: Mapping[str, str] | None = None, stop_timeout: float = 15.0) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self._ready_url = f"{self.root}{ready_path}"
        self._stop_timeout = stop_timeout
        self._log = log_path.open("wb")
        self._proc = subprocess.Popen(argv(self.port), cwd=REPO, env={**os.environ, **(env or {})},
                                      stdout=self._log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Self:
        try:
            wait_http(self._ready_url, timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        """End the server and close its log."""
        self._proc.terminate()
        try:
            self._proc.wait(timeout=self._stop_timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()


def wait_http(url: str, *, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers (any status) or raise after ``timeout`` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


def machine(database_url: str) -> str:
    """One line naming the machine, Python and database (printed with every result)."""
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                version = "PostgreSQL " + str(conn.exec_driver_sql("SHOW server_version").scalar())
            else:
                version = "SQLite " + str(conn.exec_driver_sql("select sqlite_version()").scalar())
    finally:
        engine.dispose()
    return (f"machine: {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.machine()}, "
            f"Python {sys.version.split()[0]}, {version}")
