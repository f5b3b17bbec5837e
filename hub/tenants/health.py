"""What the hub last saw of a tenant: record a call's success or its typed error on the tenant row.

Only errors that say something about the tenant itself change its health: it could not be reached
(``unavailable``), answered outside the contract (``protocol_error``) or refused a stored Billing
credential (``auth_failed``). An expired session or a missing TOTP code of the agent is the agent's
business, not the tenant's, and leaves the status alone. The caller commits.

A ``misconfigured`` flag (:data:`SEAT_CHARGED`: a Billing account the tenant charges as a seat) is
raised by whatever sees such a seat: an agent's tenant login or the sync's login with a Standard-typed
account (no secondary prompt), or a seat check that lists one.  Only a clean **seat check** clears
it (:func:`record_success`), because only the seat check sees every billing-company account of the
tenant.  A login or call that works says nothing about the other accounts: it records
:func:`record_contact`, which keeps the flag.  That includes a login with the very credential that
raised the flag now getting its secondary prompt: every source raises the same code, so the hub
cannot tell whose flag it is (a fixed account is cleared by the next seat check, which the sync
workers run every ``SEAT_CHECK_INTERVAL_HOURS``, or at once by a tenant admin's "Check now").
"""

from __future__ import annotations

from hub.dbtypes import utcnow
from hub.extensions import db
from hub.tenants.models import HealthStatus, Tenant
from tenant_connectors.base import (
    AuthenticationFailed,
    SessionExpired,
    TenantError,
    TenantProtocolError,
    TenantUnavailable,
    TotpRequired,
)

MAX_MESSAGE_LENGTH = 500
#: the code of a ``misconfigured`` flag for a Billing account the tenant charges as a seat
SEAT_CHARGED = "billing_seat_charged"

#: checked in order; the first matching class decides
_STATUS_BY_ERROR: tuple[tuple[type[TenantError], HealthStatus | None], ...] = (
    (SessionExpired, None),
    (TotpRequired, None),
    (AuthenticationFailed, HealthStatus.AUTH_FAILED),
    (TenantProtocolError, HealthStatus.PROTOCOL_ERROR),
    (TenantUnavailable, HealthStatus.UNAVAILABLE),
)


def status_for(error: TenantError) -> HealthStatus | None:
    """The health status an error means, or None when it says nothing about the tenant."""
    for error_class, status in _STATUS_BY_ERROR:
        if isinstance(error, error_class):
            return status
    return None


def record_success(tenant: Tenant) -> None:
    """The tenant answered as the contract says and nothing is misconfigured: clears every flag.

    Only for a judgement that covers every Billing account (a clean seat check); a call or login that
    worked records :func:`record_contact`.
    """
    tenant.health_status = HealthStatus.OK
    tenant.last_contact_at = utcnow()
    tenant.consecutive_failures = 0
    db.session.flush()


def record_contact(tenant: Tenant) -> None:
    """A call or login worked (an agent's entry or call, an audit sync): success, but a misconfiguration stays.

    The call proves at most that its own credential is typed Billing, nothing about the other accounts.
    """
    if tenant.health_status == HealthStatus.MISCONFIGURED:
        tenant.last_contact_at = utcnow()
        db.session.flush()
        return
    record_success(tenant)


def record_failure(tenant: Tenant, error: TenantError) -> HealthStatus | None:
    """Record ``error`` on the tenant when it is a health signal; returns the status written (or None)."""
    status = status_for(error)
    if status is None:
        return None
    _record_problem(tenant, status, error.code, error.message)
    return status


def record_misconfiguration(tenant: Tenant, code: str, message: str) -> None:
    """Flag a misconfigured tenant (e.g. its Billing account is a charged Standard seat)."""
    _record_problem(tenant, HealthStatus.MISCONFIGURED, code, message)


def _record_problem(tenant: Tenant, status: HealthStatus, code: str, message: str) -> None:
    tenant.health_status = status
    tenant.last_error_at = utcnow()
    tenant.last_error_code = code[:50]
    # connector messages never carry secrets (the contract says so); they are still bounded
    tenant.last_error_message = (message or "")[:MAX_MESSAGE_LENGTH]
    # an SQL increment, so two processes failing at once both count
    tenant.consecutive_failures = Tenant.consecutive_failures + 1  # type: ignore[assignment]
    db.session.flush()
