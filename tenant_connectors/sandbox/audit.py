"""The tenant's Audit Report: one row per tenant API call, and cursor paging over it.

The cursor is opaque to clients: base64url of ``"v1:<last id returned>"``.  A page is
``WHERE company_id = ? AND id > ? ORDER BY id LIMIT n + 1`` (served by the ``(company_id, id)``
index); ``has_more`` says whether rows beyond the page existed when it was read.  The row that
records the ``GET /audit`` call itself is written after the query, so a reader that pages until
``has_more`` is false always terminates, and picks up its own read rows on the next sync.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.errors import bad_request
from tenant_connectors.sandbox.models import AuditRow, Company, User


@dataclass(slots=True)
class AuditDraft:
    """The audit row of the current call, filled in as the call learns who and what it is about."""

    action: str
    entity_type: str | None = None
    entity_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    user_type: str | None = None
    on_behalf_of_user_id: str | None = None
    on_behalf_of_name: str | None = None
    billing_company_id: str | None = None
    billing_company_name: str | None = None
    proxy: bool = False
    ip_address: str | None = None
    source_port: int | None = None
    platform: str | None = None
    os: str | None = None
    detail: str | None = None

    def set_user(self, user: User, billing_company: Company | None) -> None:
        """Record the account that logged in (the Billing user for third-party access)."""
        self.user_id = user.user_id
        self.user_name = user.display_name
        self.user_type = user.user_type
        if billing_company is not None:
            self.billing_company_id = billing_company.slug
            self.billing_company_name = billing_company.name

    def set_acting_for(self, user: User) -> None:
        """Record the Restricted user the Billing user acts for (a proxy session)."""
        self.on_behalf_of_user_id = user.user_id
        self.on_behalf_of_name = user.display_name
        self.proxy = True


def write(db: Session, company_id: int, draft: AuditDraft) -> None:
    """Insert the audit row of ``draft`` (the caller commits)."""
    values = {name: getattr(draft, name) for name in AuditDraft.__slots__}
    db.execute(insert(AuditRow).values(company_id=company_id, occurred_at=clock.now(), **values))


def encode_cursor(last_id: int) -> str:
    """Opaque cursor naming the last row returned."""
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The last id named by ``cursor``; 400 ``bad_request`` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "v1" or not number.isdigit():
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise bad_request("cursor is not valid") from exc


def read_page(db: Session, company_id: int, after_id: int, limit: int) -> tuple[list[Any], bool]:
    """Rows after ``after_id``, oldest first, and whether more existed beyond them.

    Plain core rows rather than ORM objects: a page of 500 is read several times faster.
    """
    rows = list(
        db.execute(
            select(AuditRow.__table__)
            .where(AuditRow.company_id == company_id, AuditRow.id > after_id)
            .order_by(AuditRow.id)
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit


def event_json(row: Any) -> dict[str, Any]:
    """An :class:`~tenant_connectors.base.AuditEvent` as JSON."""
    billing_company = (
        {"company_id": row.billing_company_id, "name": row.billing_company_name or row.billing_company_id}
        if row.billing_company_id
        else None
    )
    return {
        "event_id": str(row.id),
        "occurred_at": row.occurred_at.isoformat(),
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "user_id": row.user_id,
        "user_name": row.user_name,
        "user_type": row.user_type,
        "on_behalf_of_user_id": row.on_behalf_of_user_id,
        "on_behalf_of_name": row.on_behalf_of_name,
        "billing_company": billing_company,
        "proxy": row.proxy,
        "ip_address": row.ip_address,
        "source_port": row.source_port,
        "platform": row.platform,
        "os": row.os,
        "detail": row.detail,
    }
