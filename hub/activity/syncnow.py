"""'Sync now' for one tenant: mark it due, pull it in a background thread of the web process.

The pull is the sync engine's own :func:`hub.sync.worker.sync_pass` restricted to the tenant, so
it claims the tenant under a lease like any worker: a worker process that already holds it simply
wins, and the pull here finds nothing to claim.  A small bounded executor per application keeps the
web process from starting more than a few pulls; a tenant already being pulled (here or by a
worker) is refused politely rather than queued twice.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from hub.audit.service import record
from hub.dbtypes import utcnow
from hub.extensions import db
from hub.sync import claims
from hub.sync.models import SyncAccount, SyncState, SyncStatus
from hub.sync.worker import default_worker_id, sync_pass
from hub.tenants.models import Tenant

log = logging.getLogger(__name__)
_EXTENSION = "hub_activity_sync_now"
DEFAULT_THREADS = 2
#: pulls accepted at once per web process (running + waiting for a thread)
DEFAULT_MAX_PENDING = 8


class SyncRefused(Exception):
    """The sync cannot be started; ``message`` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Runner:
    """The executor and the tenants it is pulling right now (one per application)."""

    def __init__(self, threads: int, max_pending: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hub-sync-now")
        self.max_pending = max_pending
        self.lock = threading.Lock()
        self.pending: dict[int, Future[None]] = {}


def _runner(app: Flask) -> _Runner:
    runner = app.extensions.get(_EXTENSION)
    if runner is None:
        runner = app.extensions.setdefault(_EXTENSION, _Runner(
            int(app.config.get("SYNC_NOW_THREADS", DEFAULT_THREADS)),
            int(app.config.get("SYNC_NOW_MAX_PENDING", DEFAULT_MAX_PENDING)),
        ))
    return runner


def is_pending(app: Flask, tenant_id: int) -> bool:
    """Whether this process has a pull of the tenant queued or running."""
    runner = app.extensions.get(_EXTENSION)
    return runner is not None and tenant_id in runner.pending


def _busy(state: SyncState) -> bool:
    """A worker holds the tenant (running, or claimed with a live lease)."""
    if state.status == SyncStatus.RUNNING:
        return True
    return state.lease_owner is not None and state.lease_expires_at is not None and state.lease_expires_at > utcnow()


def request_sync(tenant: Tenant, *, actor: Any) -> None:
    """Mark ``tenant`` due now, audit ``sync.requested`` (committed) and start pulling it in the background.

    Raises :class:`SyncRefused` when the tenant cannot sync or is already being pulled.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = _runner(app)
    account = db.session.scalars(select(SyncAccount).where(SyncAccount.tenant_id == tenant.id)).first()
    if account is None or account.billing_credential_id is None:
        raise SyncRefused(f"{tenant.name} has no sync account; an administrator sets one up first.")
    if not tenant.active:
        raise SyncRefused(f"{tenant.name} is inactive; activate it to sync.")
    claims.ensure_states()
    state = db.session.get(SyncState, tenant.id)
    if state is None:
        raise SyncRefused(f"{tenant.name} has no sync state yet; try again in a moment.")
    with runner.lock:
        if tenant.id in runner.pending or _busy(state):
            raise SyncRefused(f"A sync of {tenant.name} is already running; its progress is shown below.")
        if len(runner.pending) >= runner.max_pending:
            raise SyncRefused("Too many syncs are running on this server; try again in a minute.")
        try:
            claims.request_sync_now(tenant.id)
            record("sync.requested", actor=actor, hub_id=tenant.hub_id, tenant_id=tenant.id,
                   target_type="tenant", target_id=tenant.id)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        runner.pending[tenant.id] = runner.executor.submit(_pull, app, tenant.id)


def _pull(app: Flask, tenant_id: int) -> None:
    """Thread body: one sync pass over this tenant only, then tidy the state if nothing ran."""
    try:
        summary = sync_pass(app, concurrency=1, tenant_ids=[tenant_id], worker_id=f"web:{default_worker_id()}")
        if not summary.results:
            # nobody claimed it (not due after all, or a worker got there first and finished):
            # leave no "queued" mark without a lease behind
            with app.app_context():
                try:
                    db.session.execute(
                        update(SyncState)
                        .where(SyncState.tenant_id == tenant_id, SyncState.status == SyncStatus.QUEUED,
                               SyncState.lease_owner.is_(None))
                        .values(status=SyncStatus.IDLE)
                    )
                    db.session.commit()
                finally:
                    db.session.remove()
    except Exception:  # the thread has nobody to report to but the log
        log.exception("sync now of tenant %s failed", tenant_id)
    finally:
        runner = app.extensions.get(_EXTENSION)
        if runner is not None:
            with runner.lock:
                runner.pending.pop(tenant_id, None)


def wait_all(app: Flask, timeout: float = 60.0) -> None:
    """Block until this process's pulls are done (tests, orderly shutdown)."""
    runner = app.extensions.get(_EXTENSION)
    if runner is None:
        return
    with runner.lock:
        futures = list(runner.pending.values())
    for future in futures:
        future.result(timeout=timeout)


@dataclass(frozen=True, slots=True)
class Progress:
    """What the progress page and its JSON show."""

    tenant_id: int
    tenant_name: str
    #: idle (never ran) | queued | running | done | failed
    phase: str
    pages_done: int
    events_this_run: int
    started_at: datetime | None
    finished_at: datetime | None
    error_code: str | None
    error_message: str | None

    @property
    def active(self) -> bool:
        """Still going: the page keeps refreshing."""
        return self.phase in ("queued", "running")

    def as_json(self) -> dict[str, Any]:
        """JSON body (times in ISO 8601 UTC)."""
        return {
            "tenant_id": self.tenant_id, "phase": self.phase, "active": self.active,
            "pages_done": self.pages_done, "events_this_run": self.events_this_run,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error_code": self.error_code, "error_message": self.error_message,
        }


def progress(tenant: Tenant) -> Progress:
    """The tenant's sync progress, from its sync state (read fresh) and this process's queue."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    db.session.expire_all()
    state = db.session.get(SyncState, tenant.id)
    if state is None:
        return Progress(tenant.id, tenant.name, "idle", 0, 0, None, None, None, None)
    if state.status == SyncStatus.RUNNING:
        phase = "running"
    elif state.status == SyncStatus.QUEUED or is_pending(app, tenant.id):
        phase = "queued"
    elif state.finished_at is None:
        phase = "idle"
    else:
        phase = "failed" if state.last_error_code else "done"
    return Progress(tenant.id, tenant.name, phase, state.pages_done or 0, state.events_this_run or 0,
                    state.started_at, state.finished_at, state.last_error_code, state.last_error_message)
