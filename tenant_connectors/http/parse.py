"""Build the contract's frozen dataclasses from validated tenant replies.

Each ``*_from`` function takes a :class:`~tenant_connectors.http.fields.Fields` view of one JSON
object and returns the matching dataclass of :mod:`tenant_connectors.base`, or raises
:class:`~tenant_connectors.http.fields.ReplyShapeError` naming the first field that is missing or
mistyped.  :func:`error_envelope` reads the ``{"error": {...}}`` body of a failed call leniently:
an unreadable envelope yields None and the caller falls back on the HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenant_connectors.base import (
    AuditEvent,
    AuditPage,
    Authorization,
    AuthorizationPeriod,
    BillingAccount,
    Client,
    ClientPage,
    ClientPayer,
    CompanyRef,
    Distribution,
    Identity,
    LoginStep,
    Payer,
    PayerRank,
    PayerStatus,
    SeatStatus,
    SecondaryChallenge,
    StatusChange,
    TenantSession,
    UserType,
)
from tenant_connectors.http.fields import Fields, ReplyShapeError


def company_from(f: Fields) -> CompanyRef:
    """``CompanyRef``."""
    return CompanyRef(company_id=f.text("company_id", non_empty=True), name=f.text("name"))


def identity_from(f: Fields) -> Identity:
    """``Identity``."""
    return Identity(
        user_id=f.text("user_id", non_empty=True),
        display_name=f.text("display_name"),
        user_type=f.enum("user_type", UserType),
        company=company_from(f.obj("company")),
    )


def challenge_from(f: Fields) -> SecondaryChallenge:
    """``SecondaryChallenge``."""
    return SecondaryChallenge(
        challenge_id=f.text("challenge_id", non_empty=True),
        billing_company=company_from(f.obj("billing_company")),
        billing_user=identity_from(f.obj("billing_user")),
        expires_at=f.moment("expires_at"),
    )


def session_from(f: Fields) -> TenantSession:
    """``TenantSession`` (the token is checked for type only and never echoed)."""
    acting = f.opt_obj("acting_for")
    seat = f.obj("seat")
    return TenantSession(
        token=f.text("token", non_empty=True),
        expires_at=f.moment("expires_at"),
        billing_user=identity_from(f.obj("billing_user")),
        acting_for=identity_from(acting) if acting is not None else None,
        permissions=frozenset(f.strings("permissions")),
        seat=SeatStatus(user_type=seat.enum("user_type", UserType), charged=seat.boolean("charged")),
        tenant=company_from(f.obj("tenant")),
    )


def login_step_from(f: Fields) -> LoginStep:
    """The reply of ``/auth/login`` or ``/auth/secondary``: a challenge or a session."""
    status = f.text("status")
    if status == "secondary_required":
        return challenge_from(f.obj("challenge"))
    if status == "authenticated":
        return session_from(f.obj("session"))
    raise ReplyShapeError(f"{f.path}.status" if f.path else "status", '"secondary_required" or "authenticated"')


def health_from(f: Fields) -> CompanyRef:
    """The reply of ``/health``: status "ok" and the tenant company."""
    if f.text("status") != "ok":
        raise ReplyShapeError("status", '"ok"')
    return company_from(f.obj("company"))


def client_from(f: Fields) -> Client:
    """``Client``."""
    return Client(
        client_id=f.text("client_id", non_empty=True),
        first_name=f.text("first_name"),
        last_name=f.text("last_name"),
        account_number=f.text("account_number"),
        active=f.boolean("active"),
    )


def client_page_from(f: Fields) -> ClientPage:
    """``ClientPage``."""
    return ClientPage(
        items=tuple(client_from(item) for item in f.objects("items")),
        total=f.count("total"),
        offset=f.count("offset"),
        limit=f.count("limit"),
    )


def payer_from(f: Fields) -> Payer:
    """``Payer`` (directory entry)."""
    return Payer(
        payer_id=f.text("payer_id", non_empty=True),
        name=f.text("name"),
        payer_type=f.text("payer_type"),
        active=f.boolean("active"),
    )


def client_payer_from(f: Fields) -> ClientPayer:
    """``ClientPayer``; rank is the integer 1..5."""
    return ClientPayer(
        client_payer_id=f.text("client_payer_id", non_empty=True),
        client_id=f.text("client_id", non_empty=True),
        payer_id=f.text("payer_id", non_empty=True),
        payer_name=f.text("payer_name"),
        rank=f.enum("rank", PayerRank),
        distribution=f.enum("distribution", Distribution),
        amount=f.opt_decimal("amount"),
        week_start_day=f.opt_integer("week_start_day", low=0, high=6),
        pay_start=f.day("pay_start"),
        pay_end=f.opt_day("pay_end"),
        status=f.enum("status", PayerStatus),
    )


def status_change_from(f: Fields) -> StatusChange:
    """``StatusChange`` (one history entry)."""
    return StatusChange(
        old_status=f.opt_enum("old_status", PayerStatus),
        new_status=f.enum("new_status", PayerStatus),
        effective_date=f.day("effective_date"),
        note=f.text("note"),
        changed_by=f.text("changed_by"),
        changed_at=f.moment("changed_at"),
    )


def authorization_from(f: Fields) -> Authorization:
    """``Authorization``."""
    return Authorization(
        authorization_id=f.text("authorization_id", non_empty=True),
        client_id=f.text("client_id", non_empty=True),
        client_payer_id=f.text("client_payer_id", non_empty=True),
        payer_id=f.text("payer_id", non_empty=True),
        amount=f.decimal("amount"),
        period=f.enum("period", AuthorizationPeriod),
        start=f.day("start"),
        end=f.opt_day("end"),
    )


def billing_account_from(f: Fields) -> BillingAccount:
    """``BillingAccount``."""
    company = f.opt_obj("billing_company")
    return BillingAccount(
        user_id=f.text("user_id", non_empty=True),
        display_name=f.text("display_name"),
        user_type=f.enum("user_type", UserType),
        billing_company=company_from(company) if company is not None else None,
        permission_group=f.text("permission_group"),
        charged=f.boolean("charged"),
    )


def audit_event_from(f: Fields) -> AuditEvent:
    """``AuditEvent``; ``action`` stays a string so that new tenant actions do not break sync."""
    company = f.opt_obj("billing_company")
    return AuditEvent(
        event_id=f.text("event_id", non_empty=True),
        occurred_at=f.moment("occurred_at"),
        action=f.text("action", non_empty=True),
        entity_type=f.opt_text("entity_type"),
        entity_id=f.opt_text("entity_id"),
        user_id=f.opt_text("user_id"),
        user_name=f.opt_text("user_name"),
        user_type=f.opt_enum("user_type", UserType),
        on_behalf_of_user_id=f.opt_text("on_behalf_of_user_id"),
        on_behalf_of_name=f.opt_text("on_behalf_of_name"),
        billing_company=company_from(company) if company is not None else None,
        proxy=f.boolean("proxy"),
        ip_address=f.opt_text("ip_address"),
        source_port=f.opt_integer("source_port", low=0, high=65535),
        platform=f.opt_text("platform"),
        os=f.opt_text("os"),
        detail=f.opt_text("detail"),
    )


def audit_page_from(f: Fields) -> AuditPage:
    """``AuditPage``; a page that says ``has_more`` must carry a cursor to continue from."""
    page = AuditPage(
        items=tuple(audit_event_from(item) for item in f.objects("items")),
        next_cursor=f.opt_text("next_cursor"),
        has_more=f.boolean("has_more"),
    )
    if page.has_more and not page.next_cursor:
        raise ReplyShapeError("next_cursor", "a cursor when has_more is true")
    return page


@dataclass(frozen=True, slots=True)
class ErrorEnvelope:
    """The ``error`` object of a failed call."""

    code: str
    message: str
    fields: dict[str, tuple[str, ...]]
    permission: str | None
    challenge: SecondaryChallenge | None


def error_envelope(data: Any) -> ErrorEnvelope | None:
    """Read ``{"error": {"code", "message", "fields"?}}``; None when the body is not one."""
    try:
        f = Fields(data, "").obj("error")
        code = f.text("code", non_empty=True)
        message = f.opt_text("message") or ""
        fields = f.messages("fields")
        permission = f.opt_text("permission")
    except ReplyShapeError:
        return None
    # a challenge is optional; a malformed one is ignored rather than discarding the code
    challenge: SecondaryChallenge | None = None
    try:
        raw = f.opt_obj("challenge")
        challenge = challenge_from(raw) if raw is not None else None
    except ReplyShapeError:
        challenge = None
    return ErrorEnvelope(code=code, message=message, fields=fields, permission=permission, challenge=challenge)
