"""Measure the audit page query: ``python -m tenant_connectors.sandbox.bench_audit [--rows 20000]``.

Seeds one tenant with ``--rows`` audit events in a temporary SQLite file, then times reading every
page of 500 events through the same query the API uses (server-side work only, no HTTP).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_connectors.sandbox import audit
from tenant_connectors.sandbox.db import make_engine
from tenant_connectors.sandbox.models import Company
from tenant_connectors.sandbox.seed_bulk import seed_tenants


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the per-page timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        seed_tenants(engine, tenants=3, clients=5, events=args.rows)
        timings: list[float] = []
        query_timings: list[float] = []
        with Session(engine) as db:
            company_id = db.scalar(select(Company.id).where(Company.slug == "tenant-002"))
            assert company_id is not None
            after, more = 0, True
            while more:
                started = time.perf_counter()
                rows, more = audit.read_page(db, company_id, after, args.limit)
                queried = time.perf_counter()
                page = [audit.event_json(r) for r in rows]
                timings.append((time.perf_counter() - started) * 1000)
                query_timings.append((queried - started) * 1000)
                after = rows[-1].id if rows else after
                if not page:
                    break
        engine.dispose()
    print(
        f"{len(timings)} pages of {args.limit} over {args.rows} rows (3 tenants): "
        f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms per page "
        f"(query alone: median {statistics.median(query_timings):.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
