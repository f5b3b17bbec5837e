"""Two ``flask hub sync`` processes on one PostgreSQL share 20 tenants, pull every event once and seat-check
each tenant once."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from hub.extensions import db
from hub.review.models import SeatCheckRun
from hub.sync.models import SyncState, TenantAuditEvent
from tenant_connectors.sandbox.testing import SandboxServer
from tests.hub.conftest import PG_URL
from tests.hub.sync.conftest import SAFE_TIMEOUTS, SyncWorld, add_hub_tenants, worker_env

REPO = Path(__file__).resolve().parents[3]
TENANTS, EVENTS = 20, 200


def _worker(database_url: str, worker_id: str) -> subprocess.Popen[str]:
    env = worker_env(database_url, HUB_SEAT_CHECK_INTERVAL_HOURS="24")
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "hub", "hub", "sync", "--concurrency", "4", "--worker-id", worker_id],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(PG_URL is None, reason="needs HUB_TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_worker_processes_pull_every_event_exactly_once(
    database_url: str, make_app: Callable[..., Flask], seeded_sandbox: Callable[..., SandboxServer],
    record_property: Callable[[str, object], None],
) -> None:
    server = seeded_sandbox(tenants=TENANTS, events=EVENTS)
    app = make_app(**SAFE_TIMEOUTS)
    with app.app_context():
        slugs = [f"tenant-{n:03d}" for n in range(1, TENANTS + 1)]
        world = SyncWorld(server, slugs, add_hub_tenants(server, slugs), EVENTS)
        seeded = {slug: world.tenant_event_ids(slug) for slug in slugs}

        workers = [_worker(database_url, f"w{i}") for i in (1, 2)]
        outputs = [w.communicate(timeout=300) for w in workers]

        for worker, (out, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, f"{out}\n{err}"
            assert "UniqueViolation" not in err and "Traceback" not in err
        # which worker pulled which tenant (both working is likely, not required)
        done = {f"w{i}": [line.split()[0] for line in out.splitlines() if " ok " in f" {line} "]
                for i, (out, _err) in enumerate(outputs, start=1)}
        record_property("tenants_per_worker", {k: len(v) for k, v in done.items()})
        assert set(done["w1"]) | set(done["w2"]) == set(slugs)

        total = 0
        for slug in slugs:
            world.assert_exact(slug)
            stored = set(db.session.scalars(select(TenantAuditEvent.remote_event_id).where(
                TenantAuditEvent.tenant_id == world.tenants[slug].id)))
            assert set(seeded[slug]) <= stored, "a seeded event is missing"
            total += len(stored)
        assert db.session.scalar(select(func.count()).select_from(TenantAuditEvent)) == total
        assert all(s.lease_owner is None for s in db.session.scalars(select(SyncState)))
        # each tenant synced was seat-checked once, by whichever worker held it
        checks = dict(db.session.execute(select(SeatCheckRun.tenant_id, func.count())
                                         .group_by(SeatCheckRun.tenant_id)).all())
        assert checks == {tenant.id: 1 for tenant in world.tenants.values()}
        assert sum(int(re.search(r"(\d+) seat check\(s\)", out).group(1)) for out, _err in outputs) == TENANTS
