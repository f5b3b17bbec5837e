"""Audit sync throughput: the hub's concurrent sync vs one tenant at a time vs a bare ``executemany``.

``python -m bench.sync_bench`` (full: 200 tenants x 5,000 events, 50 ms added per tenant call) or
``--quick`` (8 x 300, 20 ms).  A sandbox tenant server is seeded and served by waitress in a
subprocess; the hub (PostgreSQL with ``--database-url``/``HUB_TEST_DATABASE_URL`` in a fresh schema,
else SQLite in a temp dir) pulls every tenant with :func:`hub.sync.worker.sync_pass`:

* **baseline** - ``concurrency=1`` over ``--baseline-tenants`` extra tenants of the same size (the
  200-tenant time is extrapolated from its events/s when fewer tenants are measured, and says so);
* **concurrent** - ``concurrency=C`` for each C of ``--concurrency`` over all the tenants (the hub's
  events are deleted and the cursors reset between levels);
* **incremental** - a second pass with nothing new but the previous run's own calls;
* **limit** - the same rows inserted again with driver ``executemany`` (batches of
  ``--batch`` in one transaction; only the ``executemany`` calls and the commit are timed).

Correctness checks (exit status 1 when one fails): every run succeeds for every tenant, each tenant's
stored events are distinct and equal the tenant's audit rows but for at most the run's last two
calls, and the limit run stores exactly the rows the sync stored.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from bench.common import (
    CheckFailed,
    backend_name,
    bench_main,
    database_url_arg,
    emit,
    hub_app,
    machine,
    ratio,
    scratch_database,
    sizes_from,
    table,
)
from bench.sandbox_proc import SandboxProcess, audit_counts, seed
from bench.world import EVENT_COLUMNS, add_sync_tenants, make_hub
from hub.extensions import db
from hub.sync.worker import PassSummary, sync_pass

FULL = {"tenants": 200, "events": 5000, "latency_ms": 50, "baseline_tenants": 20}
QUICK = {"tenants": 8, "events": 300, "latency_ms": 20, "baseline_tenants": 4}
#: sync every tenant again at once; bounds generous enough that a loaded machine times nothing out; the
#: audit pull alone is measured (no scheduled seat check adds its calls and tenant rows)
SYNC_CONFIG = {"SYNC_MIN_INTERVAL_SECONDS": 0, "TENANT_CONNECT_TIMEOUT": 10.0, "TENANT_READ_TIMEOUT": 60.0,
               "TENANT_TOTAL_TIMEOUT": 120.0, "SEAT_CHECK_INTERVAL_HOURS": 0}



@dataclass(frozen=True, slots=True)
class Run:
    """One measured sync run."""

    label: str
    tenants: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        """Events stored per second."""
        return self.events / self.seconds if self.seconds else 0.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI sizes (8 tenants x 300 events, 20 ms)")
    parser.add_argument("--tenants", type=int)
    parser.add_argument("--events", type=int, help="audit events per tenant")
    parser.add_argument("--latency-ms", type=int, help="added latency per tenant call")
    parser.add_argument("--baseline-tenants", type=int, help="tenants synced one at a time (extrapolated)")
    parser.add_argument("--concurrency", default="16,32", help="comma-separated sync_pass concurrency levels")
    parser.add_argument("--threads", type=int, default=64, help="waitress threads of the sandbox server")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per executemany of the limit run")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: HUB_TEST_DATABASE_URL, else SQLite)")
    return parser


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _reset(app: Flask) -> None:
    """Forget everything synced: no events, every cursor back to the start."""
    with app.app_context():
        db.session.execute(text("DELETE FROM tenant_audit_events"))
        db.session.execute(text("UPDATE sync_states SET cursor = NULL, next_attempt_at = NULL, "
                                "events_pulled_total = 0, consecutive_failures = 0"))
        db.session.commit()


def _stored(app: Flask) -> dict[int, tuple[int, int]]:
    """Per hub tenant id: (stored events, distinct remote ids)."""
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT tenant_id, count(*), count(DISTINCT remote_event_id) FROM tenant_audit_events GROUP BY tenant_id"))
        result = {int(t): (int(n), int(d)) for t, n, d in rows}
        db.session.rollback()
        return result


def _measure(app: Flask, label: str, tenants: dict[int, str], concurrency: int, sandbox_db: str,
             *, minimum: int) -> Run:
    """One sync pass over ``tenants`` (id -> slug), checked against the sandbox's audit rows."""
    summary: PassSummary = sync_pass(app, concurrency=concurrency, tenant_ids=list(tenants))
    failed = [(r.tenant_name, r.error_code) for r in summary.results if r.status != "ok"]
    _check(not failed, f"{label}: tenants failed: {failed[:5]}")
    _check(len(summary.results) == len(tenants), f"{label}: {len(summary.results)} of {len(tenants)} tenants ran")
    remote = audit_counts(sandbox_db)
    stored = _stored(app)
    for tenant_id, slug in tenants.items():
        count, distinct = stored.get(tenant_id, (0, 0))
        _check(count == distinct, f"{label}: {slug} has duplicate events")
        _check(minimum <= count <= remote[slug] and remote[slug] - count <= 2,
               f"{label}: {slug} stored {count} of the tenant's {remote[slug]} events")
    return Run(label, len(tenants), summary.events, summary.elapsed)


def _limit(app: Flask, batch: int, expected: int) -> Run:
    """Insert the stored rows again with driver executemany; time only the inserts and the commit."""
    columns = ", ".join(EVENT_COLUMNS)
    with app.app_context():
        db.session.execute(text("DROP TABLE IF EXISTS bench_hold"))
        db.session.execute(text(f"CREATE TABLE bench_hold AS SELECT id AS src_id, {columns} "
                                "FROM tenant_audit_events"))
        db.session.execute(text("DELETE FROM tenant_audit_events"))
        db.session.commit()
        conn = db.session.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        insert = (f"INSERT INTO tenant_audit_events ({columns}) "
                  f"VALUES ({', '.join([mark] * len(EVENT_COLUMNS))})")
        read = f"SELECT src_id, {columns} FROM bench_hold WHERE src_id > {mark} ORDER BY src_id LIMIT {int(batch)}"
        timed, last, written = 0.0, 0, 0
        while True:
            rows = conn.exec_driver_sql(read, (last,)).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            values = [tuple(r[1:]) for r in rows]
            started = time.perf_counter()
            conn.exec_driver_sql(insert, values)
            timed += time.perf_counter() - started
            written += len(values)
        started = time.perf_counter()
        db.session.commit()
        timed += time.perf_counter() - started
        count = db.session.execute(text("SELECT count(*) FROM tenant_audit_events")).scalar_one()
        db.session.execute(text("DROP TABLE bench_hold"))
        db.session.commit()
    _check(written == expected and count == expected, f"limit: wrote {written}, table holds {count}, "
                                                      f"expected {expected}")
    return Run(f"limit: executemany, {batch:,}-row batches", 0, written, timed)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; prints the tables; 0 when every check held."""
    args = _parser().parse_args(argv)
    sizes = sizes_from(args, FULL, QUICK)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    n, k, base_n = sizes["tenants"], sizes["events"], min(sizes["baseline_tenants"], sizes["tenants"])
    pg_url = database_url_arg(args.database_url)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp, scratch_database(pg_url, label="sync") as url:
        sandbox_db = f"sqlite:///{Path(tmp) / 'sandbox.sqlite3'}"
        seconds = seed(sandbox_db, tenants=n + base_n, events=k)
        emit(f"sync_bench: {n} tenants x {k:,} events, {sizes['latency_ms']} ms added per tenant call, "
             f"baseline on {base_n} more tenants; hub on {backend_name(url)}; sandbox seeded in {seconds:.1f} s")
        emit(machine(url))
        slugs = [f"tenant-{i:03d}" for i in range(1, n + base_n + 1)]
        with SandboxProcess(sandbox_db, threads=args.threads, log_path=Path(tmp) / "sandbox.log") as sandbox:
            for slug in slugs:
                sandbox.set_latency(slug, sizes["latency_ms"])
            app = hub_app(url, **SYNC_CONFIG)
            with app.app_context():
                hub = make_hub()
                made = add_sync_tenants(hub, sandbox.root, slugs)
                main = {t.id: t.name for t in made[:n]}
                extra = {t.id: t.name for t in made[n:]}
            baseline = _measure(app, "baseline: one tenant at a time (concurrency 1)", extra, 1, sandbox_db,
                                minimum=k)
            _reset(app)
            runs = []
            for i, level in enumerate(levels):
                if i:
                    _reset(app)
                runs.append(_measure(app, f"hub sync_pass, concurrency {level}", main, level, sandbox_db, minimum=k))
            incremental = _measure(app, f"incremental (nothing new), concurrency {max(levels)}", main,
                                   max(levels), sandbox_db, minimum=k)
            stored_total = sum(c for c, _ in _stored(app).values())
            limit = _limit(app, args.batch, stored_total)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    _report(baseline, runs, incremental, limit, n, k, base_n)
    return 0


def _share(rate: float, limit: float) -> str:
    return f"{100 * rate / limit:.1f} %" if limit else "n/a"


def _report(baseline: Run, runs: list[Run], incremental: Run, limit: Run, n: int, k: int, base_n: int) -> None:
    best = max(runs, key=lambda r: r.rate)
    rows = [[baseline.label, baseline.tenants, f"{baseline.events:,}", f"{baseline.seconds:.2f}",
             f"{baseline.rate:,.0f}", "1.0x", _share(baseline.rate, limit.rate)]]
    rows += [[r.label, r.tenants, f"{r.events:,}", f"{r.seconds:.2f}", f"{r.rate:,.0f}",
              ratio(r.rate, baseline.rate), _share(r.rate, limit.rate)] for r in runs]
    rows.append([limit.label, "-", f"{limit.events:,}", f"{limit.seconds:.2f}", f"{limit.rate:,.0f}",
                 ratio(limit.rate, baseline.rate), "100.0 %"])
    emit(table("Audit sync (events stored per second; higher is better)",
               ["run", "tenants", "events", "seconds", "events/s", "vs baseline", "share of limit"], rows))
    emit(table("Incremental sync (nothing new but the previous run's own calls)",
               ["run", "tenants", "new events", "seconds", "tenants/s"],
               [[incremental.label, incremental.tenants, incremental.events, f"{incremental.seconds:.2f}",
                 f"{incremental.tenants / incremental.seconds:,.1f}" if incremental.seconds else "n/a"]]))
    serial = n * k / baseline.rate if baseline.rate else 0.0
    how = "measured" if base_n >= n else f"extrapolated from {base_n} tenants synced one at a time"
    emit(f"\n{n} tenants x {k:,} events: one at a time {serial:,.0f} s ({how}); "
         f"{best.label} {best.seconds:,.1f} s -> {ratio(best.rate, baseline.rate)} faster; "
         f"the bare executemany limit would take {n * k / limit.rate:,.1f} s.")
    emit("checks: every run ok for every tenant; per-tenant events distinct and complete; limit rows equal: OK")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 1 when a correctness check failed."""
    return bench_main(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
