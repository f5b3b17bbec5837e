"""Seed and serve a sandbox tenant server in a subprocess (waitress, many threads) for the benchmarks.

The sandbox runs in its own process so that its request handling does not share the GIL of the
process doing the syncing; waitress with enough threads keeps it from being the bottleneck.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import free_port, wait_http
from tenant_connectors.sandbox.db import make_engine
from tenant_connectors.sandbox.models import AuditRow, Company
from tenant_connectors.sandbox.seed_bulk import seed_tenants

REPO = Path(__file__).resolve().parent.parent


def seed(database_url: str, *, tenants: int, events: int) -> float:
    """Bulk-seed ``tenants`` sandbox tenants (``tenant-001``...) with ``events`` audit rows each; seconds taken."""
    started = time.perf_counter()
    engine = make_engine(database_url)
    try:
        seed_tenants(engine, tenants=tenants, clients=2, events=events)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def audit_counts(database_url: str) -> dict[str, int]:
    """Audit rows per sandbox tenant slug, read straight from the sandbox database."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(Company.slug, func.count(AuditRow.id)).join(AuditRow, AuditRow.company_id == Company.id)
                .group_by(Company.slug))
            return {slug: int(n) for slug, n in rows}
    finally:
        engine.dispose()


class SandboxProcess:
    """``python -m tenant_connectors.sandbox serve`` on a free loopback port (a context manager)."""

    def __init__(self, database_url: str, *, threads: int, log_path: Path) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tenant_connectors.sandbox", "serve", "--port", str(self.port),
             "--database", database_url, "--threads", str(threads)],
            cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._http = httpx.Client(base_url=self.root, timeout=30.0)

    def __enter__(self) -> SandboxProcess:
        wait_http(f"{self.root}/_sandbox/companies", timeout=60)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._http.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()

    def set_latency(self, slug: str, latency_ms: int) -> None:
        """Add ``latency_ms`` to every call of tenant ``slug`` (the sandbox's fault board)."""
        response = self._http.put(f"/_sandbox/companies/{slug}/faults", json={"latency_ms": latency_ms})
        response.raise_for_status()
