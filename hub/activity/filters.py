"""What a dashboard page may show (:class:`Scope`) and what the visitor asked for (:class:`ActivityFilter`).

Query parameters are parsed here, strictly: a value that is not what the field takes becomes a
field error (the view answers 400 with the form), never an exception deeper down.  Dates are
calendar days in UTC; ``to`` is inclusive.

"Who" (:data:`WHO_CHOICES`): a tenant's audit report holds every user's events, the clinic's own
staff's as well as the billing companies'; the dashboard shows only its billing company's events
(those of the tenant's Billing users, mostly on behalf of the company's Restricted users) unless
the visitor asks for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from hub.sync.models import TenantAuditEvent as Event

PER_PAGE_DEFAULT, PER_PAGE_MIN, PER_PAGE_MAX = 50, 50, 200
MAX_TEXT = 200
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_FIELDS = ("staff", "user", "action", "entity_type", "entity_id")
WHO_COMPANY, WHO_EVERYONE = "company", "everyone"
#: the "Who" select: value -> label (the first is the default)
WHO_CHOICES = {WHO_COMPANY: "Our billing company", WHO_EVERYONE: "Everyone, including the clinic's staff"}


def third_party_clauses(billing_company_ref: str | None) -> list[ColumnElement[bool]]:
    """Events of a billing company (of ``billing_company_ref`` when the hub names its own), not the clinic's staff.

    The ``IS NOT NULL`` term stays even with the equality: it is the predicate of the partial
    indexes ``ix_tae_*_company_time``, which the databases then use without having to prove it.
    """
    where: list[ColumnElement[bool]] = [Event.billing_company_id.is_not(None)]
    if billing_company_ref:
        where.append(Event.billing_company_id == billing_company_ref)
    return where


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose events a page may show: one hub, or one tenant of it (tenant admins).

    ``third_party_only`` keeps only events of billing-company accounts (the tenant-admin review);
    ``billing_company_ref`` narrows those (and the dashboard's "Our billing company") to the hub's
    own billing company when the hub knows it.
    """

    hub_id: int
    tenant_id: int | None = None
    third_party_only: bool = False
    billing_company_ref: str | None = None

    @property
    def key(self) -> str:
        """A short name of the scope, bound into cursors so one cannot be replayed in another scope."""
        return f"{self.hub_id}:{self.tenant_id or '*'}:{int(self.third_party_only)}"

    def clauses(self) -> list[ColumnElement[bool]]:
        """WHERE clauses confining a query to the scope (always the hub first)."""
        where: list[ColumnElement[bool]] = [Event.hub_id == self.hub_id]
        if self.tenant_id is not None:
            where.append(Event.tenant_id == self.tenant_id)
        if self.third_party_only:
            where += third_party_clauses(self.billing_company_ref)
        return where


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """The visitor's filter; every field optional (None means "any"), "who" defaults to the billing company."""

    tenant_id: int | None = None
    #: on-behalf-of Restricted user id (the billing company's staff member)
    staff: str | None = None
    #: the Billing user (the account that logged in)
    user: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    per_page: int = PER_PAGE_DEFAULT
    #: one of :data:`WHO_CHOICES`; None where the page offers no choice (the review's scope decides)
    who: str | None = WHO_COMPANY
    #: the hub's billing company (set from the scope by :func:`parse_filter`, not by the visitor)
    company_ref: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """WHERE clauses of the filter (equality on indexed columns, a half-open time range)."""
        where: list[ColumnElement[bool]] = []
        if self.who == WHO_COMPANY:
            where += third_party_clauses(self.company_ref)
        if self.tenant_id is not None:
            where.append(Event.tenant_id == self.tenant_id)
        for name, column in (("staff", Event.on_behalf_of_user_id), ("user", Event.user_id),
                             ("action", Event.action), ("entity_type", Event.entity_type),
                             ("entity_id", Event.entity_id)):
            value = getattr(self, name)
            if value is not None:
                where.append(column == value)
        start, end = self.time_range()
        if start is not None:
            where.append(Event.occurred_at >= start)
        if end is not None:
            where.append(Event.occurred_at < end)
        return where

    def choice_scope(self, scope: Scope) -> Scope:
        """The scope whose staff, actions and entity types the filter's selects offer (they follow "who")."""
        return replace(scope, third_party_only=True) if self.who == WHO_COMPANY else scope

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """``[start, end)`` in UTC of the date range (``to`` is inclusive, so end is the next midnight)."""
        start = _midnight(self.date_from) if self.date_from else None
        end = None
        if self.date_to is not None and self.date_to < date.max:
            end = _midnight(self.date_to + timedelta(days=1))
        return start, end

    def as_args(self, *, with_per_page: bool = True) -> dict[str, str]:
        """The query parameters that reproduce this filter (links: pages, export, chart)."""
        args = {
            "tenant": "" if self.tenant_id is None else str(self.tenant_id),
            "staff": self.staff or "", "user": self.user or "", "action": self.action or "",
            "entity_type": self.entity_type or "", "entity_id": self.entity_id or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "who": self.who if self.who not in (None, WHO_COMPANY) else "",
        }
        if with_per_page and self.per_page != PER_PAGE_DEFAULT:
            args["per_page"] = str(self.per_page)
        return {k: v for k, v in args.items() if v}

    def describe(self) -> dict[str, Any]:
        """The filter as plain data for the hub audit log (it holds no secret)."""
        data = asdict(self)
        for name in ("date_from", "date_to"):
            data[name] = data[name].isoformat() if data[name] else None
        data.pop("per_page")
        data.pop("company_ref")  # the hub's setting, not the visitor's choice
        return {k: v for k, v in data.items() if v is not None}


@dataclass(slots=True)
class FilterErrors(ValueError):
    """Query parameters refused; ``errors`` maps a form field name to its message."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _is_number(raw: str) -> bool:
    # str.isdigit() alone accepts "²" and other digits int() refuses
    return raw.isascii() and raw.isdigit()


def _parse_date(raw: str) -> date:
    if not _DATE.fullmatch(raw):
        raise ValueError("Use the form YYYY-MM-DD.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError("This is not a calendar date.") from None


def parse_filter(
    args: Mapping[str, str], *, tenant_ids: Collection[int] | None, company_ref: str | None = None,
    with_who: bool = True,
) -> ActivityFilter:
    """Validate query parameters into a filter; raises :class:`FilterErrors` naming each bad field.

    ``tenant_ids`` are the tenants the visitor may pick; None means the page has no tenant field
    (a tenant admin's review), and a ``tenant`` parameter is then ignored.  Likewise ``with_who``
    False ignores ``who`` (the review's scope holds only third-party events anyway).
    ``company_ref`` is the hub's billing company, which "Our billing company" means.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"company_ref": company_ref, "who": None}
    raw_who = (args.get("who") or "").strip()
    if with_who:
        if raw_who and raw_who not in WHO_CHOICES:
            errors["who"] = "Choose whose events to show."
        else:
            values["who"] = raw_who or WHO_COMPANY
    for name in _TEXT_FIELDS:
        raw = (args.get(name) or "").strip()
        if len(raw) > MAX_TEXT:
            errors[name] = f"Use at most {MAX_TEXT} characters."
        elif _CONTROL.search(raw):  # PostgreSQL refuses NUL in text; no id holds control characters
            errors[name] = "Remove the control characters."
        elif raw:
            values[name] = raw
    raw_tenant = (args.get("tenant") or "").strip()
    if tenant_ids is not None and raw_tenant:
        if not _is_number(raw_tenant) or len(raw_tenant) > 10 or int(raw_tenant) not in tenant_ids:
            errors["tenant"] = "Choose one of the hub's tenants."
        else:
            values["tenant_id"] = int(raw_tenant)
    for name, key in (("from", "date_from"), ("to", "date_to")):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                values[key] = _parse_date(raw)
            except ValueError as exc:
                errors[name] = str(exc)
    if "date_from" in values and "date_to" in values and values["date_from"] > values["date_to"]:
        errors["to"] = "The end date is before the start date."
    raw_per_page = (args.get("per_page") or "").strip()
    if raw_per_page:
        if len(raw_per_page) > 4 or not _is_number(raw_per_page) \
                or not PER_PAGE_MIN <= int(raw_per_page) <= PER_PAGE_MAX:
            errors["per_page"] = f"Choose between {PER_PAGE_MIN} and {PER_PAGE_MAX} rows per page."
        else:
            values["per_page"] = int(raw_per_page)
    if errors:
        raise FilterErrors(errors)
    return ActivityFilter(**values)
