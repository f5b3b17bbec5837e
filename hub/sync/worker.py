"""Run sync passes: claim due tenants and pull them concurrently, with a bounded number in flight.

Each tenant runs in its own thread with its own app context (and so its own database session);
every tenant call is bounded by the connector's timeouts, so one slow, hanging or garbage-speaking
tenant only occupies its own slot.  Claims are made a few at a time as slots free up, so several
worker processes on one PostgreSQL share the due tenants between them.

A tenant synced completely is then seat-checked when its last seat check is older than
``SEAT_CHECK_INTERVAL_HOURS`` (:mod:`hub.review.schedule`), still under the worker's lease: a
misconfigured Billing account is found without anyone pressing "Check now", never by two workers
at once, and a check that fails is stored as a failed run without failing the tenant's sync.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from flask import Flask

from hub.extensions import db
from hub.review.schedule import check_if_due
from hub.sync import claims
from hub.sync.service import PAGE_SIZE, TenantResult, pull_tenant
from hub.tenants.models import Tenant

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PassSummary:
    """What one pass did, tenant by tenant."""

    worker_id: str
    results: tuple[TenantResult, ...]
    elapsed: float

    @property
    def events(self) -> int:
        """New events stored by the pass."""
        return sum(r.events for r in self.results)

    @property
    def failed(self) -> tuple[TenantResult, ...]:
        """The tenants whose run failed."""
        return tuple(r for r in self.results if r.status == "failed")

    @property
    def seat_checks(self) -> int:
        """Seat checks run after the tenants' pulls (failed ones included)."""
        return sum(1 for r in self.results if r.seat_check is not None)

    @property
    def seat_checks_failed(self) -> int:
        """Seat checks that could not list the tenant's accounts (stored as failed runs)."""
        return sum(1 for r in self.results if r.seat_check == "failed")


def default_worker_id() -> str:
    """A worker id unique to this process (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def scheduled_seat_check(tenant: Tenant) -> str | None:
    """The tenant's seat check when it is due: its outcome (``ok``/``failed``), None when not due; never raises."""
    tenant_id = tenant.id
    try:
        run = check_if_due(tenant)
    except Exception as exc:  # the check stores the tenant's own failures; this is the hub's (database...)
        db.session.rollback()
        log.warning("seat check of tenant %s failed: internal error (%s)", tenant_id, type(exc).__name__)
        return "failed"
    return None if run is None else run.outcome


def _run_one(app: Flask, tenant_id: int, worker_id: str, page_size: int,
             stop: threading.Event | None) -> TenantResult:
    with app.app_context():
        try:
            return pull_tenant(tenant_id, worker_id, page_size=page_size, stop=stop, seat_check=scheduled_seat_check)
        finally:
            db.session.remove()


def sync_pass(
    app: Flask,
    *,
    concurrency: int = 8,
    worker_id: str | None = None,
    stop_event: threading.Event | None = None,
    tenant_ids: Collection[int] | None = None,
    page_size: int = PAGE_SIZE,
    on_result: Callable[[TenantResult], Any] | None = None,
) -> PassSummary:
    """Pull every due tenant once (or only ``tenant_ids``); returns the per-tenant results.

    ``on_result`` is called in the calling thread as each tenant finishes (progress bars).
    """
    worker_id = worker_id or default_worker_id()
    started = time.monotonic()
    with app.app_context():
        claims.ensure_states()
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="hub-sync")
    in_flight: dict[Future[TenantResult], int] = {}
    handled: set[int] = set()
    results: list[TenantResult] = []
    try:
        while True:
            free = concurrency - len(in_flight)
            if free > 0 and not (stop_event is not None and stop_event.is_set()):
                with app.app_context():
                    # a tenant is pulled at most once per pass, even when it is due again at once
                    claimed = claims.claim_due(worker_id, limit=free, exclude=handled, tenant_ids=tenant_ids)
                for tenant_id in claimed:
                    handled.add(tenant_id)
                    future = executor.submit(_run_one, app, tenant_id, worker_id, page_size, stop_event)
                    in_flight[future] = tenant_id
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                in_flight.pop(future)
                result = future.result()
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        executor.shutdown(wait=True)
    return PassSummary(worker_id, tuple(results), round(time.monotonic() - started, 3))


def _install_signal_handlers(stop: threading.Event) -> dict[int, Any]:
    """SIGTERM/SIGINT ask the loop to stop after the current pages (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}

    def _handler(signum: int, frame: object) -> None:
        if stop.is_set():  # a second signal: stop waiting for the pages in flight
            signal.signal(signum, previous.get(signum) or signal.SIG_DFL)
            raise KeyboardInterrupt
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, _handler)
    return previous


def run_forever(
    app: Flask,
    *,
    interval: float = 30.0,
    concurrency: int = 8,
    stop_event: threading.Event | None = None,
    worker_id: str | None = None,
    on_pass: Callable[[PassSummary], Any] | None = None,
) -> int:
    """Run passes every ``interval`` seconds until ``stop_event`` is set (or SIGTERM/SIGINT).

    The pages in flight are finished and committed, then every lease this worker holds is released.
    Returns the number of passes run.
    """
    stop = stop_event or threading.Event()
    worker_id = worker_id or default_worker_id()
    previous = _install_signal_handlers(stop)
    passes = 0
    try:
        while not stop.is_set():
            summary = sync_pass(app, concurrency=concurrency, worker_id=worker_id, stop_event=stop)
            passes += 1
            if on_pass is not None:
                on_pass(summary)
            stop.wait(interval)
    finally:
        with app.app_context():
            claims.release_all(worker_id)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return passes
