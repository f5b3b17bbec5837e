"""Build (or reuse) the demo world and run its parts: sandbox server, hub server, sync worker.

:class:`Demo` owns everything it starts and :meth:`Demo.stop` ends all of it, in an order that lets
the sync worker finish its pages before the sandbox goes away.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import httpx
from flask import Flask

from hub.demo.servers import ServerThread
from hub.demo.state import DataDir, DemoState
from hub.demo.world import FLAKY_ERROR_RATE, SLOW_LATENCY_MS, WorldReport, build_world

HOST = "127.0.0.1"
SYNC_INTERVAL = 30.0
#: SQLite takes one writer at a time, and both servers share this process: two tenants at once is plenty
SYNC_CONCURRENCY = 2


@dataclass
class Options:
    """The command-line choices."""

    data_dir: DataDir
    port: int | None
    sandbox_port: int | None
    tenants: int
    events_per_tenant: int
    clients: int
    reset: bool
    sync_worker: bool


def _echo(message: str) -> None:
    click.echo(message, err=False)


def _step(label: str) -> Callable[[], None]:
    """Print ``label``; the returned function prints how long the step took."""
    started = time.perf_counter()
    click.echo(f"  {label} ...", nl=False)

    def done() -> None:
        click.echo(f" done ({time.perf_counter() - started:.1f} s)")

    return done


class Demo:
    """The running demo: call :meth:`build`, then :meth:`start_hub`, and :meth:`stop` in a ``finally``."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.state: DemoState | None = None
        self.sandbox: ServerThread | None = None
        self.hub: ServerThread | None = None
        self.app: Flask | None = None
        self._sandbox_app: Any = None
        self._sync_stop = threading.Event()
        self._sync_thread: threading.Thread | None = None
        self.reused = False

    # ------------------------------------------------------------------ build
    def build(self) -> None:
        """Seed the sandbox (new world only), serve it, then build or update the hub database."""
        opts, data = self.options, self.options.data_dir
        if opts.reset:
            data.reset()
        self.state = data.load()
        self.reused = self.state is not None
        if self.state is None:
            data.reset()  # an interrupted or foreign build: start over
            self.state = DemoState.fresh()
            data.path.mkdir(parents=True, exist_ok=True)
            _echo(f"Building a new demo world in {data.path}")
            world = self._seed(opts)
        else:
            _echo(f"Reusing the demo world in {data.path} ({self.state.tenants} tenants; --reset to rebuild)")
            world = None
        preferred = opts.sandbox_port if opts.sandbox_port is not None else (self.state.sandbox_port or 8400)
        self._serve_sandbox(preferred, fallback=opts.sandbox_port is None)
        self._build_hub(world)

    def _seed(self, opts: Options) -> WorldReport:
        from tenant_connectors.sandbox.db import make_engine

        done = _step(f"seeding the sandbox: {opts.tenants} tenants x {opts.clients} clients, "
                     f"{opts.events_per_tenant} audit events each")
        engine = make_engine(opts.data_dir.sandbox_url)
        try:
            world = build_world(engine, tenants=opts.tenants, clients=opts.clients, events=opts.events_per_tenant)
        finally:
            engine.dispose()
        done()
        assert self.state is not None
        self.state.tenants, self.state.events_per_tenant = opts.tenants, opts.events_per_tenant
        self.state.check_tenant = world.tenants[0].name
        self.state.problems = {t.name: t.problem for t in world.tenants if t.problem}
        return world

    def _serve_sandbox(self, port: int, *, fallback: bool) -> None:
        from tenant_connectors.sandbox.app import create_app

        self._sandbox_app = create_app(self.options.data_dir.sandbox_url)
        self.sandbox = ServerThread(self._sandbox_app, host=HOST, port=port, name="sandbox", fallback=fallback)
        self.sandbox.start()

    def _hub_app(self) -> Flask:
        from hub import create_app

        assert self.state is not None
        return create_app({
            "ENV": "development",
            "SECRET_KEY": self.state.secret_key,
            "VAULT_KEYS": self.state.vault_keys,
            "SQLALCHEMY_DATABASE_URI": self.options.data_dir.hub_url,
            # web threads and the sync worker share one SQLite file (WAL, set by create_app): wait
            # for the writer, do not fail
            "SQLITE_BUSY_TIMEOUT_MS": 30_000,
        })

    def _build_hub(self, world: WorldReport | None) -> None:
        from flask_migrate import upgrade

        from hub.demo.provision import HUB_NAME, move_sandbox, provision

        assert self.state is not None and self.sandbox is not None
        self.app = app = self._hub_app()
        with app.app_context():
            done = _step("applying the hub's database migrations")
            upgrade()
            done()
            if world is None:
                moved = move_sandbox(self.sandbox.url)
                if moved:
                    _echo(f"  the sandbox moved to {self.sandbox.url}: {moved} tenant address(es) updated")
                self.state.sandbox_port = self.sandbox.port
                self.options.data_dir.save(self.state)
                return
            with click.progressbar(length=len(world.tenants), label="  provisioning the hub", show_pos=True,
                                   file=sys.stdout) as bar:
                self.state.logins = provision(world, self.sandbox.url, progress=bar.update)
            _echo(f"  provisioned hub {HUB_NAME!r}: {len(self.state.logins)} accounts, {len(world.tenants)} tenants")
        self._first_seat_check()
        self._first_sync(len(world.tenants))
        self._apply_faults(world)
        self.state.sandbox_port, self.state.complete = self.sandbox.port, True
        self.options.data_dir.save(self.state)

    def _first_seat_check(self) -> None:
        """Run every tenant's seat check once, so a charged seat (Sunrise's) is flagged from the start.

        It is a tenant admin's "Check now", with the sync account, audited as ``seat_check.run`` by "demo".
        """
        from sqlalchemy import select

        from hub.demo.provision import DEMO_ACTOR
        from hub.extensions import db
        from hub.review.service import run_seat_check
        from hub.tenants.models import HealthStatus, Tenant

        assert self.app is not None
        done = _step("first seat check of every tenant")
        with self.app.app_context():
            outcomes = [run_seat_check(tenant, actor=None, actor_label=DEMO_ACTOR).outcome
                        for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all()]
            flagged = db.session.scalars(select(Tenant.name).where(
                Tenant.health_status == HealthStatus.MISCONFIGURED).order_by(Tenant.name)).all()
        done()
        failed = sum(1 for outcome in outcomes if outcome != "ok")
        _echo(f"  seat check: {len(outcomes) - failed} tenants checked{f', {failed} failed' if failed else ''}; "
              f"flagged: {', '.join(flagged) or 'none'}")

    def _first_sync(self, count: int) -> None:
        from hub.sync.worker import sync_pass

        assert self.app is not None
        started = time.perf_counter()
        with click.progressbar(length=count, label="  first audit sync", show_pos=True, file=sys.stdout) as bar:
            summary = sync_pass(self.app, concurrency=SYNC_CONCURRENCY, worker_id="demo-first-sync",
                                on_result=lambda _result: bar.update(1))
        failed = f", {len(summary.failed)} failed" if summary.failed else ""
        _echo(f"  synced {summary.events} audit events from {len(summary.results)} tenants{failed} "
              f"({time.perf_counter() - started:.1f} s)")

    def _apply_faults(self, world: WorldReport) -> None:
        """Switch the deliberate slowness and flakiness on (after the first sync, which stays quick)."""
        assert self.sandbox is not None
        with httpx.Client(base_url=self.sandbox.url, timeout=10) as control:
            for tenant in world.tenants:
                faults = {"slow": {"latency_ms": SLOW_LATENCY_MS}, "flaky": {"error_rate": FLAKY_ERROR_RATE}}
                if tenant.problem in faults:
                    control.put(f"/_sandbox/companies/{tenant.slug}/faults",
                                json=faults[tenant.problem]).raise_for_status()

    # ------------------------------------------------------------------ run
    def start_hub(self) -> None:
        """Start the sync worker (unless disabled) and the hub web server."""
        opts = self.options
        assert self.app is not None
        if opts.sync_worker:
            from hub.sync.worker import run_forever

            self._sync_thread = threading.Thread(
                target=run_forever, name="demo-sync-worker", daemon=True,
                kwargs={"app": self.app, "interval": SYNC_INTERVAL, "concurrency": SYNC_CONCURRENCY,
                        "stop_event": self._sync_stop, "worker_id": "demo-sync-worker"})
            self._sync_thread.start()
        preferred = opts.port if opts.port is not None else 5000
        self.hub = ServerThread(self.app, host=HOST, port=preferred, name="hub", threads=8,
                                fallback=opts.port is None).start()

    def stop(self) -> list[str]:
        """Stop everything that was started; returns the names of parts that did not stop in time."""
        stuck = []
        if self.hub is not None and not self.hub.stop():
            stuck.append("hub web server")
        self._sync_stop.set()
        if self._sync_thread is not None:
            self._sync_thread.join(8)  # pages in flight are finished and committed
        if self._sandbox_app is not None:
            from tenant_connectors.sandbox.pipeline import state

            state(self._sandbox_app).faults.stopping.set()  # cut injected latency short
        if self._sync_thread is not None:
            self._sync_thread.join(5)
            if self._sync_thread.is_alive():
                stuck.append("sync worker")
        if self.sandbox is not None and not self.sandbox.stop():
            stuck.append("sandbox server")
        self._dispose()
        return stuck

    def _dispose(self) -> None:
        if self.app is not None:
            from hub.extensions import db
            from hub.tenants.connectors import close_connectors

            with self.app.app_context():
                close_connectors(self.app)
                db.engine.dispose()
        if self._sandbox_app is not None:
            from tenant_connectors.sandbox.pipeline import state

            state(self._sandbox_app).engine.dispose()
