"""``billing-hub-sandbox``: serve the sandbox tenant server, or seed its database."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_connectors.base import CompanyKind
from tenant_connectors.sandbox.db import DEFAULT_DATABASE_URL, make_engine
from tenant_connectors.sandbox.models import Company


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing-hub-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the sandbox tenant API with waitress")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8400)
    serve.add_argument("--database", default=DEFAULT_DATABASE_URL, help="SQLAlchemy URL")
    serve.add_argument("--threads", type=int, default=8)
    seed = sub.add_parser("seed", help="create tenants, clients and audit events (deterministic)")
    seed.add_argument("--database", default=DEFAULT_DATABASE_URL, help="SQLAlchemy URL")
    seed.add_argument("--tenants", type=int, default=3)
    seed.add_argument("--clients", type=int, default=20)
    seed.add_argument("--events", type=int, default=100)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument(
        "--misconfigured",
        action="store_true",
        help="also give every tenant a Billing-named account created as Standard",
    )
    seed.add_argument(
        "--test-world",
        action="store_true",
        help="also seed the small test world (good-therapy, calm-waters, acme, zenith)",
    )
    return parser


def serve(host: str, port: int, database: str, threads: int) -> int:
    """Serve until interrupted; prints every company and its base URL first."""
    import waitress

    from tenant_connectors.sandbox.app import create_app
    from tenant_connectors.sandbox.pipeline import state

    app = create_app(database)
    root = f"http://{host}:{port}"
    with Session(state(app).engine) as db:
        companies = list(db.scalars(select(Company).order_by(Company.kind, Company.slug)))
    print(f"sandbox tenant server on {root} (database {database})")
    if not companies:
        print("  no companies yet: run `billing-hub-sandbox seed --test-world` first")
    for company in companies:
        where = f"{root}/t/{company.slug}/api/v1" if company.kind == CompanyKind.CUSTOMER else "(billing company)"
        print(f"  {company.slug:<20} {company.kind:<16} {where}")
    print(f"  control API: {root}/_sandbox/companies", flush=True)
    server = waitress.create_server(app, host=host, port=port, threads=max(threads, 8))

    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # stop cleanly under process managers too
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        state(app).faults.stopping.set()  # release hung requests
        server.close()
    return 0


def seed(
    database: str, tenants: int, clients: int, events: int, seed_value: int, *, misconfigured: bool, test_world: bool
) -> int:
    """Seed ``database`` and print what was created with the credentials to use."""
    from tenant_connectors.sandbox.seed import seed_test_world
    from tenant_connectors.sandbox.seed_bulk import seed_tenants

    engine = make_engine(database)
    started = time.perf_counter()
    if test_world:
        world = seed_test_world(engine)
        print("test world: tenants good-therapy, calm-waters; billing companies acme, zenith")
        print(
            f"  Billing login {world.billing_full[0]} / {world.billing_full[1]}, "
            f"secondary {world.restricted_alice[0]} / {world.restricted_alice[1]}"
        )
    report = seed_tenants(
        engine, tenants=tenants, clients=clients, events=events, seed=seed_value, misconfigured=misconfigured
    )
    elapsed = time.perf_counter() - started
    print(
        f"seeded {len(report.tenants)} tenants, {report.clients} clients, {report.events} audit events "
        f"in {elapsed:.1f} s into {database}"
    )
    print("billing company acme - Restricted users (secondary login):")
    for user_id, password in report.restricted_users:
        print(f"  {user_id} / {password}" + ("  (TOTP secret JBSWY3DPEHPK3PXP)" if user_id == "acme.bob" else ""))
    shown = report.billing_users[:6]
    print("Billing users per tenant (pattern t<NNN>-acme-full / full-Secret1!, t<NNN>-acme-readonly / ro-Secret1!):")
    for tenant, user_id, password in shown:
        print(f"  {tenant}: {user_id} / {password}")
    if len(report.billing_users) > len(shown):
        print(f"  ... and {len(report.billing_users) - len(shown)} more")
    engine.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``billing-hub-sandbox`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port, args.database, args.threads)
    return seed(
        args.database,
        args.tenants,
        args.clients,
        args.events,
        args.seed,
        misconfigured=args.misconfigured,
        test_world=args.test_world,
    )


if __name__ == "__main__":
    sys.exit(main())
