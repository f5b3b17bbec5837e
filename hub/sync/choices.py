"""Keep the dashboard filter's choices (staff members, actions, entity types) beside the synced events.

The values come from the events themselves, grouped by tenant, billing company and value, with one
``INSERT ... SELECT ... ON CONFLICT`` per kind (the same statement on SQLite and PostgreSQL):
:func:`record_choices` runs it over the events a sync page has just inserted, in the page's own
transaction, so every committed event has its choices committed with it; :func:`rebuild_choices`
recomputes whole tenants for loaders that write events around the ORM.

Concurrent writers are safe: an existing value is left alone (or, for a staff member, only
relabelled with a higher name, as ``max(on_behalf_of_name)`` over the events would give), and rows
are inserted in key order, so two transactions touching the same tenant wait for each other rather
than deadlock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.extensions import db
from hub.sync.models import ActivityChoice, ChoiceKind
from hub.sync.models import TenantAuditEvent as Event

#: kind -> (the event column holding the value, the column naming it or None)
SOURCES: dict[ChoiceKind, tuple[Any, Any]] = {
    ChoiceKind.STAFF: (Event.on_behalf_of_user_id, Event.on_behalf_of_name),
    ChoiceKind.ACTION: (Event.action, None),
    ChoiceKind.ENTITY_TYPE: (Event.entity_type, None),
}
_KEY = ["tenant_id", "kind", "billing_company_id", "value"]
_INSERTED = ["hub_id", "tenant_id", "kind", "billing_company_id", "value", "label"]


def _company() -> ColumnElement[str]:
    # a literal, not a bound parameter: PostgreSQL must see the very same expression in GROUP BY
    return func.coalesce(Event.billing_company_id, literal_column("''"))


def _upsert(bind: Session | Connection, kind: ChoiceKind, where: list[ColumnElement[bool]]) -> None:
    """Insert the distinct values of ``kind`` among the events matching ``where`` that are not stored yet."""
    value, name = SOURCES[kind]
    company = _company()
    label = func.max(name) if name is not None else cast(null(), String)
    source = (
        select(func.min(Event.hub_id), Event.tenant_id, literal(kind.value, String), company, value, label)
        .where(value.is_not(None), *where)
        .group_by(Event.tenant_id, company, value)
        .order_by(Event.tenant_id, company, value)  # one lock order for every writer
    )
    dialect = bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    stmt = insert(ActivityChoice).from_select(_INSERTED, source)
    if name is None:
        bind.execute(stmt.on_conflict_do_nothing(index_elements=_KEY))
        return
    higher = and_(stmt.excluded.label.is_not(None),
                  or_(ActivityChoice.label.is_(None), stmt.excluded.label > ActivityChoice.label))
    bind.execute(stmt.on_conflict_do_update(index_elements=_KEY, set_={"label": stmt.excluded.label}, where=higher))


def record_choices(tenant_id: int, event_ids: Collection[int]) -> None:
    """Add the choices of events just inserted (``event_ids`` of ``tenant_id``) in the current transaction."""
    if not event_ids:
        return
    where = [Event.tenant_id == tenant_id, Event.id.in_(sorted(event_ids))]
    for kind in ChoiceKind:
        _upsert(db.session, kind, where)


def rebuild_choices(tenant_ids: Iterable[int], *, connection: Connection | None = None) -> None:
    """Recompute the choices of ``tenant_ids`` from their stored events (bulk loaders call this once).

    Runs in the caller's transaction: ``connection`` when given (a loader writing through the
    driver), else the current session.  The caller commits.
    """
    ids = sorted(set(tenant_ids))
    if not ids:
        return
    bind: Session | Connection = connection if connection is not None else db.session
    bind.execute(delete(ActivityChoice).where(ActivityChoice.tenant_id.in_(ids)))
    for kind in ChoiceKind:
        _upsert(bind, kind, [Event.tenant_id.in_(ids)])
