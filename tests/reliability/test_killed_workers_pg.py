"""Two ``flask hub sync --forever`` workers on PostgreSQL, SIGKILLed and restarted at random moments.

Ten sandbox tenants (3,000 seeded events) answer slowly and keep producing new audit rows while a
seeded killer loop SIGKILLs one worker at a random moment and starts a new one, six times.  Then both
are stopped with SIGTERM, one clean pass runs, and each tenant's stored events must equal the
tenant's audit report up to the last page read (only the final pass's own reads may follow), with
no duplicate and an intact hub audit chain.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from hub.audit.service import verify_all
from hub.extensions import db
from hub.sync.models import SyncState, TenantAuditEvent
from hub.sync.worker import sync_pass
from tenant_connectors.sandbox.testing import SandboxServer
from tests.hub.conftest import PG_URL
from tests.hub.sync.conftest import SAFE_TIMEOUTS, SyncWorld, add_hub_tenants, worker_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(PG_URL is None, reason="needs HUB_TEST_DATABASE_URL (PostgreSQL)"),
]

REPO = Path(__file__).resolve().parents[2]
TENANTS, EVENTS = 10, 300
KILLS, SEED = 6, 6161
LATENCY_MS = 120
LEASE_SECONDS = 5


class Workers:
    """The worker subprocesses (output to files, so a killed one never blocks on a pipe)."""

    def __init__(self, database_url: str, logs: Path) -> None:
        self.database_url, self.logs = database_url, logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.finished: list[tuple[str, int | None]] = []
        self._started = 0

    def start(self) -> str:
        self._started += 1
        name = f"w{self._started}"
        # a dead worker's tenants come back quickly; tenants are due again at once
        env = worker_env(self.database_url, HUB_SYNC_LEASE_SECONDS=str(LEASE_SECONDS),
                         HUB_SYNC_MIN_INTERVAL_SECONDS="0", HUB_SYNC_BACKOFF_BASE_SECONDS="1", PYTHONUNBUFFERED="1")
        with open(self.logs / f"{name}.out", "wb") as out, open(self.logs / f"{name}.err", "wb") as err:
            self.running[name] = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "hub", "hub", "sync", "--forever", "--interval", "0.2",
                 "--concurrency", "3", "--worker-id", name],
                cwd=REPO, env=env, stdout=out, stderr=err,
            )
        return name

    def wait_ready(self, names: list[str]) -> None:
        """Wait until each named worker has started its loop (printed its banner)."""
        deadline = time.monotonic() + 60
        for name in names:
            while "Ctrl-C to stop" not in self.stdout(name) and time.monotonic() < deadline:
                assert self.running[name].poll() is None, f"{name} died:\n{self.stderr(name)}"
                time.sleep(0.05)

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        self.finished.append((name, process.wait(timeout=30)))

    def stop_all(self) -> None:
        """SIGTERM (pages in flight finish, leases released), then SIGKILL whatever did not stop."""
        # a worker still importing has no signal handler yet: SIGTERM would kill it outright
        self.wait_ready(list(self.running))
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for name, process in list(self.running.items()):
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait(timeout=30)
                code = f"hung ({code})"  # type: ignore[assignment]
            self.finished.append((name, code))
            del self.running[name]

    def stderr(self, name: str) -> str:
        return (self.logs / f"{name}.err").read_text(errors="replace")

    def stdout(self, name: str) -> str:
        return (self.logs / f"{name}.out").read_text(errors="replace")


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(database_url, tmp_path)
    try:
        yield pool
    finally:
        for process in pool.running.values():
            process.kill()
            process.wait(timeout=30)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_randomly_killed_workers_lose_and_duplicate_nothing(
    make_app: Callable[..., Flask], seeded_sandbox: Callable[..., SandboxServer], workers: Workers,
    record_property: Callable[[str, object], None],
) -> None:
    rng = random.Random(SEED)
    server = seeded_sandbox(tenants=TENANTS, events=EVENTS)
    app = make_app(**SAFE_TIMEOUTS, SYNC_MIN_INTERVAL_SECONDS=0)
    with app.app_context():
        slugs = [f"tenant-{n:03d}" for n in range(1, TENANTS + 1)]
        world = SyncWorld(server, slugs, add_hub_tenants(server, slugs), EVENTS)
        for slug in slugs:
            server.set_faults(slug, latency_ms=LATENCY_MS)

        t0 = time.monotonic()
        live = [workers.start(), workers.start()]
        kills, noise = [], 0
        for _ in range(KILLS):
            # a random moment of the victim's work (it has started up: killing imports tests nothing)
            workers.wait_ready(live)
            deadline = time.monotonic() + rng.uniform(0.3, 3.0)
            while time.monotonic() < deadline:  # the tenants keep working meanwhile
                server.add_audit_noise(rng.choice(slugs), rng.randint(1, 40))
                noise += 1
                time.sleep(0.1)
            victim = live.pop(rng.randrange(len(live)))
            assert workers.running[victim].poll() is None, f"{victim} died on its own:\n{workers.stderr(victim)}"
            workers.kill(victim)
            kills.append(victim)
            live.append(workers.start())
        time.sleep(rng.uniform(0.5, 1.5))
        t1 = time.monotonic()
        workers.stop_all()
        t2 = time.monotonic()

        for name, code in workers.finished:
            err = workers.stderr(name)
            assert "Traceback" not in err and "UniqueViolation" not in err, f"{name}:\n{err}"
            if name not in kills:
                assert code == 0, f"{name} ended with {code}:\n{err}"

        for slug in slugs:
            server.set_faults(slug)
        db.session.execute(update(SyncState).values(next_attempt_at=None, lease_owner=None, lease_expires_at=None))
        db.session.commit()
        summary = sync_pass(app, concurrency=5, worker_id="final")
        assert not summary.failed, summary.failed
        print(f"killed workers: kill phase {t1 - t0:.1f}s stop {t2 - t1:.1f}s final {time.monotonic() - t2:.1f}s")

        total = 0
        pulled_by_workers = 0
        for slug in slugs:
            world.assert_exact(slug)
            stored = db.session.scalar(select(func.count()).select_from(TenantAuditEvent).where(
                TenantAuditEvent.tenant_id == world.tenants[slug].id))
            assert stored >= EVENTS
            total += stored
        for r in summary.results:
            pulled_by_workers += r.events
        duplicates = db.session.execute(
            select(TenantAuditEvent.tenant_id, TenantAuditEvent.remote_event_id)
            .group_by(TenantAuditEvent.tenant_id, TenantAuditEvent.remote_event_id).having(func.count() > 1)).all()
        assert duplicates == []
        assert db.session.scalar(select(func.count()).select_from(TenantAuditEvent)) == total
        assert verify_all() == []
        # the workers did the bulk of the work before the final pass
        assert total - pulled_by_workers >= TENANTS * EVENTS
        record_property("killed_workers", {"kills": kills, "events": total, "noise_batches": noise,
                                           "left_for_final_pass": pulled_by_workers})
        print(f"kills {kills}; events stored {total}; noise batches {noise}; left for the final pass "
              f"{pulled_by_workers}")
