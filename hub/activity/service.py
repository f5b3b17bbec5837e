"""Read the synced audit events: keyset pages, counts, streamed rows and the filter's choices.

Every query starts from :meth:`Scope.clauses` (the hub, and the tenant for tenant admins) and adds
the filter's equality and range clauses; pages are ordered ``occurred_at DESC, id DESC`` and
continued with a row-value comparison ``(occurred_at, id) < (:t, :id)``, never OFFSET, so each page
is an index range scan on one of the ``(…, occurred_at, id)`` indexes of ``tenant_audit_events``.
The filter's choices are read from ``activity_choices``, which the sync keeps beside the events
(:mod:`hub.sync.choices`), never by grouping the events.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_

from hub.activity import cursor as cursors
from hub.activity.filters import ActivityFilter, Scope
from hub.dbtypes import UTCDateTime
from hub.extensions import db
from hub.sync.models import ActivityChoice as Choice
from hub.sync.models import ChoiceKind
from hub.sync.models import TenantAuditEvent as Event
from hub.tenants.models import Tenant

#: choices offered in the filter's selects (distinct values of a column), at most this many
MAX_CHOICES = 500
EXPORT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Page:
    """One page of events, newest first, with the cursors of its neighbours (None at either end)."""

    rows: Sequence[Event]
    older: str | None
    newer: str | None


def filtered(scope: Scope, flt: ActivityFilter) -> Select[tuple[Event]]:
    """Events of ``scope`` matching ``flt`` (unordered)."""
    return select(Event).where(*scope.clauses(), *flt.clauses())


def _after(position: cursors.Position):  # type: ignore[no-untyped-def]
    # the bound value takes the column's type, so SQLite compares the same text form it stores
    key = tuple_(Event.occurred_at, Event.id)
    bound = tuple_(literal(position.occurred_at, UTCDateTime()), literal(position.event_id))
    return key < bound if position.direction == "older" else key > bound


def page_statement(scope: Scope, flt: ActivityFilter, position: cursors.Position | None) -> Select[tuple[Event]]:
    """The query of the page at ``position``: ``per_page + 1`` rows in reading order (the extra row
    tells whether there is more)."""
    stmt = filtered(scope, flt)
    if position is not None:
        stmt = stmt.where(_after(position))
    if position is None or position.direction == "older":
        stmt = stmt.order_by(Event.occurred_at.desc(), Event.id.desc())
    else:  # walking back towards the newest: read upwards (page_events shows them newest first)
        stmt = stmt.order_by(Event.occurred_at.asc(), Event.id.asc())
    return stmt.limit(flt.per_page + 1)


def page_events(scope: Scope, flt: ActivityFilter, position: cursors.Position | None) -> Page:
    """The page of events at ``position`` (None: the newest), ``flt.per_page`` rows."""
    size = flt.per_page
    newer_first = position is None or position.direction == "older"
    rows = list(db.session.scalars(page_statement(scope, flt, position)))
    more = len(rows) > size
    rows = rows[:size]
    if not newer_first:
        if not more:  # back at the top: show the newest full page rather than a short one
            return page_events(scope, flt, None)
        rows.reverse()
    if newer_first:
        has_older, has_newer = more, position is not None
    else:
        has_older, has_newer = True, more
    key = scope.key
    older = cursors.encode("older", rows[-1].occurred_at, rows[-1].id, scope_key=key) if rows and has_older else None
    newer = cursors.encode("newer", rows[0].occurred_at, rows[0].id, scope_key=key) if rows and has_newer else None
    return Page(rows, older, newer)


def count_events(scope: Scope, flt: ActivityFilter) -> tuple[int, int | None]:
    """How many events match, and the highest id among them (the export's snapshot bound)."""
    sub = filtered(scope, flt).with_only_columns(Event.id).subquery()
    count, top = db.session.execute(select(func.count(), func.max(sub.c.id)).select_from(sub)).one()
    return int(count or 0), top


def stream_events(scope: Scope, flt: ActivityFilter, *, max_id: int | None) -> Iterator[Event]:
    """Every matching event with ``id <= max_id``, newest first, fetched in batches (server-side cursor)."""
    if max_id is None:
        return
    stmt = (
        filtered(scope, flt)
        .where(Event.id <= max_id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .execution_options(yield_per=EXPORT_BATCH)
    )
    with db.session.scalars(stmt) as rows:
        for event in rows:
            yield event
            db.session.expunge(event)  # keep the identity map small on long exports


def tenants_of(scope: Scope) -> list[Tenant]:
    """The scope's tenants by name (the tenant select, and names for rows)."""
    stmt = select(Tenant).where(Tenant.hub_id == scope.hub_id).order_by(Tenant.name)
    if scope.tenant_id is not None:
        stmt = stmt.where(Tenant.id == scope.tenant_id)
    return list(db.session.scalars(stmt))


def _choices(scope: Scope, kind: ChoiceKind) -> list[ColumnElement[bool]]:
    """WHERE clauses of the scope's choices of ``kind``: what :meth:`Scope.clauses` keeps of the events."""
    where: list[ColumnElement[bool]] = [Choice.hub_id == scope.hub_id, Choice.kind == kind.value]
    if scope.tenant_id is not None:
        where.append(Choice.tenant_id == scope.tenant_id)
    if scope.third_party_only:
        where.append(Choice.billing_company_id != "")  # '' stands for "no billing company"
        if scope.billing_company_ref:
            where.append(Choice.billing_company_id == scope.billing_company_ref)
    return where


def staff_choices(scope: Scope) -> list[tuple[str, str]]:
    """Distinct staff members (on-behalf-of Restricted users) seen in the scope: ``(id, name)``."""
    stmt = (
        select(Choice.value, func.max(Choice.label))
        .where(*_choices(scope, ChoiceKind.STAFF))
        .group_by(Choice.value)
        .order_by(Choice.value)
        .limit(MAX_CHOICES)
    )
    return [(staff_id, name or staff_id) for staff_id, name in db.session.execute(stmt)]


def distinct_values(scope: Scope, column_name: str) -> list[str]:
    """Distinct non-empty values of ``action`` or ``entity_type`` in the scope (for selects)."""
    kind = {"action": ChoiceKind.ACTION, "entity_type": ChoiceKind.ENTITY_TYPE}[column_name]
    stmt = (
        select(Choice.value).where(*_choices(scope, kind)).group_by(Choice.value).order_by(Choice.value)
        .limit(MAX_CHOICES)
    )
    return list(db.session.scalars(stmt))
