"""Pull one tenant's Audit Report into the hub: log in, page by cursor, commit each page atomically.

Each page is ONE transaction holding the idempotent insert of its events (a unique key on
``(tenant_id, remote_event_id)`` with ``ON CONFLICT DO NOTHING``) and the cursor move, which is
only made while this worker still holds the tenant's lease.  A crash anywhere therefore leaves the
cursor at the last committed event: the next run re-reads at most one page and the unique key drops
what was already stored.  The tenant's health, the sync state and a hub audit row are written
together in one small transaction at the end of the run; a sync login that the tenant counts as a
charged seat flags the tenant ``misconfigured``, and a clean run leaves such a flag (raised by a
tenant login or a seat check) in place.

A run that read every page may then run the worker's seat check of the tenant: after the last
page's commit and before the lease is released, so no other worker holds the tenant meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from hub.audit.service import record
from hub.dbtypes import utcnow
from hub.extensions import db
from hub.sync import claims
from hub.sync.accounts import SyncLogin, reveal_login, totp_code
from hub.sync.events import insert_events
from hub.sync.models import SyncAccount, SyncState, SyncStatus
from hub.tenants import health
from hub.tenants.connectors import connector_for
from hub.tenants.models import Tenant
from hub.vault import VaultError
from tenant_connectors.base import (
    AuditEvent,
    ClientInfo,
    SecondaryChallenge,
    TenantConnector,
    TenantError,
    TenantSession,
)

PAGE_SIZE = 500
#: what the tenant's audit report shows as the platform of the sync worker's logins
SYNC_CLIENT = ClientInfo(platform="Billing Hub sync worker")
#: the tenant's health message when the sync login itself is a charged seat (as a tenant login says)
SEAT_CHARGED_MESSAGE = ("The tenant reports the sync account's Billing login as a charged Standard seat "
                        "(no secondary prompt).")


def _no_hook(tenant_id: int, page: int) -> None:
    """Default fault hook: do nothing."""


#: called after a page's insert and cursor move, before its commit (tests raise here to "crash")
_after_insert_hook: Callable[[int, int], None] = _no_hook
#: called after a page's commit (tests raise here to "crash" between pages)
_after_commit_hook: Callable[[int, int], None] = _no_hook

#: serialises this process's hub-audit writes: on SQLite the chain head cannot be row-locked
_audit_lock = threading.Lock()


class LeaseLost(Exception):
    """Another worker took the tenant over (our lease expired); stop without writing anything."""


@dataclass(frozen=True, slots=True)
class TenantResult:
    """The outcome of one tenant's run (plain data for summaries and pages)."""

    tenant_id: int
    tenant_name: str
    #: ok | failed | stopped | lease_lost | skipped
    status: str
    events: int = 0
    pages: int = 0
    elapsed: float = 0.0
    error_code: str | None = None
    error_message: str | None = None
    #: the seat check run after the pull: ok | failed, None when none was due
    seat_check: str | None = None


@dataclass(slots=True)
class _Run:
    tenant_id: int
    tenant_name: str
    hub_id: int
    worker_id: str
    started: float
    events: int = 0
    pages: int = 0
    #: the tenant counted the sync login as a charged seat (no secondary prompt)
    seat_charged: bool = False
    seat_check: str | None = None

    def result(self, status: str, code: str | None = None, message: str | None = None) -> TenantResult:
        return TenantResult(self.tenant_id, self.tenant_name, status, self.events, self.pages,
                            round(time.monotonic() - self.started, 3), code, message, self.seat_check)


def open_session(connector: TenantConnector, login: SyncLogin) -> TenantSession:
    """Two-part login with the sync account (TOTP code from its secret when it has one)."""
    step = connector.begin_login(login.billing_user_id, login.billing_secret, client=SYNC_CLIENT)
    if not isinstance(step, SecondaryChallenge):
        # a Billing account misconfigured as Standard opens at once; audit is still readable
        return step
    totp = totp_code(login.totp_secret) if login.totp_secret else None
    return connector.complete_secondary(step, login.restricted_user_id, login.restricted_secret,
                                        totp_code=totp, client=SYNC_CLIENT)


def pull_tenant(
    tenant_id: int,
    worker_id: str,
    *,
    page_size: int = PAGE_SIZE,
    stop: threading.Event | None = None,
    seat_check: Callable[[Tenant], str | None] | None = None,
) -> TenantResult:
    """Pull every new audit event of a tenant this worker has claimed; never raises a TenantError.

    The connector comes from :func:`hub.tenants.connectors.connector_for`, which keeps one pooled
    instance per tenant address for the application, so successive runs reuse connections.

    :param seat_check: run after a complete pull, under the lease; the outcome of the check it ran
        (``ok``/``failed``) or None; it must not raise (it records its own failures)
    """
    state = db.session.get(SyncState, tenant_id)
    tenant = db.session.get(Tenant, tenant_id)
    if state is None or tenant is None or state.lease_owner != worker_id:
        db.session.rollback()
        return TenantResult(tenant_id, tenant.name if tenant else "?", "skipped")
    run = _Run(tenant_id, tenant.name, tenant.hub_id, worker_id, time.monotonic())
    try:
        account = db.session.scalars(select(SyncAccount).where(SyncAccount.tenant_id == tenant_id)).one()
        login = reveal_login(account)
        connector = connector_for(tenant)
        cursor = state.cursor
        if login is not None:
            _start(run)
    except LeaseLost:
        db.session.rollback()
        return run.result("lease_lost")
    except VaultError:
        db.session.rollback()
        return _finish(run, "failed", code="vault_error", message="a sync account secret could not be read")
    except Exception as exc:  # hub-side failure: recorded, the tenant's health untouched
        db.session.rollback()
        return _finish(run, "failed", code="internal_error", message=_internal_message(exc))
    if login is None:
        return _finish(run, "failed", code="no_credential", message="the sync account has no Billing credential")
    try:
        session = open_session(connector, login)
        run.seat_charged = session.seat.charged or not session.is_proxy
        try:
            stopped = _pull_pages(run, connector, session, cursor, page_size, stop)
        finally:
            _logout(connector, session)
        if not stopped and seat_check is not None and not (stop is not None and stop.is_set()):
            _extend_lease(run)  # the check's own calls get a whole lease, like a page
            db.session.commit()
            run.seat_check = seat_check(tenant)  # never raises: it records its own failures
    except TenantError as exc:
        db.session.rollback()
        return _finish(run, "failed", error=exc)
    except LeaseLost:
        db.session.rollback()
        return run.result("lease_lost")
    except Exception as exc:
        db.session.rollback()
        return _finish(run, "failed", code="internal_error", message=_internal_message(exc))
    return _finish(run, "stopped" if stopped else "ok")


def _pull_pages(run: _Run, connector: TenantConnector, session: TenantSession, cursor: str | None,
                page_size: int, stop: threading.Event | None) -> bool:
    """Read and commit pages until the tenant has no more; True when stopped early."""
    while True:
        page = connector.read_audit(session, cursor=cursor, limit=page_size)
        inserted = _commit_page(run, page.items, page.next_cursor)
        run.pages += 1
        run.events += inserted
        if page.next_cursor is not None:
            cursor = page.next_cursor
        _after_commit_hook(run.tenant_id, run.pages)
        if not page.has_more or not page.items:
            return False
        if stop is not None and stop.is_set():
            return True


def _commit_page(run: _Run, items: Sequence[AuditEvent], next_cursor: str | None) -> int:
    """Insert a page's events and move the cursor in one transaction; the number of new events."""
    try:
        inserted = insert_events(run.hub_id, run.tenant_id, items)
        values: dict[str, object] = {
            "pages_done": SyncState.pages_done + 1,
            "events_this_run": SyncState.events_this_run + inserted,
            "events_pulled_total": SyncState.events_pulled_total + inserted,
        }
        if next_cursor is not None:
            values["cursor"] = next_cursor
        _extend_lease(run, values)
        _after_insert_hook(run.tenant_id, run.pages + 1)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return inserted


def _extend_lease(run: _Run, values: dict[str, object] | None = None) -> None:
    """Write ``values`` and a renewed lease to the tenant's sync state, only while this worker still
    holds the lease (:class:`LeaseLost` otherwise); the caller commits."""
    renewed = {**(values or {}), "lease_expires_at": utcnow() + timedelta(seconds=claims.lease_seconds())}
    moved = db.session.execute(update(SyncState).where(claims.owned(run.tenant_id, run.worker_id)).values(renewed))
    if moved.rowcount != 1:
        raise LeaseLost(run.tenant_id)


def _start(run: _Run) -> None:
    now = utcnow()
    _extend_lease(run, {"status": SyncStatus.RUNNING, "started_at": now, "finished_at": None,
                        "last_attempt_at": now, "pages_done": 0, "events_this_run": 0})
    db.session.commit()


def _logout(connector: TenantConnector, session: TenantSession) -> None:
    try:
        connector.logout(session)
    except TenantError:
        pass  # the session expires on its own; the pulled pages are already committed


def _internal_message(exc: BaseException) -> str:
    # the exception text could quote anything (SQL parameters...): keep only its kind
    return f"internal error ({type(exc).__name__})"


def _finish(run: _Run, status: str, *, error: TenantError | None = None, code: str | None = None,
            message: str | None = None) -> TenantResult:
    """Release the lease and record the run on the sync state, tenant health and hub audit log."""
    if error is not None:
        code, message = error.code, (error.message or error.code)[:500]
    now = utcnow()
    values: dict[str, object] = {
        "lease_owner": None, "lease_expires_at": None, "status": SyncStatus.IDLE, "finished_at": now,
        "last_attempt_at": now,
    }
    if status in ("ok", "stopped"):
        # not due again at once: other workers of the same pass would re-pull it for nothing
        values.update(consecutive_failures=0, last_error_code=None, last_error_message=None,
                      next_attempt_at=None if status == "stopped" else now + timedelta(seconds=claims.min_interval()))
        if status == "ok":
            values["last_success_at"] = now
    with _audit_lock:
        try:
            state = db.session.get(SyncState, run.tenant_id)
            if status == "failed" and state is not None:
                failures = state.consecutive_failures + 1
                values.update(consecutive_failures=failures, last_error_code=code, last_error_message=message,
                              next_attempt_at=now + timedelta(seconds=claims.backoff_seconds(failures)))
            moved = db.session.execute(
                update(SyncState).where(claims.owned(run.tenant_id, run.worker_id)).values(values)
            )
            if moved.rowcount != 1:
                db.session.rollback()
                return run.result("lease_lost")
            tenant = db.session.get(Tenant, run.tenant_id)
            if tenant is not None and status == "ok" and run.seat_charged:
                health.record_misconfiguration(tenant, health.SEAT_CHARGED, SEAT_CHARGED_MESSAGE)
            elif tenant is not None and status == "ok":
                health.record_contact(tenant)  # a misconfiguration seen by a login or seat check stays
            elif tenant is not None and error is not None:
                health.record_failure(tenant, error)
            if status != "stopped":
                record(
                    "sync.completed" if status == "ok" else "sync.failed",
                    actor=None, actor_label=f"sync-worker:{run.worker_id}", hub_id=run.hub_id,
                    tenant_id=run.tenant_id, target_type="tenant", target_id=run.tenant_id,
                    outcome="success" if status == "ok" else "failure",
                    detail={"events": run.events, "pages": run.pages, "error_code": code},
                )
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return run.result(status, code, message)
