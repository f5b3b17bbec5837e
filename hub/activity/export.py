"""CSV export of the current filter: audited first, then streamed row by row.

The audit row (``export.csv`` with the filter and the row count) is committed in its own
transaction *before* the first byte is sent: an export that cannot be audited never starts.  The
count comes from a COUNT query, whose highest id bounds the streamed rows, so events synced while
the file downloads do not make the file disagree with its audit row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from hub.activity.filters import ActivityFilter, Scope
from hub.activity.service import count_events, stream_events, tenants_of
from hub.audit.service import record
from hub.extensions import db
from hub.sync.models import TenantAuditEvent as Event

COLUMNS = (
    "occurred_at_utc", "tenant", "action", "entity_type", "entity_id",
    "billing_user_id", "billing_user_name", "billing_user_type",
    "on_behalf_of_user_id", "on_behalf_of_name", "billing_company_id", "billing_company_name", "proxy",
    "ip_address", "source_port", "platform", "os", "detail", "remote_event_id",
)
#: a cell starting with one of these is read as a formula by spreadsheets (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """The cell text of ``value``; text that a spreadsheet would run as a formula is prefixed with '."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def row_of(event: Event, tenant_names: dict[int, str]) -> list[str]:
    """The CSV cells of one event (every text cell neutralised, tenant-supplied or not)."""
    values: list[Any] = [
        event.occurred_at.isoformat(timespec="microseconds"), tenant_names.get(event.tenant_id, event.tenant_id),
        event.action, event.entity_type, event.entity_id, event.user_id, event.user_name, event.user_type,
        event.on_behalf_of_user_id, event.on_behalf_of_name, event.billing_company_id, event.billing_company_name,
        "yes" if event.proxy else "no", event.ip_address, event.source_port, event.platform, event.os,
        event.detail, event.remote_event_id,
    ]
    return [neutralise(v) for v in values]


def start_export(scope: Scope, flt: ActivityFilter, *, actor: Any, page: str) -> tuple[int, int | None]:
    """Count the rows and commit the ``export.csv`` audit row; ``(count, max_id)`` for :func:`csv_lines`."""
    count, max_id = count_events(scope, flt)
    try:
        record("export.csv", actor=actor, hub_id=scope.hub_id, tenant_id=scope.tenant_id or flt.tenant_id,
               target_type="tenant_audit_events", detail={"page": page, "filter": flt.describe(), "rows": count})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return count, max_id


def csv_lines(scope: Scope, flt: ActivityFilter, *, max_id: int | None) -> Iterator[str]:
    """The CSV text, a header then one line per event (generated lazily)."""
    names = {t.id: t.name for t in tenants_of(scope)}
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    pending = 0
    for event in stream_events(scope, flt, max_id=max_id):
        writer.writerow(row_of(event, names))
        pending += 1
        if pending == 200:  # a few kB per chunk: fewer, larger writes to the socket
            pending = 0
            yield flush()
    if pending:
        yield flush()
