"""A sync killed at any point loses nothing and duplicates nothing (battery item 14), and leases hold."""

from __future__ import annotations

import random

import pytest
from flask import current_app

from hub import clock
from hub.extensions import db
from hub.sync import claims, service
from hub.sync.models import SyncState
from hub.sync.service import pull_tenant
from hub.sync.worker import sync_pass
from tests.hub.sync.conftest import SyncWorld, stored_event_ids


class SimulatedCrash(BaseException):
    """Like the process dying: not an Exception, so nothing on the way up handles it."""


def _crash_on(page: int) -> object:
    def hook(tenant_id: int, current: int) -> None:
        if current == page:
            raise SimulatedCrash(f"crash at page {page}")

    return hook


def _after_crash(world: SyncWorld) -> None:
    """What a dead worker leaves: its session gone, its lease held until it expires."""
    db.session.rollback()
    clock.advance(claims.lease_seconds() + 1)


def test_crash_between_insert_and_commit_loses_and_duplicates_nothing(sync_world: SyncWorld) -> None:
    app = current_app._get_current_object()
    tenant = sync_world.tenants["tenant-001"]
    service._after_insert_hook = _crash_on(2)

    with pytest.raises(SimulatedCrash):
        sync_pass(app, tenant_ids=[tenant.id], page_size=50)

    # page 1 is committed with its cursor; page 2 is gone with its transaction
    assert len(stored_event_ids(tenant.id)) == 50
    state = db.session.get(SyncState, tenant.id)
    assert state.lease_owner is not None, "a dead worker's lease stays until it expires"
    assert sync_pass(app, tenant_ids=[tenant.id]).results == (), "claimed while still leased"

    service._after_insert_hook = service._no_hook
    _after_crash(sync_world)
    summary = sync_pass(app, tenant_ids=[tenant.id], page_size=50)
    assert [r.status for r in summary.results] == ["ok"]
    sync_world.assert_exact("tenant-001")


def test_crash_at_random_points_ends_with_exactly_the_tenants_events(sync_world: SyncWorld) -> None:
    app = current_app._get_current_object()
    rng = random.Random(1405)
    tenant = sync_world.tenants["tenant-002"]
    crashes = 0
    for _ in range(6):
        sync_world.server.add_audit_noise("tenant-002", rng.randrange(1, 90))
        page = rng.randrange(1, 4)
        hook = _crash_on(page)
        if rng.random() < 0.5:
            service._after_insert_hook = hook
        else:
            service._after_commit_hook = hook
        try:
            sync_pass(app, tenant_ids=[tenant.id], page_size=rng.choice([25, 40, 60]))
        except SimulatedCrash:
            crashes += 1
            _after_crash(sync_world)
        service._after_insert_hook = service._after_commit_hook = service._no_hook
        stored = stored_event_ids(tenant.id)
        remote = sync_world.tenant_event_ids("tenant-002")
        assert len(stored) == len(set(stored)) and set(stored) <= set(remote)
        assert sorted(stored, key=int) == remote[: len(stored)], "a gap in the stored events"
    assert crashes >= 3
    clock.advance(claims.lease_seconds() + 1)
    assert [r.status for r in sync_pass(app, tenant_ids=[tenant.id]).results] == ["ok"]
    sync_world.assert_exact("tenant-002")


def test_worker_that_lost_its_lease_writes_nothing(sync_world: SyncWorld) -> None:
    tenant = sync_world.tenants["tenant-003"]
    assert claims.claim_due("slow-worker", limit=1, tenant_ids=[tenant.id]) == [tenant.id]
    clock.advance(claims.lease_seconds() + 1)
    assert claims.claim_due("fast-worker", limit=1, tenant_ids=[tenant.id]) == [tenant.id]

    late = pull_tenant(tenant.id, "slow-worker")
    assert late.status == "skipped" and stored_event_ids(tenant.id) == []

    # the lease moves while the slow worker is between pages: its next page is refused
    def steal(tenant_id: int, page: int) -> None:
        db.session.execute(
            SyncState.__table__.update().where(SyncState.tenant_id == tenant_id).values(lease_owner="thief")
        )
        db.session.commit()

    service._after_commit_hook = steal
    result = pull_tenant(tenant.id, "fast-worker", page_size=50)
    assert result.status == "lease_lost" and result.pages == 1
    assert len(stored_event_ids(tenant.id)) == 50
    assert db.session.get(SyncState, tenant.id).lease_owner == "thief"
