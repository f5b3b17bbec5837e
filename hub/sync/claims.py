"""Hand due tenants to workers under a lease, so several workers share them without double work.

A claim is one short transaction: ``SELECT ... FOR UPDATE SKIP LOCKED`` over the due sync states
(PostgreSQL; SQLite, which has one writer anyway, runs the same statement without the clause), then
an UPDATE setting the lease.  Every later write of the worker checks ``lease_owner`` in its WHERE
clause, so a worker whose lease was taken over can no longer move the cursor.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update

from hub.dbtypes import utcnow
from hub.extensions import db
from hub.sync.models import SyncAccount, SyncState, SyncStatus
from hub.tenants.models import Tenant

DEFAULT_LEASE_SECONDS = 300
DEFAULT_MIN_INTERVAL_SECONDS = 15
BACKOFF_BASE_SECONDS = 15
BACKOFF_CAP_SECONDS = 30 * 60


def lease_seconds() -> float:
    """How long a claim holds before another worker may take the tenant over (renewed per page)."""
    configured = current_app.config.get("SYNC_LEASE_SECONDS")
    if configured:
        return float(configured)
    # a page must fit in a lease whatever the tenant timeouts are
    return max(DEFAULT_LEASE_SECONDS, 4 * float(current_app.config.get("TENANT_TOTAL_TIMEOUT", 20)))


def min_interval() -> float:
    """Seconds after a successful run before a tenant is due again (``SYNC_MIN_INTERVAL_SECONDS``)."""
    return float(current_app.config.get("SYNC_MIN_INTERVAL_SECONDS", DEFAULT_MIN_INTERVAL_SECONDS))


def backoff_seconds(failures: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with "full jitter" after ``failures`` consecutive failures, capped."""
    if failures <= 0:
        return 0.0
    base = float(current_app.config.get("SYNC_BACKOFF_BASE_SECONDS", BACKOFF_BASE_SECONDS))
    cap = float(current_app.config.get("SYNC_BACKOFF_CAP_SECONDS", BACKOFF_CAP_SECONDS))
    ceiling = min(cap, base * 2 ** min(failures - 1, 30))
    # half fixed, half random: never retried at once, yet spread so failing tenants do not stampede
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Tenant.active.is_(True),
        SyncAccount.billing_credential_id.is_not(None),
        or_(SyncState.next_attempt_at.is_(None), SyncState.next_attempt_at <= now),
        or_(SyncState.lease_expires_at.is_(None), SyncState.lease_expires_at <= now),
    )


def _due_select(now: datetime) -> Select[tuple[int]]:
    return (
        select(SyncState.tenant_id)
        .join(Tenant, Tenant.id == SyncState.tenant_id)
        .join(SyncAccount, SyncAccount.tenant_id == SyncState.tenant_id)
        .where(_due(now))
    )


def ensure_states() -> int:
    """Create the missing sync states of tenants that have a sync account; returns how many."""
    missing = list(
        db.session.execute(
            select(SyncAccount.tenant_id, SyncAccount.hub_id)
            .outerjoin(SyncState, SyncState.tenant_id == SyncAccount.tenant_id)
            .where(SyncState.tenant_id.is_(None))
        )
    )
    for tenant_id, hub_id in missing:
        db.session.add(SyncState(tenant_id=tenant_id, hub_id=hub_id, status=SyncStatus.IDLE,
                                 consecutive_failures=0, events_pulled_total=0, pages_done=0, events_this_run=0))
    db.session.commit()
    return len(missing)


def count_due(*, exclude: Collection[int] = ()) -> int:
    """How many tenants are due now (an estimate for progress bars; other workers may take some)."""
    stmt = _due_select(utcnow())
    if exclude:
        stmt = stmt.where(SyncState.tenant_id.not_in(list(exclude)))
    n = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    db.session.rollback()
    return n


def claim_due(worker_id: str, *, limit: int, exclude: Collection[int] = (),
              tenant_ids: Collection[int] | None = None) -> list[int]:
    """Lease up to ``limit`` due tenants to ``worker_id`` in one short transaction; their ids.

    ``exclude`` skips tenants this worker already handled in the current pass; ``tenant_ids``
    restricts the claim to those tenants (a "sync now" for one tenant).
    """
    if limit <= 0:
        return []
    now = utcnow()
    stmt = _due_select(now).order_by(SyncState.next_attempt_at.is_not(None), SyncState.next_attempt_at,
                                     SyncState.tenant_id).limit(limit)
    if exclude:
        stmt = stmt.where(SyncState.tenant_id.not_in(list(exclude)))
    if tenant_ids is not None:
        stmt = stmt.where(SyncState.tenant_id.in_(list(tenant_ids)))
    # lock only the sync states: other workers skip them instead of waiting
    stmt = stmt.with_for_update(skip_locked=True, of=SyncState)
    try:
        ids = list(db.session.scalars(stmt))
        if ids:
            db.session.execute(
                update(SyncState)
                .where(SyncState.tenant_id.in_(ids))
                .values(lease_owner=worker_id, lease_expires_at=now + timedelta(seconds=lease_seconds()),
                        status=SyncStatus.QUEUED)
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return ids


def owned(tenant_id: int, worker_id: str) -> ColumnElement[bool]:
    """WHERE clause: the tenant's state row is still leased to ``worker_id``."""
    return and_(SyncState.tenant_id == tenant_id, SyncState.lease_owner == worker_id)


def release_all(worker_id: str) -> int:
    """Give up every lease ``worker_id`` holds (shutdown); returns how many."""
    result = db.session.execute(
        update(SyncState)
        .where(SyncState.lease_owner == worker_id)
        .values(lease_owner=None, lease_expires_at=None, status=SyncStatus.IDLE)
    )
    db.session.commit()
    return int(result.rowcount or 0)


def request_sync_now(tenant_id: int) -> bool:
    """Make a tenant due at once, clearing its backoff (for a "sync now" button); caller commits.

    Returns False when the tenant has no sync state (no sync account).
    """
    state = db.session.get(SyncState, tenant_id)
    if state is None:
        return False
    state.next_attempt_at = None
    if state.status == SyncStatus.IDLE:
        state.status = SyncStatus.QUEUED
    return True
