"""Dashboard queries over many synced events: keyset pages per filter kind vs OFFSET pagination.

``python -m bench.dashboard_bench`` (full: 1,000,000 events) or ``--quick`` (20,000).  Events are
bulk-written (``COPY`` on PostgreSQL, ``executemany`` on SQLite) over 120 tenants (Zipf-like sizes),
30 staff members and 12 months.  For each filter kind the dashboard's own service function
(:func:`hub.activity.service.page_events`) is timed on the first page and on page ``--depth``
reached through its keyset cursor; the baseline is the same filter and order read with
``OFFSET (depth-1)*per_page`` (the naive way).  Every filter but "everyone" keeps the dashboard's
default "Who: our billing company".  Also timed: the whole list page's data
(:func:`hub.activity.pages.build`, which adds the filter's choice lists, read from the
``activity_choices`` table the bulk loader fills like the sync does), against the former way of
building those lists (three ``GROUP BY`` over every event of the hub).  On PostgreSQL the plans
of page ``--depth`` are summarised from ``EXPLAIN ANALYZE`` (index used, sort, rows read).

Correctness checks: the keyset page at depth holds exactly the rows the OFFSET query returns; the
choice lists equal the ``GROUP BY`` over the events (hub-wide and for our billing company).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from bench.common import (
    CheckFailed,
    backend_name,
    bench_main,
    database_url_arg,
    emit,
    hub_app,
    machine,
    median,
    percentile,
    ratio,
    scratch_database,
    sizes_from,
    table,
)
from bench.world import EventShape, add_tenant, analyze, bulk_insert_events, generate_events, make_hub
from hub.activity import cursor as cursors
from hub.activity import pages, service
from hub.activity.filters import WHO_EVERYONE, ActivityFilter, Scope
from hub.extensions import db
from hub.sync.models import TenantAuditEvent as Event

FULL = {"rows": 1_000_000, "repeat": 30, "depth": 50}
QUICK = {"rows": 20_000, "repeat": 5, "depth": 5}
TENANTS = 120



def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI size (20,000 events, 5 repetitions, page 5)")
    parser.add_argument("--rows", type=int, help="events to generate")
    parser.add_argument("--repeat", type=int, help="timed repetitions per query")
    parser.add_argument("--depth", type=int, help="page reached through the cursor (full 50, quick 5)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: HUB_TEST_DATABASE_URL, else SQLite)")
    return parser


def filters(tenant_ids: Sequence[int], shape: EventShape, company_ref: str | None) -> dict[str, ActivityFilter]:
    """One filter per kind the dashboard offers (values that exist in the generated data).

    Like the page, every filter keeps "Who: our billing company" (``company_ref``) but "everyone".
    """
    busy, mid = tenant_ids[0], tenant_ids[min(9, len(tenant_ids) - 1)]
    first_day = (shape.end - timedelta(days=61)).date().replace(day=1)
    last_day = (first_day + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    ours = {"company_ref": company_ref}
    return {
        "none": ActivityFilter(**ours),
        "everyone (Who)": ActivityFilter(who=WHO_EVERYONE),
        "tenant": ActivityFilter(tenant_id=mid, **ours),
        "staff member": ActivityFilter(staff=shape.staff_id(5), **ours),
        "Billing user": ActivityFilter(user="t0003-acme-full", **ours),
        "action": ActivityFilter(action="update", **ours),
        "entity": ActivityFilter(entity_type="client", entity_id="17", **ours),
        "time range (1 month)": ActivityFilter(date_from=first_day, date_to=last_day, **ours),
        "combined": ActivityFilter(tenant_id=busy, staff=shape.staff_id(3), action="view",
                                   date_from=date(shape.end.year - 1, shape.end.month, 1), **ours),
    }


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    fn()  # warm the caches and the statement cache
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return times, result


def _offset_stmt(scope: Scope, flt: ActivityFilter, depth: int) -> Select[tuple[Event]]:
    return (service.filtered(scope, flt).order_by(Event.occurred_at.desc(), Event.id.desc())
            .offset((depth - 1) * flt.per_page).limit(flt.per_page + 1))


def _cursor_at(scope: Scope, flt: ActivityFilter, depth: int) -> cursors.Position | None:
    """The position of page ``depth``, walked to through the pages' own cursors (None if shorter)."""
    position = None
    for _ in range(depth - 1):
        page = service.page_events(scope, flt, position)
        if page.older is None:
            return None
        position = cursors.decode(page.older, scope_key=scope.key)
    return position


_INDEX = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)")


def explain(stmt: Select[Any]) -> tuple[str, float | None]:
    """A one-line summary of the plan (indexes used, sort or seq scan) and the server's execution ms."""
    conn = db.session.connection()
    compiled = stmt.compile(dialect=conn.dialect)
    if conn.dialect.name != "postgresql":
        lines = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                                     tuple(compiled.params.values()))]
        return "; ".join(lines), None
    lines = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + str(compiled), compiled.params)]
    plan = "\n".join(lines)
    indexes = sorted({m.group(2) for m in _INDEX.finditer(plan)})
    parts = [("index " + ", ".join(indexes)) if indexes else "NO INDEX"]
    if "Seq Scan" in plan:
        parts.append("seq scan")
    if re.search(r"^\s*(->\s*)?(Incremental )?Sort", plan, re.M):
        parts.append("sort")
    executed = re.search(r"Execution Time: ([\d.]+) ms", plan)
    db.session.rollback()
    return "; ".join(parts), float(executed.group(1)) if executed else None


def run(argv: Sequence[str] | None = None) -> int:
    """Generate the events, time every filter kind, print the tables; 0 when the checks held."""
    args = _parser().parse_args(argv)
    sizes = sizes_from(args, FULL, QUICK)
    shape = EventShape()
    with scratch_database(database_url_arg(args.database_url), label="dash") as url:
        app = hub_app(url)
        with app.app_context():
            hub = make_hub()
            tenant_ids = [add_tenant(hub, f"Tenant {n:04d} Clinic", f"http://127.0.0.1:9/t/{n}")[0].id
                          for n in range(1, TENANTS + 1)]
            db.session.commit()
            started = time.perf_counter()
            written = bulk_insert_events(db.engine, generate_events(hub.id, tenant_ids, sizes["rows"], shape))
            analyze(db.engine)
            loaded = time.perf_counter() - started
            emit(f"dashboard_bench: {written:,} events over {TENANTS} tenants, {shape.staff} staff members, "
                 f"{shape.months} months on {backend_name(url)} (generated and loaded in {loaded:.1f} s); "
                 f"{sizes['repeat']} timed runs per query, page {sizes['depth']} = {sizes['depth'] - 1} pages deep")
            emit(machine(url))
            # the dashboard's own scope: the hub, with the billing company "Who" defaults to
            scope = Scope(hub_id=hub.id, billing_company_ref=hub.billing_company_ref)
            _measure(scope, filters(tenant_ids, shape, hub.billing_company_ref), sizes["repeat"], sizes["depth"])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


def _measure(scope: Scope, kinds: dict[str, ActivityFilter], repeat: int, depth: int) -> None:
    rows, plans = [], []
    for kind, flt in kinds.items():
        first, _ = _timed(lambda f=flt: service.page_events(scope, f, None), repeat)
        position = _cursor_at(scope, flt, depth)
        if position is None:
            rows.append([kind, f"{median(first):.2f}", f"{percentile(first, 95):.2f}", "(fewer pages)", "", "", "",
                         ""])
            continue
        keyset, page = _timed(lambda f=flt, p=position: service.page_events(scope, f, p), repeat)
        offset_stmt = _offset_stmt(scope, flt, depth)
        offset, offset_rows = _timed(lambda s=offset_stmt: list(db.session.scalars(s)), repeat)
        got = [e.id for e in page.rows]
        if got != [e.id for e in offset_rows][: len(got)] or not got:
            raise CheckFailed(f"{kind}: the keyset page differs from the OFFSET page")
        rows.append([kind, f"{median(first):.2f}", f"{percentile(first, 95):.2f}", f"{median(keyset):.2f}",
                     f"{percentile(keyset, 95):.2f}", f"{median(offset):.2f}", f"{percentile(offset, 95):.2f}",
                     ratio(median(offset), median(keyset))])
        keyset_stmt = service.page_statement(scope, flt, position)  # the very query page_events sends
        (keyset_plan, keyset_ms), (offset_plan, offset_ms) = explain(keyset_stmt), explain(offset_stmt)
        server = ratio(offset_ms, keyset_ms) if keyset_ms and offset_ms else "n/a"
        plans.append([kind, keyset_plan, f"{keyset_ms:.2f}" if keyset_ms else "", offset_plan,
                      f"{offset_ms:.2f}" if offset_ms else "", server])
    emit(table(f"Dashboard page query, ms (median / p95); keyset = the service's cursor, baseline = OFFSET at "
               f"page {depth}",
               ["filter", "page 1 p50", "page 1 p95", f"page {depth} keyset p50", "p95", f"page {depth} OFFSET p50",
                "p95", "OFFSET / keyset"], rows))
    few = max(3, repeat // 3)
    build, view = _timed(lambda: pages.build(scope, {}, with_tenant=True), few)
    ours = ActivityFilter(company_ref=scope.billing_company_ref).choice_scope(scope)
    choices, lists = _timed(lambda: _choice_lists(ours), few)
    grouped, reference = _timed(lambda: _grouped_choice_lists(ours), few)
    if lists != reference or _choice_lists(scope) != _grouped_choice_lists(scope) or not view.rows:
        raise CheckFailed("the choice lists differ from the GROUP BY over the events")
    emit(table("Whole list page data (pages.build, no filter): page query + the filter's choice lists, ms",
               ["what", "p50", "p95", "baseline / this"],
               [["pages.build (page 1)", f"{median(build):.1f}", f"{percentile(build, 95):.1f}", ""],
                ["of which choice lists (staff, actions, entity types)", f"{median(choices):.1f}",
                 f"{percentile(choices, 95):.1f}", ratio(median(grouped), median(choices))],
                ["baseline: the same lists by GROUP BY over every event", f"{median(grouped):.1f}",
                 f"{percentile(grouped, 95):.1f}", ""]]))
    emit(table(f"Plans of page {depth} (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite)",
               ["filter", "keyset plan", "server ms", "OFFSET plan", "server ms", "OFFSET / keyset (server)"],
               plans))
    emit("checks: keyset page at depth == OFFSET page for every filter: OK; "
         "choice lists == GROUP BY over the events: OK")


Lists = tuple[list[tuple[str, str]], list[str], list[str]]


def _choice_lists(scope: Scope) -> Lists:
    """What the page shows in its selects (read from ``activity_choices``)."""
    return (service.staff_choices(scope), service.distinct_values(scope, "action"),
            service.distinct_values(scope, "entity_type"))


def _grouped_choice_lists(scope: Scope) -> Lists:
    """The former way: the same lists grouped from every event of the scope (the baseline and the check)."""
    staff = select(Event.on_behalf_of_user_id, func.max(Event.on_behalf_of_name)).where(
        *scope.clauses(), Event.on_behalf_of_user_id.is_not(None)).group_by(Event.on_behalf_of_user_id).order_by(
        Event.on_behalf_of_user_id).limit(service.MAX_CHOICES)

    def values(column: Any) -> list[str]:
        stmt = (select(column).where(*scope.clauses(), column.is_not(None)).group_by(column).order_by(column)
                .limit(service.MAX_CHOICES))
        return list(db.session.scalars(stmt))

    return ([(i, n or i) for i, n in db.session.execute(staff)], values(Event.action), values(Event.entity_type))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 1 when a check failed."""
    return bench_main(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())

