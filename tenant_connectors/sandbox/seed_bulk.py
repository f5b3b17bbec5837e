"""Deterministic bulk seeding of many tenants (``billing-hub-sandbox seed``).

Rows are written with core ``executemany`` inserts and explicit primary keys, so that 200 tenants
with 5,000 audit events each take seconds rather than minutes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tenant_connectors.base import AuditAction, CompanyKind, UserType
from tenant_connectors.sandbox.db import create_schema
from tenant_connectors.sandbox.models import (
    AuditRow,
    Client,
    ClientPayer,
    Company,
    Payer,
    StatusHistory,
    User,
)
from tenant_connectors.sandbox.seed import (
    ALL_PERMISSIONS,
    GROUP_FULL,
    GROUP_READ_ONLY,
    PAY_START,
    READ_ONLY_PERMISSIONS,
    add_company,
    add_group,
    add_user,
)

FIRST = ("Ana", "Ben", "Chi", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jae", "Kai", "Lu", "Mo", "Nia")
LAST = ("Rivera", "Chen", "Okafor", "Lake", "Brook", "Singh", "Novak", "Haddad", "Kim", "Moreau", "Silva")
ACTIONS = (
    AuditAction.LOGIN,
    AuditAction.VIEW,
    AuditAction.VIEW,
    AuditAction.VIEW,
    AuditAction.UPDATE,
    AuditAction.LOGOUT,
    AuditAction.LOGIN_FAILED,
)
ACTION_VALUES = tuple(a.value for a in ACTIONS)
AUDIT_COLUMNS = [
    "company_id",
    "occurred_at",
    "action",
    "entity_type",
    "entity_id",
    "user_id",
    "user_name",
    "user_type",
    "on_behalf_of_user_id",
    "on_behalf_of_name",
    "billing_company_id",
    "billing_company_name",
    "proxy",
    "ip_address",
    "source_port",
    "platform",
    "os",
]
RESTRICTED = (
    ("acme.alice", "Alice Archer", "alice-Passw0rd!", None),
    ("acme.bob", "Bob Baker", "bob-Passw0rd!", "JBSWY3DPEHPK3PXP"),
)
FULL_PASSWORD = "full-Secret1!"  # noqa: S105 - sandbox demo credential
READONLY_PASSWORD = "ro-Secret1!"  # noqa: S105 - sandbox demo credential
STANDARD_PASSWORD = "std-Secret1!"  # noqa: S105 - sandbox demo credential
BASE_TIME = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CHUNK = 20_000


@dataclass
class SeedReport:
    """What :func:`seed_tenants` created."""

    tenants: list[str] = field(default_factory=list)
    billing_users: list[tuple[str, str, str]] = field(default_factory=list)  # (tenant, user_id, password)
    restricted_users: list[tuple[str, str]] = field(default_factory=list)
    clients: int = 0
    events: int = 0


def _next_id(db: Session, model: Any) -> int:
    return int(db.scalar(select(func.max(model.id))) or 0) + 1


def _driver_value(value: Any, sqlite: bool) -> Any:
    if not sqlite:
        return value.replace(tzinfo=None) if isinstance(value, datetime) else value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _bulk(db: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert dict rows (converted to driver values) with :func:`_bulk_tuples`."""
    if rows:
        sqlite = db.connection().dialect.name == "sqlite"
        columns = list(rows[0])
        _bulk_tuples(db, model, columns, [tuple(_driver_value(r[c], sqlite) for c in columns) for r in rows])


def _bulk_tuples(db: Session, model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Driver-level executemany: SQLAlchemy's per-row parameter processing would dominate the run."""
    conn = db.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = model.__table__.name
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    for start in range(0, len(rows), CHUNK):
        conn.exec_driver_sql(sql, rows[start : start + CHUNK])


def _billing_company(db: Session, report: SeedReport) -> Company:
    acme = db.scalar(select(Company).where(Company.slug == "acme"))
    if acme is None:
        acme = add_company(db, "acme", "ACME Billing", CompanyKind.BILLING_COMPANY)
        for user_id, name, password, totp in RESTRICTED:
            add_user(db, acme, user_id, name, UserType.RESTRICTED, password, totp_secret=totp)
    report.restricted_users = [(u, p) for u, _n, p, _t in RESTRICTED]
    return acme


def seed_tenants(
    engine: Engine, *, tenants: int, clients: int, events: int, seed: int = 42, misconfigured: bool = False
) -> SeedReport:
    """Create ``tenants`` customers serviced by ACME, each with clients, payers and audit events."""
    create_schema(engine)
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data
    report = SeedReport()
    with Session(engine) as db:
        acme = _billing_company(db, report)
        existing = set(db.scalars(select(Company.slug)))
        client_rows: list[dict[str, Any]] = []
        cp_rows: list[dict[str, Any]] = []
        history_rows: list[dict[str, Any]] = []
        audit_rows: list[tuple[Any, ...]] = []
        sqlite = db.connection().dialect.name == "sqlite"
        times = [_driver_value(BASE_TIME + timedelta(seconds=37 * e), sqlite) for e in range(events)]
        proxy = _driver_value(True, sqlite)
        client_id, cp_id = _next_id(db, Client), _next_id(db, ClientPayer)
        for n in range(1, tenants + 1):
            slug = f"tenant-{n:03d}"
            if slug in existing:
                raise ValueError(f"{slug} already exists; seed a fresh database")
            company = add_company(db, slug, f"Tenant {n:03d} Clinic", CompanyKind.CUSTOMER)
            full = add_group(db, company, GROUP_FULL, ALL_PERMISSIONS)
            readonly = add_group(db, company, GROUP_READ_ONLY, READ_ONLY_PERMISSIONS)
            prefix = f"t{n:03d}-acme"
            user_id = f"{prefix}-full"
            add_user(
                db,
                company,
                f"{prefix}-full",
                "ACME Billing (full)",
                UserType.BILLING,
                FULL_PASSWORD,
                billing_company=acme,
                group=full,
            )
            add_user(
                db,
                company,
                f"{prefix}-readonly",
                "ACME Billing (read only)",
                UserType.BILLING,
                READONLY_PASSWORD,
                billing_company=acme,
                group=readonly,
            )
            report.billing_users += [
                (slug, f"{prefix}-full", FULL_PASSWORD),
                (slug, f"{prefix}-readonly", READONLY_PASSWORD),
            ]
            if misconfigured:
                add_user(
                    db,
                    company,
                    f"{prefix}-standard",
                    "ACME Billing (standard!)",
                    UserType.STANDARD,
                    STANDARD_PASSWORD,
                    billing_company=acme,
                    group=full,
                )
                report.billing_users.append((slug, f"{prefix}-standard", STANDARD_PASSWORD))
            payers = [
                Payer(company_id=company.id, name=name, payer_type=kind)
                for name, kind in (("Self", "self"), ("Blue Shield", "insurance"), ("Medicaid", "insurance"))
            ]
            db.add_all(payers)
            db.flush()
            for c in range(clients):
                client_rows.append(
                    {
                        "id": client_id,
                        "company_id": company.id,
                        "first_name": rng.choice(FIRST),
                        "last_name": rng.choice(LAST),
                        "account_number": f"{n:03d}-{c + 1:05d}",
                        "active": True,
                    }
                )
                insured = rng.random() < 0.5
                if insured:
                    cp_rows.append(_cp(cp_id, client_id, payers[1 + c % 2].id, 1, "difference_percent", "80.00"))
                    cp_id += 1
                cp_rows.append(_cp(cp_id, client_id, payers[0].id, 2 if insured else 1, "remainder", None))
                cp_id += 1
                client_id += 1
            ip_prefix = f"10.1.{n % 256}."
            for e in range(events):
                audit_rows.append((
                    company.id, times[e], ACTION_VALUES[int(rng.random() * len(ACTION_VALUES))], "client",
                    str(int(rng.random() * max(clients, 1)) + 1), user_id, "ACME Billing (full)", "billing",
                    "acme.alice", "Alice Archer", "acme", "ACME Billing", proxy, f"{ip_prefix}{e % 250 + 1}",
                    40000 + e % 20000, "Chrome", "Windows 10",
                ))  # fmt: skip
            report.tenants.append(slug)
        history_rows = [
            {
                "client_payer_id": r["id"],
                "old_status": None,
                "new_status": "active",
                "effective_date": PAY_START,
                "note": "added",
                "changed_by": "seed",
                "changed_at": BASE_TIME,
            }
            for r in cp_rows
        ]
        _bulk(db, Client, client_rows)
        _bulk(db, ClientPayer, cp_rows)
        _bulk(db, StatusHistory, history_rows)
        _bulk_tuples(db, AuditRow, AUDIT_COLUMNS, audit_rows)
        db.commit()
    report.clients, report.events = len(client_rows), len(audit_rows)
    return report


def _cp(cp_id: int, client_id: int, payer_id: int, rank: int, distribution: str, amount: str | None) -> dict[str, Any]:
    return {
        "id": cp_id,
        "client_id": client_id,
        "payer_id": payer_id,
        "rank": rank,
        "distribution": distribution,
        "amount": amount,
        "week_start_day": None,
        "pay_start": PAY_START,
        "pay_end": None,
        "status": "active",
    }


def count_users(db: Session) -> int:
    """Number of user accounts (for reports)."""
    return int(db.scalar(select(func.count()).select_from(User)) or 0)
