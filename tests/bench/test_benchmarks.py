"""Each benchmark runs at its smallest size as a subprocess, prints its figures, and its checks hold.

Timings are never asserted (CI machines vary); what is asserted is that the run completes, prints the
tables with the ratio against its baseline, and reports its correctness checks (event counts equal,
keyset page equal to the OFFSET page, every page answered 200) as holding.  PostgreSQL is used when
``HUB_TEST_DATABASE_URL`` is set, exactly as the benchmarks do.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_bench(name: str, *args: str, timeout: float = 120) -> str:
    """``python -m bench.<name> --quick ...``; its output, after asserting it exited 0."""
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--quick", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "CHECK FAILED" not in done.stdout
    return done.stdout


def figures(output: str, row_label: str) -> list[str]:
    """The cells of the first table row starting with ``row_label``."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(row_label):
            return cells
    raise AssertionError(f"no row {row_label!r} in:\n{output}")


def test_sync_bench_syncs_every_event_and_compares_with_its_baselines() -> None:
    out = run_bench("sync_bench", "--tenants", "3", "--events", "120", "--baseline-tenants", "2",
                    "--concurrency", "3")
    baseline = figures(out, "baseline: one tenant at a time")
    concurrent = figures(out, "hub sync_pass, concurrency 3")
    limit = figures(out, "limit: executemany")
    # every tenant's events arrived (plus the sync's own login rows), each once
    assert int(baseline[2].replace(",", "")) >= 2 * 120
    assert int(concurrent[2].replace(",", "")) >= 3 * 120
    # the limit re-inserts exactly what the concurrent sync (and the incremental pass) stored
    incremental = figures(out, "incremental")
    assert int(limit[2].replace(",", "")) == int(concurrent[2].replace(",", "")) + int(incremental[2])
    assert re.fullmatch(r"[\d.]+x", concurrent[5]) and limit[5].endswith("x")
    assert "per-tenant events distinct and complete" in out and ": OK" in out


def test_dashboard_bench_times_every_filter_kind_against_offset() -> None:
    out = run_bench("dashboard_bench", "--rows", "6000", "--repeat", "2", "--depth", "3")
    for kind in ("none", "tenant", "staff member", "Billing user", "action", "entity", "time range", "combined"):
        assert figures(out, kind)
    assert re.fullmatch(r"[\d.]+x", figures(out, "none")[7])  # OFFSET / keyset ratio printed
    assert figures(out, "pages.build (page 1)")
    assert "keyset page at depth == OFFSET page for every filter: OK" in out


def test_pages_bench_serves_every_page_under_concurrent_agents() -> None:
    out = run_bench("pages_bench", "--tenants", "30", "--events", "1000", "--clients", "2", "--requests", "24")
    for server in ("baseline: gunicorn -w 1 --threads 1", "gunicorn -w 2 --threads 4"):
        assert figures(out, server)[0] == server
    requests = [int(c[2]) for c in (figures(out, "baseline"), figures(out, "gunicorn -w 2"))]
    assert all(n > 0 for n in requests)
    assert re.search(r"-> [\d.]+x", out)
    assert "every page 200 with its markers: OK" in out
