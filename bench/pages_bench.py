"""Page throughput and latency under concurrent logged-in agents: gunicorn vs a single-threaded server.

``python -m bench.pages_bench`` (full: 1,000 tenants, 200,000 synced events, 16 agents, 2,000
requests per server) or ``--quick`` (100 tenants, 5,000 events, 4 agents, 200 requests).  The hub
is served on loopback by ``gunicorn -w 2 --threads 4 'hub:create_app()'`` (the production server;
``--workers``/``--threads``) and, as the baseline, by ``gunicorn -w 1 --threads 1`` (one request at a
time, like the single-threaded development server).  Each client thread is one agent with its own
login session (httpx, cookies); requests alternate between the activity dashboard (``/activity``,
first page, sometimes filtered by tenant) and the agent's tenant list (``/tenants?page=N``).  The
run stops after ``--requests`` requests or ``--max-seconds``, whichever comes first.

Correctness checks: every login succeeds and every page answers 200 with the page's own markers.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import (
    BENCH_CONFIG,
    CheckFailed,
    ServerProcess,
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
from bench.world import (
    AGENT_PASSWORD,
    EventShape,
    add_agent_world,
    analyze,
    bulk_insert_events,
    generate_events,
    make_hub,
)
from hub.demo.check import csrf_token
from hub.extensions import db

FULL = {"tenants": 1000, "events": 200_000, "clients": 16, "requests": 2000}
QUICK = {"tenants": 100, "events": 5000, "clients": 4, "requests": 200}
#: a marker each page must contain (a 200 that is not the page would not count)
MARKERS = {"dashboard": "Activity", "tenants": "Tenant "}



@dataclass
class Tally:
    """Latencies (ms) and statuses per page kind, shared by the client threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in MARKERS})
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Gunicorn(ServerProcess):
    """``gunicorn 'hub:create_app()'`` on a free loopback port with the benchmark's database (context manager)."""

    def __init__(self, database_url: str, *, workers: int, threads: int, log_path: Path) -> None:
        # the same settings as the in-process app that seeded the database (keys, cheap hashing)
        env = {"DATABASE_URL": database_url, **{f"HUB_{name}": str(value) for name, value in BENCH_CONFIG.items()}}
        super().__init__(
            lambda port: [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads), "-b",
                          f"127.0.0.1:{port}", "--timeout", "120", "hub:create_app()"],
            ready_path="/login", log_path=log_path, env=env, stop_timeout=30)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.pages_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI sizes (100 tenants, 4 agents, 200 requests)")
    parser.add_argument("--tenants", type=int)
    parser.add_argument("--events", type=int, help="synced events shown by the dashboard")
    parser.add_argument("--clients", type=int, help="concurrent agents (threads, one login each)")
    parser.add_argument("--requests", type=int, help="requests per server configuration")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="cap per server configuration")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the measured server")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: HUB_TEST_DATABASE_URL, else SQLite)")
    return parser


def log_in(client: httpx.Client, email: str) -> None:
    """Log an agent in through the login form (CSRF token from the page)."""
    page = client.get("/login")
    if page.status_code != 200:
        raise CheckFailed(f"GET /login answered {page.status_code}")
    reply = client.post("/login", data={"csrf_token": csrf_token(page.text), "email": email,
                                        "password": AGENT_PASSWORD})
    if reply.status_code not in (302, 303) or "/login" in reply.headers.get("location", ""):
        raise CheckFailed(f"login of {email} failed ({reply.status_code})")


def _agent(root: str, email: str, tenant_ids: Sequence[int], pages: int, budget: list[int], deadline: float,
           tally: Tally, seed: int) -> None:
    rng = random.Random(seed)  # deterministic request mix
    with httpx.Client(base_url=root, timeout=120.0) as client:
        log_in(client, email)
        n = 0
        while time.monotonic() < deadline:
            with tally.lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            n += 1
            if n % 2:
                kind = "dashboard"
                params = {"tenant": str(rng.choice(tenant_ids))} if rng.random() < 0.3 else {}
                url = "/activity"
            else:
                kind, url, params = "tenants", "/tenants", {"page": str(rng.randint(1, pages))}
            started = time.perf_counter()
            response = client.get(url, params=params)
            elapsed = (time.perf_counter() - started) * 1000
            with tally.lock:
                tally.latencies[kind].append(elapsed)
                tally.statuses[(kind, response.status_code)] += 1
                if response.status_code != 200 or MARKERS[kind] not in response.text:
                    tally.bad.append(f"{kind} {url} {params} -> {response.status_code}")


def _load(root: str, emails: Sequence[str], tenant_ids: Sequence[int], requests: int,
          max_seconds: float) -> tuple[Tally, float]:
    """Log every agent in, then let them request pages concurrently; the tally and the wall time."""
    tally, budget = Tally(), [requests]
    pages = max(1, -(-len(tenant_ids) // 25))
    deadline = time.monotonic() + max_seconds
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            _agent(root, emails[i], tenant_ids, pages, budget, deadline, tally, seed=i)
        except BaseException as exc:  # reported below: a thread must not die silently
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(len(emails))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise CheckFailed(f"an agent thread failed: {errors[0]!r}")
    if tally.bad:
        raise CheckFailed(f"{len(tally.bad)} bad answers, e.g. {tally.bad[:3]}")
    return tally, wall


def run(argv: Sequence[str] | None = None) -> int:
    """Build the hub data, load each server configuration, print the tables; 0 when the checks held."""
    args = _parser().parse_args(argv)
    sizes = sizes_from(args, FULL, QUICK)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp, \
            scratch_database(database_url_arg(args.database_url), label="pages") as url:
        app = hub_app(url)
        with app.app_context():
            hub = make_hub()
            tenants, agents = add_agent_world(hub, tenant_count=sizes["tenants"], agents=sizes["clients"])
            tenant_ids = [t.id for t in tenants]
            emails = [a.email for a in agents]
            bulk_insert_events(db.engine, generate_events(hub.id, tenant_ids, sizes["events"], EventShape()))
            analyze(db.engine)
            db.session.remove()
            db.engine.dispose()
        emit(f"pages_bench: {sizes['tenants']:,} tenants, {sizes['events']:,} synced events, {sizes['clients']} "
             f"concurrent agents, up to {sizes['requests']:,} requests (or {args.max_seconds:.0f} s) per server; "
             f"hub on {backend_name(url)}")
        emit(machine(url))
        configs = [("baseline: gunicorn -w 1 --threads 1", 1, 1),
                   (f"gunicorn -w {args.workers} --threads {args.threads}", args.workers, args.threads)]
        results = []
        for label, workers, threads in configs:
            log = Path(tmp) / f"gunicorn-{workers}-{threads}.log"
            with Gunicorn(url, workers=workers, threads=threads, log_path=log) as server:
                tally, wall = _load(server.root, emails, tenant_ids, sizes["requests"], args.max_seconds)
            results.append((label, tally, wall))
    _report(results)
    return 0


def _report(results: list[tuple[str, Tally, float]]) -> None:
    rows = []
    throughput = {}
    for label, tally, wall in results:
        total = sum(len(v) for v in tally.latencies.values())
        throughput[label] = total / wall if wall else 0.0
        for kind, values in tally.latencies.items():
            rows.append([label, kind, len(values), f"{median(values):.1f}", f"{percentile(values, 95):.1f}", ""])
        rows.append([label, "all pages", total, "", "", f"{throughput[label]:.1f}"])
    emit(table("Pages under concurrent agents (latency in ms; requests/s over the whole run)",
               ["server", "page", "requests", "p50", "p95", "requests/s"], rows))
    base, best = results[0][0], results[-1][0]
    emit(f"\nthroughput {best}: {throughput[best]:.1f} req/s vs {base}: {throughput[base]:.1f} req/s -> "
         f"{ratio(throughput[best], throughput[base])}")
    emit("checks: every login ok; every page 200 with its markers: OK")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 1 when a check failed."""
    return bench_main(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
