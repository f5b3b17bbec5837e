"""Sync passes against sandbox tenants over real HTTP: healthy, slow, failing and garbage-speaking."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import func, select

from hub import clock
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.sync.models import SyncState, SyncStatus, TenantAuditEvent
from hub.sync.worker import sync_pass
from hub.tenants.models import HealthStatus
from tests.hub.sync.conftest import FAST_TIMEOUTS, SyncWorld, stored_event_ids


def _app() -> Flask:
    return current_app._get_current_object()


def _state(world: SyncWorld, slug: str) -> SyncState:
    db.session.expire_all()
    return db.session.get(SyncState, world.tenants[slug].id)


def test_faulty_tenants_fail_alone_with_their_error(sync_world: SyncWorld) -> None:
    current_app.config.update(FAST_TIMEOUTS)
    server = sync_world.server
    server.set_faults("tenant-002", latency_ms=3000)  # beyond the 1 s read timeout
    server.set_faults("tenant-003", error_rate=1.0)
    server.set_faults("tenant-004", malformed_rate=1.0)
    server.set_faults("tenant-005", hang=True)

    summary = sync_pass(_app(), concurrency=6)

    by_slug = {r.tenant_name: r for r in summary.results}
    assert set(by_slug) == set(sync_world.slugs)
    expected = {
        "tenant-001": ("ok", None, HealthStatus.OK),
        "tenant-006": ("ok", None, HealthStatus.OK),
        "tenant-002": ("failed", "tenant_timeout", HealthStatus.UNAVAILABLE),
        "tenant-003": ("failed", "tenant_server_error", HealthStatus.UNAVAILABLE),
        "tenant-004": ("failed", "tenant_protocol_error", HealthStatus.PROTOCOL_ERROR),
        "tenant-005": ("failed", "tenant_timeout", HealthStatus.UNAVAILABLE),
    }
    now = clock.now()
    for slug, (status, code, health) in expected.items():
        result, state = by_slug[slug], _state(sync_world, slug)
        tenant = state.tenant
        assert (result.status, result.error_code) == (status, code), slug
        assert tenant.health_status == health, slug
        assert state.lease_owner is None and state.status == SyncStatus.IDLE
        if status == "ok":
            assert result.events == sync_world.events_per_tenant + 2  # + the sync's own login rows
            assert state.consecutive_failures == 0 and state.last_success_at is not None
            assert tenant.last_contact_at is not None
            sync_world.assert_exact(slug)
        else:
            assert stored_event_ids(tenant.id) == [], "nothing partial stored"
            assert state.cursor is None
            assert state.last_error_code == code and state.consecutive_failures == 1
            assert state.next_attempt_at is not None and state.next_attempt_at > now
            assert tenant.last_error_code == code
    # tenants run side by side, and each faulty one is cut off by its own time bound
    assert summary.elapsed < sum(r.elapsed for r in summary.results)
    bound = 2 * FAST_TIMEOUTS["TENANT_TOTAL_TIMEOUT"] + 2  # login + one audit read, with slack for load
    assert all(r.elapsed < bound for r in summary.results), summary.results
    server.set_faults("tenant-005")  # release the hung request before the server stops

    events = db.session.execute(select(AuditEvent.action, AuditEvent.tenant_id, AuditEvent.detail,
                                       AuditEvent.actor_label).where(AuditEvent.action.like("sync.%"))).all()
    assert sorted(e.action for e in events) == ["sync.completed"] * 2 + ["sync.failed"] * 4
    assert all(e.actor_label == f"sync-worker:{summary.worker_id}" for e in events)
    failed_codes = sorted(e.detail["error_code"] for e in events if e.action == "sync.failed")
    assert failed_codes == sorted(c for _, c, _ in expected.values() if c)


def test_failed_tenant_backs_off_then_recovers(sync_world: SyncWorld) -> None:
    sync_world.server.set_faults("tenant-003", error_rate=1.0)
    sync_pass(_app(), tenant_ids=[sync_world.tenants["tenant-003"].id])
    first_retry = _state(sync_world, "tenant-003").next_attempt_at

    sync_world.server.set_faults("tenant-003")
    again = sync_pass(_app())
    assert "tenant-003" not in {r.tenant_name for r in again.results}, "retried before its backoff ended"

    clock.advance((first_retry - clock.now()).total_seconds() + 1)
    recovered = sync_pass(_app(), tenant_ids=[sync_world.tenants["tenant-003"].id])
    assert [r.status for r in recovered.results] == ["ok"]
    state = _state(sync_world, "tenant-003")
    assert state.consecutive_failures == 0 and state.last_error_code is None
    assert state.tenant.health_status == HealthStatus.OK
    sync_world.assert_exact("tenant-003")


def test_backoff_grows_with_consecutive_failures(sync_world: SyncWorld) -> None:
    sync_world.server.set_faults("tenant-002", error_rate=1.0)
    tenant_id = sync_world.tenants["tenant-002"].id
    delays = []
    for _ in range(4):
        sync_pass(_app(), tenant_ids=[tenant_id])
        state = _state(sync_world, "tenant-002")
        delays.append(state.next_attempt_at - clock.now())
        clock.advance(delays[-1].total_seconds() + 1)
    assert state.consecutive_failures == 4
    assert delays[0] < delays[-1] <= timedelta(minutes=30)


def test_rerun_pulls_only_the_syncs_own_access_rows(sync_world: SyncWorld) -> None:
    sync_pass(_app())
    totals = {slug: len(stored_event_ids(t.id)) for slug, t in sync_world.tenants.items()}

    second = sync_pass(_app())

    for result in second.results:
        # the tenant audits the sync's own access: last run's audit read + logout, this run's login
        assert result.status == "ok" and result.events == 4, result
        tenant = sync_world.tenants[result.tenant_name]
        new = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.tenant_id == tenant.id)
                                 .order_by(TenantAuditEvent.id).offset(totals[result.tenant_name])).all()
        number = result.tenant_name.rsplit("-", 1)[1]
        assert {e.user_id for e in new} == {f"t{number}-acme-full"}
        assert {e.on_behalf_of_user_id for e in new} <= {"acme.alice", None}
        assert {e.action for e in new} <= {"login", "proxy_login", "view", "logout"}
        sync_world.assert_exact(result.tenant_name)


def test_incremental_sync_pulls_exactly_the_new_events(sync_world: SyncWorld) -> None:
    sync_pass(_app())
    sync_world.server.add_audit_noise("tenant-001", 700)
    sync_world.server.add_audit_noise("tenant-002", 3)

    summary = sync_pass(_app(), page_size=500)

    by_slug = {r.tenant_name: r for r in summary.results}
    # + 4 rows of the sync's own access, + the audit read of the first page, seen by the second
    assert by_slug["tenant-001"].events == 700 + 4 + 1 and by_slug["tenant-001"].pages == 2
    assert by_slug["tenant-002"].events == 3 + 4 and by_slug["tenant-002"].pages == 1
    for slug in ("tenant-001", "tenant-002"):
        sync_world.assert_exact(slug)
    noise = db.session.scalar(select(func.count()).select_from(TenantAuditEvent)
                              .where(TenantAuditEvent.entity_type == "noise"))
    assert noise == 703


def test_progress_fields_describe_the_last_run(sync_world: SyncWorld) -> None:
    tenant = sync_world.tenants["tenant-001"]
    sync_pass(_app(), tenant_ids=[tenant.id], page_size=50)

    state = _state(sync_world, "tenant-001")
    assert state.status == SyncStatus.IDLE
    # 122 rows (120 + the sync's login) and the audit reads of pages 1 and 2, seen by pages 2 and 3
    assert state.pages_done == 3 and state.events_this_run == 124 == state.events_pulled_total
    assert state.started_at <= state.finished_at and state.last_success_at == state.finished_at
    assert state.cursor is not None
    stored = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.tenant_id == tenant.id)
                                .order_by(TenantAuditEvent.occurred_at)).all()
    proxied = [e for e in stored if e.proxy]
    assert proxied and all(e.billing_company_id == "acme" and e.user_id == "t001-acme-full" for e in proxied)
    assert all(e.hub_id == tenant.hub_id and e.occurred_at.tzinfo is not None for e in stored)
