"""Register a hub's tenants in bulk from a CSV file, with a row-by-row report.

Columns: ``name``, ``base_url``, ``connector`` (default ``http``), ``permission_levels``
(semicolon-separated, highest first) and ``notes``. Each row is checked completely before anything
of it is written, so a row is either added whole (tenant, levels, audit row) or not at all; a name
the hub already has is *skipped*, a bad row is *rejected* with the reason.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import func, select

from hub.accounts.models import Hub
from hub.audit import service as audit
from hub.extensions import db
from hub.provisioning.accounts import CLI_ACTOR, ProvisioningError
from hub.tenants import service as tenants
from hub.tenants.models import Tenant

REQUIRED_COLUMNS = ("name", "base_url")
KNOWN_COLUMNS = ("name", "base_url", "connector", "permission_levels", "notes")
MAX_ROWS = 10_000

ADDED, SKIPPED, REJECTED = "added", "skipped", "rejected"


@dataclass(frozen=True, slots=True)
class ImportRow:
    """The outcome of one CSV row (``line`` counts the header as line 1)."""

    line: int
    name: str
    outcome: str
    reason: str = ""


@dataclass(slots=True)
class ImportReport:
    """Every row's outcome, in file order."""

    rows: list[ImportRow] = field(default_factory=list)
    dry_run: bool = False

    def count(self, outcome: str) -> int:
        """How many rows ended as ``outcome``."""
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        """Rows added, skipped and rejected."""
        return {outcome: self.count(outcome) for outcome in (ADDED, SKIPPED, REJECTED)}


def read_tenant_csv(stream: IO[str]) -> list[dict[str, str]]:
    """The rows of a tenant CSV as dicts keyed by lower-case column name; refuses a wrong header."""
    reader = csv.DictReader(stream)
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [col for col in REQUIRED_COLUMNS if col not in header]
    if missing:
        raise ProvisioningError(f"the CSV header lacks column(s): {', '.join(missing)}")
    unknown = [col for col in header if col not in KNOWN_COLUMNS]
    if unknown:
        raise ProvisioningError(f"the CSV header has unknown column(s): {', '.join(unknown)}")
    rows = []
    for raw in reader:
        if len(rows) >= MAX_ROWS:
            raise ProvisioningError(f"the CSV has more than {MAX_ROWS} rows; split it")
        rows.append(
            {
                (key or "").strip().lower(): (value or "").strip() if isinstance(value, str) else ""
                for key, value in raw.items()
                if key is not None  # extra cells beyond the header are ignored
            }
        )
    return rows


def _reason(errors: Mapping[str, str], row: Mapping[str, str]) -> str:
    parts = []
    for field_name, message in errors.items():
        if field_name == "base_url":
            parts.append(f"bad URL: {message}")
        elif field_name == "connector":
            parts.append(f"unknown connector {row.get('connector') or 'http'!r}")
        elif field_name == "name":
            parts.append(f"name: {message}")
        else:
            parts.append(message)
    return "; ".join(parts)


def _existing_names(hub: Hub) -> set[str]:
    return set(db.session.scalars(select(func.lower(Tenant.name)).where(Tenant.hub_id == hub.id)))


def import_tenants(hub: Hub, rows: Iterable[Mapping[str, str]], *, dry_run: bool = False) -> ImportReport:
    """Add the rows' tenants to ``hub``; commits unless ``dry_run`` (which rolls everything back)."""
    report = ImportReport(dry_run=dry_run)
    existing = _existing_names(hub)
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        name = (row.get("name") or "").strip()
        key = name.lower()
        if not name:
            report.rows.append(ImportRow(line, name, REJECTED, "missing name"))
            continue
        if key in seen:
            report.rows.append(ImportRow(line, name, REJECTED, f"duplicate in file (first on line {seen[key]})"))
            continue
        seen[key] = line
        if key in existing:
            report.rows.append(ImportRow(line, name, SKIPPED, "already exists"))
            continue
        levels = [part for part in (row.get("permission_levels") or "").split(";") if part.strip()]
        try:
            # create_tenant validates every field before writing anything: a bad row leaves no trace
            tenant = tenants.create_tenant(
                hub=hub,
                name=name,
                base_url=row.get("base_url") or "",
                connector=row.get("connector") or "http",
                notes=row.get("notes") or "",
                permission_levels=levels,
                actor=None,
            )
        except tenants.ValidationError as exc:
            report.rows.append(ImportRow(line, name, REJECTED, _reason(exc.errors, row)))
            continue
        existing.add(key)
        report.rows.append(ImportRow(line, tenant.name, ADDED))
    if dry_run:
        db.session.rollback()
        return report
    audit.record(
        "provision.tenants_imported",
        actor_label=CLI_ACTOR,
        hub_id=hub.id,
        target_type="hub",
        target_id=hub.id,
        detail=report.counts,
    )
    db.session.commit()
    return report
