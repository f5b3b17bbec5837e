"""The sync workers run each synced tenant's seat check on a schedule (``SEAT_CHECK_INTERVAL_HOURS``).

Against the sandbox's test world over real HTTP: Good Therapy has the Standard-typed Billing account
``gt-acme-standard`` (a charged seat of ACME's), so its seat check flags the tenant ``misconfigured``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask, current_app
from sqlalchemy import func, select, update

from hub import clock
from hub.audit.models import AuditEvent
from hub.audit.service import verify_all
from hub.extensions import db
from hub.review.models import SeatCheckRun
from hub.review.service import run_seat_check
from hub.sync import service
from hub.sync.accounts import set_sync_account
from hub.sync.models import SyncState, TenantAuditEvent
from hub.sync.worker import sync_pass
from hub.tenants.models import HealthStatus, Tenant
from tenant_connectors.sandbox.testing import SandboxServer
from tests import factories
from tests.hub.activity.support import sandbox_tenant
from tests.hub.sync.conftest import SEAT_CHECK_ROWS, SyncWorld

DAY = 24 * 3600


def _app() -> Flask:
    return current_app._get_current_object()


def _tenant(tenant_id: int) -> Tenant:
    db.session.expire_all()
    return db.session.get(Tenant, tenant_id)


def _runs(tenant_id: int) -> list[SeatCheckRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(SeatCheckRun).where(SeatCheckRun.tenant_id == tenant_id)
                                   .order_by(SeatCheckRun.id)))


def _due_for_sync() -> None:
    """Every tenant due for its audit sync again (production waits SYNC_MIN_INTERVAL_SECONDS)."""
    db.session.execute(update(SyncState).values(next_attempt_at=None))
    db.session.commit()


def test_a_sync_pass_flags_a_charged_seat_without_anyone_pressing_check_now(app: Flask, sandbox) -> None:
    hub = factories.make_hub(billing_company_ref="acme")
    tenant = sandbox_tenant(sandbox, hub)  # the sync logs in with gt-acme-full, a proper Billing account
    assert _runs(tenant.id) == []

    summary = sync_pass(_app())

    [result] = summary.results
    assert (result.status, result.seat_check) == ("ok", "ok") and result.events > 0
    assert summary.seat_checks == 1 and summary.seat_checks_failed == 0 and not summary.failed
    flagged = _tenant(tenant.id)
    assert flagged.health_status == HealthStatus.MISCONFIGURED
    assert flagged.last_error_code == "billing_seat_charged" and "gt-acme-standard" in flagged.last_error_message
    [run] = _runs(tenant.id)
    assert run.outcome == "ok" and run.charged == 1 and run.checked_by_id is None
    assert "gt-acme-standard" in {row.user_id for row in run.rows if row.charged}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seat_check.run")).one()
    assert (event.actor_id, event.actor_label, event.outcome) == (None, "sync worker", "success")
    assert (event.tenant_id, event.target_id) == (tenant.id, str(run.id))


def test_a_second_pass_within_the_interval_runs_no_check(app: Flask, sandbox) -> None:
    tenant = sandbox_tenant(sandbox, factories.make_hub())
    sync_pass(_app())
    assert len(_runs(tenant.id)) == 1

    clock.advance(DAY - 60)
    _due_for_sync()
    [again] = sync_pass(_app()).results
    # the tenant is synced (it picks up the seat check's own logins), but not checked again
    assert again.status == "ok" and again.events > 0 and again.seat_check is None
    assert len(_runs(tenant.id)) == 1

    clock.advance(120)  # now the last check is older than 24 hours
    _due_for_sync()
    summary = sync_pass(_app())
    assert [r.seat_check for r in summary.results] == ["ok"] and summary.seat_checks == 1
    assert len(_runs(tenant.id)) == 2
    # every pass stored the tenant's events exactly once
    remote_ids = db.session.scalars(select(TenantAuditEvent.remote_event_id)
                                    .where(TenantAuditEvent.tenant_id == tenant.id)).all()
    assert len(remote_ids) == len(set(remote_ids))


def test_a_tenant_admins_check_counts_as_the_last_check(app: Flask, sandbox) -> None:
    tenant = sandbox_tenant(sandbox, factories.make_hub())
    run_seat_check(tenant, actor=None, actor_label="test")  # as "Check now" would
    [result] = sync_pass(_app()).results
    assert result.status == "ok" and result.seat_check is None
    assert len(_runs(tenant.id)) == 1


def test_interval_zero_switches_the_scheduled_check_off(app: Flask, sandbox) -> None:
    current_app.config["SEAT_CHECK_INTERVAL_HOURS"] = 0
    tenant = sandbox_tenant(sandbox, factories.make_hub())
    summary = sync_pass(_app())
    [result] = summary.results
    assert result.status == "ok" and result.seat_check is None and summary.seat_checks == 0
    assert _runs(tenant.id) == []
    assert _tenant(tenant.id).health_status == HealthStatus.OK  # nobody looked at the seats


def test_the_interval_comes_from_the_environment(make_app: Callable[..., Flask], monkeypatch) -> None:
    monkeypatch.setenv("HUB_SEAT_CHECK_INTERVAL_HOURS", "0")
    assert make_app().config["SEAT_CHECK_INTERVAL_HOURS"] == 0
    monkeypatch.setenv("HUB_SEAT_CHECK_INTERVAL_HOURS", "1.5")
    assert make_app().config["SEAT_CHECK_INTERVAL_HOURS"] == 1.5
    monkeypatch.delenv("HUB_SEAT_CHECK_INTERVAL_HOURS")
    assert make_app().config["SEAT_CHECK_INTERVAL_HOURS"] == 24
    for junk in ("-1", "daily", "true", "1e9"):
        monkeypatch.setenv("HUB_SEAT_CHECK_INTERVAL_HOURS", junk)
        with pytest.raises(ValueError, match="HUB_SEAT_CHECK_INTERVAL_HOURS"):
            make_app()


def test_a_tenant_whose_seat_check_is_refused_still_syncs_ok(app: Flask, sandbox) -> None:
    tenant = sandbox_tenant(sandbox, factories.make_hub(), sync_account=False)
    # the Read only group may read the audit report but not list users
    readonly = factories.make_credential(tenant, "Read only", remote_user_id=sandbox.world.billing_readonly[0],
                                         secret=sandbox.world.billing_readonly[1])
    set_sync_account(tenant=tenant, credential=readonly, restricted_user_id=sandbox.world.restricted_alice[0],
                     restricted_secret=sandbox.world.restricted_alice[1])
    db.session.commit()

    result = current_app.test_cli_runner().invoke(args=["hub", "sync"])

    assert result.exit_code == 0, result.output  # the pass did not fail
    assert "1 tenant(s)" in result.output and "0 failed, 1 seat check(s) (1 failed)" in result.output
    row = next(line.split() for line in result.output.splitlines() if line.startswith(tenant.name))
    assert row[2] == "ok" and int(row[3]) > 0 and row[6] == "failed"
    [run] = _runs(tenant.id)
    assert run.outcome == "failed" and run.error_code == "permission_denied" and run.rows == []
    state = db.session.get(SyncState, tenant.id)
    assert state.last_error_code is None and state.consecutive_failures == 0 and state.last_success_at is not None
    assert state.lease_owner is None
    assert _tenant(tenant.id).health_status == HealthStatus.OK
    outcomes = dict(db.session.execute(select(AuditEvent.action, AuditEvent.outcome)
                                       .where(AuditEvent.action.in_(["sync.completed", "seat_check.run"]))).all())
    assert outcomes == {"sync.completed": "success", "seat_check.run": "failure"}


def test_a_tenant_down_at_its_seat_check_still_syncs_ok(app: Flask, sandbox) -> None:
    tenant = sandbox_tenant(sandbox, factories.make_hub())
    # the tenant goes down right after the sync's last page is committed
    service._after_commit_hook = lambda tenant_id, page: sandbox.set_faults("good-therapy", error_rate=1.0)

    summary = sync_pass(_app())

    [result] = summary.results
    assert (result.status, result.seat_check) == ("ok", "failed") and not summary.failed
    assert summary.seat_checks == summary.seat_checks_failed == 1
    [run] = _runs(tenant.id)
    assert run.outcome == "failed" and run.error_code == "tenant_server_error"
    stored = db.session.scalar(select(func.count()).select_from(TenantAuditEvent)
                               .where(TenantAuditEvent.tenant_id == tenant.id))
    assert stored == result.events > 0
    sandbox.set_faults("good-therapy")


def test_two_workers_at_once_check_each_tenant_once(app: Flask, sandbox: SandboxServer) -> None:
    current_app.config["SYNC_MIN_INTERVAL_SECONDS"] = 0  # each worker may claim a tenant the other just did
    hub = factories.make_hub()
    tenants = [sandbox_tenant(sandbox, hub), sandbox_tenant(sandbox, hub, slug="calm-waters")]
    errors: list[BaseException] = []

    synced: dict[str, int] = {}

    def worker(name: str) -> None:
        # passes until this worker synced the tenants a few times (the other one is at it too)
        deadline = time.monotonic() + 60
        try:
            while synced.get(name, 0) < 4 and time.monotonic() < deadline:
                summary = sync_pass(app, worker_id=name, concurrency=2)
                synced[name] = synced.get(name, 0) + sum(1 for r in summary.results if r.status == "ok")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    assert sorted(synced) == ["w1", "w2"] and min(synced.values()) >= 4, synced
    for tenant in tenants:
        assert len(_runs(tenant.id)) == 1, tenant.name
    checked = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "seat_check.run"))
    assert checked == 2
    assert verify_all() == []  # the checks' and the syncs' audit rows, written side by side, chain intact


def test_the_seat_check_keeps_the_sync_exactly_once(sync_world: SyncWorld) -> None:
    current_app.config["SEAT_CHECK_INTERVAL_HOURS"] = 24  # the sync tests' world switches it off
    first = sync_pass(_app(), concurrency=3)
    assert {(r.status, r.seat_check) for r in first.results} == {("ok", "ok")} and first.seat_checks == 6
    for slug in sync_world.slugs:
        # the check ran after the last page: its four calls wait, with the sync's last two, for the next run
        assert len(sync_world.assert_exact(slug)) == 2 + SEAT_CHECK_ROWS
    second = sync_pass(_app(), concurrency=3)
    assert {(r.status, r.seat_check) for r in second.results} == {("ok", None)} and second.seat_checks == 0
    for slug in sync_world.slugs:
        assert len(sync_world.assert_exact(slug)) == 2
