"""Key rotation: re-seal every stored secret that is not under the current key.

Rows are processed in id order, in batches, with a commit per batch, and only rows not yet under
the current key are selected; an interrupted run (crash, Ctrl-C) simply runs again and converges.
A value that does not open is left as it is, counted and named by id in the ``vault.rotated``
audit event (never its content), so one bad row does not block the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select

from hub import vault
from hub.accounts.models import User
from hub.audit import service as audit
from hub.extensions import db
from hub.tenants.credentials import credential_context
from hub.tenants.models import BillingCredential


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """One column holding sealed values, and how to find its rows not under the current key."""

    name: str
    model: Any
    sealed_attr: str
    #: the column storing the key id beside the value, when there is one
    key_id_attr: str | None
    context: Callable[[Any], str]

    def outdated(self, current_id: str) -> ColumnElement[bool]:
        """SQL condition: the row holds a value sealed under another key."""
        sealed = getattr(self.model, self.sealed_attr)
        if self.key_id_attr is not None:
            return getattr(self.model, self.key_id_attr) != current_id
        prefix = f"{vault.VERSION}.{current_id}."
        return sealed.is_not(None) & ~sealed.startswith(prefix, autoescape=True)


#: every column rotation walks; other packages holding sealed values add theirs with :func:`register`
SEALED_COLUMNS: list[SealedColumn] = [
    SealedColumn("billing_credentials.secret", BillingCredential, "secret_sealed", "secret_key_id", credential_context),
    SealedColumn("users.totp", User, "totp_secret_sealed", None, lambda user: f"users.totp:{user.id}"),
]


def register(column: SealedColumn) -> SealedColumn:
    """Add a sealed column to what :func:`rotate_keys` re-seals (idempotent by name)."""
    if all(existing.name != column.name for existing in SEALED_COLUMNS):
        SEALED_COLUMNS.append(column)
    return column


@dataclass(slots=True)
class ColumnReport:
    """What rotation did to one column."""

    resealed: int = 0
    failed_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class RotationReport:
    """What a rotation run did, per column."""

    key_id: str
    columns: dict[str, ColumnReport] = field(default_factory=dict)

    @property
    def resealed(self) -> int:
        """Values moved to the current key in this run."""
        return sum(c.resealed for c in self.columns.values())

    @property
    def failed(self) -> int:
        """Values that did not open and were left as they were."""
        return sum(len(c.failed_ids) for c in self.columns.values())


def pending_count(columns: Sequence[SealedColumn] | None = None) -> int:
    """How many stored values are not under the current key."""
    current = vault.current_key_id()
    return sum(
        db.session.scalar(select(func.count()).select_from(c.model).where(c.outdated(current))) or 0
        for c in (SEALED_COLUMNS if columns is None else columns)
    )


def _rotate_column(
    column: SealedColumn, current: str, batch_size: int, report: ColumnReport, progress: Callable[[int], None]
) -> None:
    last_id = 0
    while True:
        stmt = (
            select(column.model)
            .where(column.outdated(current), column.model.id > last_id)
            .order_by(column.model.id)
            .limit(batch_size)
            .with_for_update()
        )
        rows = list(db.session.scalars(stmt))
        if not rows:
            return
        for row in rows:
            context = column.context(row)
            try:
                plaintext = vault.unseal(getattr(row, column.sealed_attr), context=context)
            except vault.VaultError:
                report.failed_ids.append(row.id)
                continue
            sealed = vault.seal(plaintext, context=context)
            setattr(row, column.sealed_attr, sealed)
            if column.key_id_attr is not None:
                setattr(row, column.key_id_attr, current)
            report.resealed += 1
        last_id = rows[-1].id
        db.session.commit()  # one batch is durable before the next starts: a re-run resumes here
        progress(len(rows))


def rotate_keys(
    *,
    batch_size: int = 100,
    progress: Callable[[int], None] | None = None,
    columns: Sequence[SealedColumn] | None = None,
    actor_label: str = "cli",
) -> RotationReport:
    """Re-seal every value not under the current key; audited as ``vault.rotated`` with the counts."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    current = vault.current_key_id()
    report = RotationReport(key_id=current)
    db.session.commit()  # start from a clean transaction: everything below commits per batch
    for column in SEALED_COLUMNS if columns is None else columns:
        report.columns[column.name] = ColumnReport()
        _rotate_column(column, current, batch_size, report.columns[column.name], progress or (lambda n: None))
    audit.record(
        "vault.rotated",
        actor_label=actor_label,
        outcome="success" if report.failed == 0 else "partial",
        target_type="vault",
        target_id=current,
        detail={
            "key_id": current,
            "resealed": report.resealed,
            "failed": report.failed,
            "columns": {
                name: {"resealed": c.resealed, "failed_ids": c.failed_ids[:100]} for name, c in report.columns.items()
            },
        },
    )
    db.session.commit()
    return report
