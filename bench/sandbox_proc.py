"""Seed and serve a sandbox tenant server in a subprocess (waitress, many threads) for the benchmarks.

The sandbox runs in its own process so that its request handling does not share the GIL of the
process doing the syncing; waitress with enough threads keeps it from being the bottleneck.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import ServerProcess
from tenant_connectors.sandbox.db import make_engine
from tenant_connectors.sandbox.models import AuditRow, Company
from tenant_connectors.sandbox.seed_bulk import seed_tenants


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


class SandboxProcess(ServerProcess):
    """``python -m tenant_connectors.sandbox serve`` on a free loopback port (a context manager)."""

    def __init__(self, database_url: str, *, threads: int, log_path: Path) -> None:
        super().__init__(
            lambda port: [sys.executable, "-m", "tenant_connectors.sandbox", "serve", "--port", str(port),
                          "--database", database_url, "--threads", str(threads)],
            ready_path="/_sandbox/companies", log_path=log_path, env={"PYTHONUNBUFFERED": "1"}, stop_timeout=15)
        self._http = httpx.Client(base_url=self.root, timeout=30.0)

    def stop(self) -> None:
        """Close the fault-board client, then end the server."""
        self._http.close()
        super().stop()

    def set_latency(self, slug: str, latency_ms: int) -> None:
        """Add ``latency_ms`` to every call of tenant ``slug`` (the sandbox's fault board)."""
        response = self._http.put(f"/_sandbox/companies/{slug}/faults", json={"latency_ms": latency_ms})
        response.raise_for_status()
