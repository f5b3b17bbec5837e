"""Store a page of a tenant's audit events idempotently (``ON CONFLICT DO NOTHING``), with their filter choices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from hub.dbtypes import utcnow
from hub.extensions import db
from hub.sync.choices import record_choices
from hub.sync.models import TenantAuditEvent
from tenant_connectors.base import AuditEvent

_COLUMNS = TenantAuditEvent.__table__.c
#: String column lengths, so an over-long value from a tenant is clipped instead of failing the page
_LIMITS = {c.name: c.type.length for c in _COLUMNS if getattr(c.type, "length", None)}


def _clip(name: str, value: Any) -> Any:
    if value is None:
        return None
    text = str(value)
    limit = _LIMITS.get(name)
    return text[:limit] if limit else text


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def event_row(hub_id: int, tenant_id: int, event: AuditEvent, pulled_at: datetime) -> dict[str, Any]:
    """The ``tenant_audit_events`` row of a contract :class:`AuditEvent`."""
    company = event.billing_company
    row: dict[str, Any] = {
        "hub_id": hub_id,
        "tenant_id": tenant_id,
        "occurred_at": _aware(event.occurred_at),
        "proxy": bool(event.proxy),
        "source_port": event.source_port,
        "detail": event.detail,
        "pulled_at": pulled_at,
        "remote_event_id": _clip("remote_event_id", event.event_id),
        "billing_company_id": _clip("billing_company_id", company.company_id if company else None),
        "billing_company_name": _clip("billing_company_name", company.name if company else None),
        "user_type": _clip("user_type", None if event.user_type is None else getattr(event.user_type, "value",
                                                                                      event.user_type)),
    }
    for name in ("action", "entity_type", "entity_id", "user_id", "user_name", "on_behalf_of_user_id",
                 "on_behalf_of_name", "ip_address", "platform", "os"):
        row[name] = _clip(name, getattr(event, name))
    return row


def insert_events(hub_id: int, tenant_id: int, events: Iterable[AuditEvent]) -> int:
    """Insert the events not stored yet in the current transaction; how many were new.

    The dashboard's filter choices of the new events are added in the same transaction
    (:func:`hub.sync.choices.record_choices`): rows another writer stored first are not returned
    here, and that writer records their choices itself.

    Rows go in in ``remote_event_id`` order whatever the page's order: two workers storing
    overlapping pages of one tenant (a lease taken over mid-page) then take the unique index's
    locks in the same order and one waits for the other, instead of each holding a row the other
    needs (a PostgreSQL deadlock that failed the page).
    """
    pulled_at = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        row = event_row(hub_id, tenant_id, event, pulled_at)
        rows.setdefault(row["remote_event_id"], row)  # a page repeating a row stores it once
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(TenantAuditEvent)
        .on_conflict_do_nothing(index_elements=["tenant_id", "remote_event_id"])
        .returning(TenantAuditEvent.id)
    )
    inserted = list(db.session.scalars(stmt, [rows[key] for key in sorted(rows)]))
    record_choices(tenant_id, inserted)
    return len(inserted)
