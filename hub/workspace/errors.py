"""Turn a tenant's typed error into what the agent reads, and into the tenant's health.

One table decides, per error class, the message, the HTTP status of the page that shows it, and
whether the tenant is at fault (then :mod:`hub.tenants.health` records it).  Messages never
include the connector's text for authentication errors: it could name which secret was wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hub.tenants import health
from hub.tenants.models import Tenant
from tenant_connectors.base import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    SessionExpired,
    TenantError,
    TenantProtocolError,
    TenantTimeout,
    TenantUnavailable,
    TotpRequired,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

BILLING_REFUSED = "The stored Billing credential was refused by the tenant; ask your hub admin to check it."
SESSION_EXPIRED = "Your session in this tenant has ended or expired; enter the tenant again."
#: what the agent reads when the tenant itself failed (a 504, 503 or 502 page): one per typed error
TENANT_TIMED_OUT = "The tenant did not answer in time. Try again in a moment; other tenants are not affected."
TENANT_UNAVAILABLE = ("The tenant is unavailable right now (it could not be reached or reported an error). "
                      "Try again later; other tenants are not affected.")
TENANT_UNREADABLE = ("The tenant answered something the hub cannot read. The problem was recorded on the "
                     "tenant's health; try again later.")
TENANT_REFUSED = "The tenant refused the request."
GATEWAY_MESSAGES = (TENANT_TIMED_OUT, TENANT_UNAVAILABLE, TENANT_UNREADABLE, TENANT_REFUSED)


@dataclass(frozen=True, slots=True)
class TenantProblem:
    """What to tell the agent about a failed tenant call."""

    message: str
    status: int
    #: the tenant session is over (the agent must enter again)
    session_over: bool = False


def permission_message(error: PermissionDenied) -> str:
    """The refusal of a permission the Billing user's group lacks."""
    what = f" ({error.permission})" if error.permission else ""
    return (
        f"Your permission level in this tenant does not allow this{what}. "
        "Ask your hub admin for a level that does."
    )


def describe(error: TenantError) -> TenantProblem:
    """The agent-facing problem for ``error`` (a call made inside an open tenant session)."""
    if isinstance(error, SessionExpired | TotpRequired):
        return TenantProblem(SESSION_EXPIRED, 401, session_over=True)
    if isinstance(error, AuthenticationFailed):
        return TenantProblem(SESSION_EXPIRED, 401, session_over=True)
    if isinstance(error, PermissionDenied):
        return TenantProblem(permission_message(error), 403)
    if isinstance(error, NotFound):
        return TenantProblem("The tenant has no such record (or does not show it to your level).", 404)
    if isinstance(error, ValidationFailed):
        return TenantProblem(f"The tenant refused the change: {_field_text(error)}", 422)
    if isinstance(error, TenantTimeout):
        return TenantProblem(TENANT_TIMED_OUT, 504)
    if isinstance(error, TenantUnavailable):
        return TenantProblem(TENANT_UNAVAILABLE, 503)
    if isinstance(error, TenantProtocolError):
        return TenantProblem(TENANT_UNREADABLE, 502)
    return TenantProblem(TENANT_REFUSED, 502)


def _field_text(error: ValidationFailed) -> str:
    parts = [f"{name}: {'; '.join(msgs)}" for name, msgs in error.field_errors.items()]
    return "; ".join(parts) or error.message


def record_health(tenant: Tenant, error: TenantError) -> None:
    """Record ``error`` on the tenant's health when the tenant is at fault (the caller commits)."""
    status = health.record_failure(tenant, error)
    if status is not None:
        # code only: the message was already written to the tenant row, bounded and secret-free
        logger.warning("tenant %s call failed: %s", tenant.id, error.code)
