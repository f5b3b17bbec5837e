"""The scheduled seat check: the sync workers check a tenant they just synced when its last check is old.

:func:`check_if_due` is called by the sync engine (:func:`hub.sync.service.pull_tenant`) after a
tenant's pages are committed and while the worker still holds the tenant's lease, so two workers
never check one tenant at once, and the run is committed before the lease is released, so the next
worker to claim the tenant sees it.  "Due" means the tenant's latest check — a tenant admin's
"Check now", the demo's or a worker's, failed or not — is older than ``SEAT_CHECK_INTERVAL_HOURS``
(or there is none); 0 switches the schedule off.  A failed check is stored and audited like any
other, so a tenant that refuses it is asked again only after another interval.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from hub.dbtypes import utcnow
from hub.extensions import db
from hub.review.models import SeatCheckRun
from hub.review.service import run_seat_check
from hub.tenants.models import Tenant

#: who the hub audit log names for a scheduled check
SYNC_WORKER_LABEL = "sync worker"
DEFAULT_INTERVAL_HOURS = 24


def interval() -> timedelta | None:
    """How old a tenant's last seat check may get (``SEAT_CHECK_INTERVAL_HOURS``); None when switched off."""
    hours = float(current_app.config.get("SEAT_CHECK_INTERVAL_HOURS", DEFAULT_INTERVAL_HOURS) or 0)
    return timedelta(hours=hours) if hours > 0 else None


def is_due(tenant_id: int, every: timedelta) -> bool:
    """Whether the tenant has no seat check newer than ``every``."""
    last = db.session.scalar(select(SeatCheckRun.checked_at).where(SeatCheckRun.tenant_id == tenant_id)
                             .order_by(SeatCheckRun.checked_at.desc()).limit(1))
    return last is None or last <= utcnow() - every


def check_if_due(tenant: Tenant) -> SeatCheckRun | None:
    """Run (and commit) the tenant's seat check when it is due; the run, or None when none was due."""
    every = interval()
    if every is None or not is_due(tenant.id, every):
        return None
    return run_seat_check(tenant, actor=None, actor_label=SYNC_WORKER_LABEL)
