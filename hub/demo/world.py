"""The demo's sandbox world: :func:`tenant_connectors.sandbox.seed_bulk.seed_tenants`, then dressed up.

``seed_tenants`` lays down the skeleton (ACME Billing with its Restricted users, the tenants with
their "Billing - Full" / "Billing - Read only" groups and Billing users, clients, a payer directory,
one Remainder per client).  This module then gives the tenants realistic names and staff, adds the
Restricted users the demo needs, client payers of every other distribution kind (the Remainder stays
the client's only and last one), authorizations and months of audit history
(:mod:`hub.demo.history`), lets the "Billing - Read only" group list users (the hub's sync account
logs in with that Billing user, and the seat check lists the tenant's billing-company accounts), and
makes one tenant misconfigured (its Full Billing account is a charged Standard seat).  Everything is
drawn from a seeded random source: same arguments, same world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tenant_connectors.base import CompanyKind, Permission, UserType
from tenant_connectors.sandbox.models import (
    Authorization,
    Client,
    ClientPayer,
    Company,
    Payer,
    PermissionGroup,
    StatusHistory,
    User,
)
from tenant_connectors.sandbox.seed import GROUP_FULL, GROUP_READ_ONLY, PAY_START, add_user
from tenant_connectors.sandbox.seed_bulk import FIRST, LAST, RESTRICTED, seed_tenants

TENANT_NAMES = (
    "Good Harbor Counseling", "Riverbend Behavioral Health", "Sunrise Recovery Center",
    "Maple Grove Therapy", "Blue Ridge Family Services", "Cedar Point Wellness", "Lakeside Youth Services",
    "Northstar Psychiatry", "Pine Valley Residential", "Harborview Counseling Group", "Summit Peak Recovery",
    "Willow Creek Behavioral", "Oak Hollow Family Therapy", "Silver Lake Treatment Center",
    "Brightpath Autism Services", "Clearwater Day Program",
)
#: tenant numbers (1-based, in seeding order) with a deliberate problem
SLOW_TENANT, MISCONFIGURED_TENANT, FLAKY_TENANT = 2, 3, 5
SLOW_LATENCY_MS = 1500  # well under the hub's 10 s read timeout: works, visibly slowly
FLAKY_ERROR_RATE = 0.2
#: Restricted users the skeleton lacks: a third agent and the sync worker's service account
EXTRA_RESTRICTED = (
    ("acme.dev", "Dev Patel", "dev-Passw0rd!"),
    ("acme.sync", "ACME Sync Service", "sync-Passw0rd!"),
)
SYNC_RESTRICTED_USER = "acme.sync"
STAFF_PASSWORD = "staff-Passw0rd!"  # noqa: S105 - sandbox demo credential
STAFF_PER_TENANT = 4
HISTORY_DAYS = 120
#: extra client payers by client index modulo len(); (payer name, distribution, amount, week start day)
PATTERNS: tuple[tuple[tuple[str, str, str | None, int | None], ...], ...] = (
    (),
    (("Medicaid", "per_diem", "150.00", None),),
    (("County Agency", "monthly", "400.00", None),),
    (("Jordan Parent", "weekly", "50.00", 0),),
    (("Aetna", "visit", "35.00", None),),
    (("County Agency", "difference_amount", "25.00", None),),
    (),
    (("Medicaid", "per_diem", "120.00", None), ("Jordan Parent", "weekly", "40.00", 6)),
)
EXTRA_PAYERS = (("County Agency", "agency"), ("Jordan Parent", "individual"), ("Aetna", "insurance"))


@dataclass
class DemoTenant:
    """One seeded tenant as the hub side needs it."""

    number: int
    slug: str
    name: str
    full_user: tuple[str, str]
    readonly_user: tuple[str, str]
    problem: str = ""  # "", "slow", "misconfigured" or "flaky"


@dataclass
class WorldReport:
    """What :func:`build_world` created."""

    tenants: list[DemoTenant] = field(default_factory=list)
    restricted: dict[str, str] = field(default_factory=dict)  # user id -> password
    totp: dict[str, str] = field(default_factory=dict)  # user id -> TOTP secret
    clients: int = 0
    events: int = 0


def tenant_name(number: int) -> str:
    """A realistic customer name for tenant ``number`` (1-based); numbered once the list runs out."""
    if number <= len(TENANT_NAMES):
        return TENANT_NAMES[number - 1]
    return f"{TENANT_NAMES[(number - 1) % len(TENANT_NAMES)]} {number}"


def problem_of(number: int) -> str:
    """Which deliberate problem tenant ``number`` has ("" for none)."""
    return {SLOW_TENANT: "slow", MISCONFIGURED_TENANT: "misconfigured", FLAKY_TENANT: "flaky"}.get(number, "")


def history_end() -> datetime:
    """Where the seeded history ends: today's midnight (UTC), so a world built today is reproducible."""
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


def build_world(engine: Engine, *, tenants: int, clients: int, events: int, seed: int = 2026) -> WorldReport:
    """Seed an empty sandbox database with the demo world; returns names and credentials."""
    from hub.demo.history import add_history

    bulk = seed_tenants(engine, tenants=tenants, clients=clients, events=0, seed=seed)
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data
    report = WorldReport(restricted={u: p for u, p in bulk.restricted_users})
    report.totp = {u: t for u, _n, _p, t in RESTRICTED if t}
    end = history_end()
    with Session(engine) as db:
        acme = db.scalars(select(Company).where(Company.slug == "acme")).one()
        for user_id, name, password in EXTRA_RESTRICTED:
            add_user(db, acme, user_id, name, UserType.RESTRICTED, password)
            report.restricted[user_id] = password
        billing = {(t, u): p for t, u, p in bulk.billing_users}
        customers = db.scalars(
            select(Company).where(Company.kind == CompanyKind.CUSTOMER.value).order_by(Company.slug)
        ).all()
        for number, company in enumerate(customers, start=1):
            company.name = tenant_name(number)
            _let_read_only_list_users(db, company)
            staff = _add_staff(db, company, rng)
            client_ids = _add_payers(db, company, rng, staff[0].user_id, end - timedelta(days=HISTORY_DAYS))
            prefix = f"t{number:03d}-acme"
            if problem_of(number) == "misconfigured":
                # the classic set-up mistake: the billing company's account created as a Standard seat
                full = db.scalars(select(User).where(User.company_id == company.id,
                                                     User.user_id == f"{prefix}-full")).one()
                full.user_type = UserType.STANDARD.value
            report.events += add_history(db, company, number, staff, client_ids, events, end, rng)
            report.clients += len(client_ids)
            report.tenants.append(DemoTenant(
                number, company.slug, company.name,
                (f"{prefix}-full", billing[(company.slug, f"{prefix}-full")]),
                (f"{prefix}-readonly", billing[(company.slug, f"{prefix}-readonly")]),
                problem_of(number),
            ))
        db.commit()
    return report


def _let_read_only_list_users(db: Session, company: Company) -> None:
    """Grant ``users:read`` to the tenant's Read only group: the sync account (its Billing user) runs the seat check.

    The hub-admin guide asks for a sync credential whose group may list users; without it the seat
    check is refused (``permission_denied``) and a charged seat would go unnoticed until someone entered.
    """
    group = db.scalars(select(PermissionGroup).where(PermissionGroup.company_id == company.id,
                                                     PermissionGroup.name == GROUP_READ_ONLY)).one()
    group.permissions = " ".join(sorted(group.permission_set | {Permission.USERS_READ.value}))


def _add_staff(db: Session, company: Company, rng: random.Random) -> list[User]:
    group = db.scalars(select(PermissionGroup).where(PermissionGroup.company_id == company.id,
                                                     PermissionGroup.name == GROUP_FULL)).one()
    names = rng.sample([(f, last) for f in FIRST for last in LAST], STAFF_PER_TENANT)
    return [
        add_user(db, company, f"{first.lower()}.{last.lower()}", f"{first} {last}", UserType.STANDARD,
                 STAFF_PASSWORD, group=group)
        for first, last in names
    ]


def _add_payers(db: Session, company: Company, rng: random.Random, by: str, when: datetime) -> list[int]:
    """Extra directory payers, then per client the pattern's payers ranked just above the Remainder."""
    directory = {p.name: p for p in db.scalars(select(Payer).where(Payer.company_id == company.id))}
    for name, kind in EXTRA_PAYERS:
        directory[name] = Payer(company_id=company.id, name=name, payer_type=kind)
        db.add(directory[name])
    db.flush()
    clients = db.scalars(select(Client).where(Client.company_id == company.id).order_by(Client.id)).all()
    remainders = {cp.client_id: cp for cp in db.scalars(
        select(ClientPayer).join(Client, Client.id == ClientPayer.client_id)
        .where(Client.company_id == company.id, ClientPayer.distribution == "remainder"))}
    for index, client in enumerate(clients):
        remainder = remainders[client.id]
        for payer_name, distribution, amount, week_day in PATTERNS[index % len(PATTERNS)]:
            cp = ClientPayer(client_id=client.id, payer_id=directory[payer_name].id, rank=remainder.rank,
                             distribution=distribution, amount=amount, week_start_day=week_day,
                             pay_start=PAY_START, status="active")
            remainder.rank += 1  # the Remainder stays last
            db.add(cp)
            db.flush()
            db.add(StatusHistory(client_payer_id=cp.id, old_status=None, new_status="active",
                                 effective_date=PAY_START, note="added", changed_by=by,
                                 changed_at=when + timedelta(hours=rng.randrange(24 * 30))))
            if distribution in ("per_diem", "visit"):
                period = "week" if distribution == "per_diem" else "month"
                db.add(Authorization(client_id=client.id, client_payer_id=cp.id, amount=str(Decimal(amount or "0") * 8),
                                     period=period, start=PAY_START, end=date(PAY_START.year, 12, 31)))
    db.flush()
    return [c.id for c in clients]
