"""Tenant sessions of agents: enter a tenant (Billing login + secondary prompt), look up, leave, end.

The Billing secret is revealed only for the one ``begin_login`` call; the agent's Restricted
password is passed to ``complete_secondary`` and dropped, never stored or logged.  The tenant's
token and the secondary challenge id are kept sealed in :mod:`hub.workspace.models` rows bound
to the agent's hub login session.  Every function commits what it records (the audit row with it).
"""

from __future__ import annotations

from datetime import timedelta

from flask import request
from sqlalchemy import delete, select

from hub import clock, vault
from hub.accounts.models import User
from hub.audit.service import record as audit
from hub.auth.sessions import current_session
from hub.extensions import db
from hub.tenants import health
from hub.tenants.connectors import connector_for
from hub.tenants.models import BillingCredential, Tenant
from hub.tenants.service import agent_levels, reveal_secret
from hub.workspace import records
from hub.workspace.errors import BILLING_REFUSED, describe, record_health
from hub.workspace.models import PendingTenantLogin, TenantSessionRecord
from hub.workspace.useragent import client_info
from tenant_connectors.base import (
    AuthenticationFailed,
    SecondaryChallenge,
    SessionExpired,
    TenantError,
    TenantSession,
    TotpRequired,
)

#: a pending secondary prompt lives at most this long on the hub side, whatever the tenant says
PENDING_TTL = timedelta(minutes=10)


class EntryError(Exception):
    """Entering a tenant failed; ``message`` is for the agent, ``field`` names the form field at fault.

    ``restart`` means the pending login is gone and the agent must enter the tenant again.
    """

    def __init__(self, message: str, *, field: str | None = None, restart: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.restart = restart


def tenant_for_agent(user: User, tenant_id: int) -> Tenant | None:
    """The tenant if ``user`` may enter it (same hub, granted, active), else None."""
    if tenant_id not in agent_levels(user, [tenant_id]):
        return None
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or tenant.hub_id != user.hub_id or not tenant.active:
        return None
    return tenant


def current_session_id() -> int | None:
    """Id of this request's hub login session (None outside one)."""
    record = current_session()
    return None if record is None else record.id


def _fail(user: User, tenant: Tenant, stage: str, reason: str, message: str, **kwargs: object) -> EntryError:
    """Audit a failed entry, commit, and build the error to raise."""
    audit("tenant.entry_failed", actor=user, tenant_id=tenant.id, target_type="tenant", target_id=tenant.id,
          outcome="failure", detail={"stage": stage, "reason": reason})
    db.session.commit()
    return EntryError(message, **kwargs)  # type: ignore[arg-type]


def _credential_for(user: User, tenant: Tenant) -> BillingCredential | None:
    level = agent_levels(user, [tenant.id]).get(tenant.id)
    if level is None:
        return None
    return db.session.scalars(
        select(BillingCredential).where(
            BillingCredential.tenant_id == tenant.id, BillingCredential.permission_level_id == level.id
        )
    ).first()


def begin(user: User, tenant: Tenant) -> TenantSessionRecord | PendingTenantLogin:
    """Run the Billing login for the agent's level: an open session, or a pending secondary prompt.

    Raises :class:`EntryError` (audited) when the credential is missing or refused, or the tenant fails.
    """
    existing = records.open_record(user, tenant, current_session_id())
    if existing is not None:
        return existing
    credential = _credential_for(user, tenant)
    if credential is None:
        raise _fail(user, tenant, "billing", "no_credential",
                    "No Billing credential is stored for your permission level in this tenant; ask your hub admin.")
    try:
        secret = reveal_secret(credential, actor=user)
    except vault.VaultError:
        raise _fail(user, tenant, "billing", "credential_unreadable",
                    "The stored Billing credential could not be read; ask your hub admin.") from None
    connector = connector_for(tenant)
    try:
        step = connector.begin_login(credential.remote_user_id, secret, client=client_info(request))
    except TenantError as error:
        db.session.rollback()
        if isinstance(error, AuthenticationFailed) and not isinstance(error, SessionExpired | TotpRequired):
            health.record_failure(tenant, error)
            raise _fail(user, tenant, "billing", error.reason, BILLING_REFUSED) from None
        record_health(tenant, error)
        raise _fail(user, tenant, "billing", error.code, describe(error).message) from None
    finally:
        del secret
    if isinstance(step, SecondaryChallenge):
        return _new_pending(user, tenant, credential, step)
    return _opened(user, tenant, credential, step)


def _new_pending(
    user: User, tenant: Tenant, credential: BillingCredential, challenge: SecondaryChallenge
) -> PendingTenantLogin:
    db.session.execute(delete(PendingTenantLogin).where(
        PendingTenantLogin.user_id == user.id, PendingTenantLogin.tenant_id == tenant.id))
    now = clock.now()
    pending = PendingTenantLogin(
        hub_id=tenant.hub_id, user_id=user.id, tenant_id=tenant.id, credential_id=credential.id,
        user_session_id=current_session_id(),
        challenge_sealed=records.PENDING_SEAL, challenge_key_id=records.PENDING_SEAL,
        challenge_info=records.challenge_info(challenge), challenge_expires_at=challenge.expires_at,
        expires_at=min(challenge.expires_at, now + PENDING_TTL) if challenge.expires_at > now else now + PENDING_TTL,
        created_at=now,
    )
    db.session.add(pending)
    db.session.flush()  # the row id is part of the seal's context
    pending.challenge_sealed = vault.seal(challenge.challenge_id, context=pending.challenge_context())
    pending.challenge_key_id = vault.key_id_of(pending.challenge_sealed)
    health.record_contact(tenant)  # this credential asks for the prompt; it says nothing about the others
    db.session.commit()
    return pending


def pending_for(user: User, tenant: Tenant) -> PendingTenantLogin | None:
    """The agent's live pending secondary prompt for ``tenant`` in this hub session."""
    return db.session.scalars(
        select(PendingTenantLogin).where(
            PendingTenantLogin.user_id == user.id,
            PendingTenantLogin.tenant_id == tenant.id,
            PendingTenantLogin.user_session_id == current_session_id(),
            PendingTenantLogin.expires_at > clock.now(),
        ).order_by(PendingTenantLogin.id.desc())
    ).first()


def _drop_pending(pending: PendingTenantLogin) -> None:
    db.session.delete(pending)
    db.session.flush()


def complete(
    user: User, tenant: Tenant, pending: PendingTenantLogin, username: str, password: str, totp_code: str | None
) -> TenantSessionRecord:
    """Answer the secondary challenge with the agent's Restricted credentials (used once, never kept)."""
    try:
        challenge = records.challenge_from(pending, vault.unseal(pending.challenge_sealed,
                                                                 context=pending.challenge_context()))
    except vault.VaultError:
        _drop_pending(pending)
        raise _fail(user, tenant, "secondary", "challenge_unreadable",
                    "The login could not be continued; enter the tenant again.", restart=True) from None
    credential = db.session.get(BillingCredential, pending.credential_id) if pending.credential_id else None
    try:
        session = connector_for(tenant).complete_secondary(
            challenge, username, password, totp_code=totp_code or None, client=client_info(request))
    except TenantError as error:
        db.session.rollback()
        raise _secondary_failure(user, tenant, pending, challenge, error) from None
    finally:
        del password
    _drop_pending(pending)
    return _opened(user, tenant, credential, session)


def _secondary_failure(
    user: User, tenant: Tenant, pending: PendingTenantLogin, challenge: SecondaryChallenge, error: TenantError
) -> EntryError:
    company = challenge.billing_company.name
    if isinstance(error, TotpRequired):
        pending.totp_required = True
        missing = error.reason == "totp_required"
        message = ("Your account has two-factor authentication: enter the code from your authenticator app."
                   if missing else "That two-factor code was not accepted; enter the current code.")
        return _fail(user, tenant, "secondary", error.reason, message, field="totp_code")
    if isinstance(error, AuthenticationFailed):
        if error.reason == "challenge_expired":
            _drop_pending(pending)
            return _fail(user, tenant, "secondary", error.reason,
                         "The tenant's login prompt expired before it was answered; enter the tenant again.",
                         restart=True)
        if error.reason == "locked":
            return _fail(user, tenant, "secondary", error.reason,
                         f"Your Restricted account at {company} is locked; ask your billing company's "
                         "administrator to unlock it.")
        return _fail(user, tenant, "secondary", error.reason,
                     f"{company} did not accept this User ID and password.", field="password")
    record_health(tenant, error)
    return _fail(user, tenant, "secondary", error.code, describe(error).message)


def _opened(
    user: User, tenant: Tenant, credential: BillingCredential | None, session: TenantSession
) -> TenantSessionRecord:
    record = records.store(user, tenant, credential, session, current_session_id())
    if record.seat_charged or not session.is_proxy:
        health.record_misconfiguration(
            tenant, health.SEAT_CHARGED,
            "The tenant reports the Billing account as a charged Standard seat (no secondary prompt).")
    else:
        health.record_contact(tenant)  # a flag (another credential's, a seat check's) stays: see health
    acting = session.acting_for
    audit("tenant.entered", actor=user, tenant_id=tenant.id, target_type="tenant", target_id=tenant.id,
          detail={"session_record_id": record.id, "credential_id": record.credential_id, "proxy": session.is_proxy,
                  "billing_user": session.billing_user.user_id,
                  "acting_for": None if acting is None else acting.user_id,
                  "seat_charged": session.seat.charged})
    db.session.commit()
    return record


def leave(user: User, record: TenantSessionRecord) -> None:
    """End the session at the tenant (best effort) and on the hub; audited as ``tenant.left``."""
    tenant = record.tenant
    session = records.contract_session(record)
    if session is not None:
        records.logout_quietly(tenant, session)
    records.end(record, "left")
    audit("tenant.left", actor=user, tenant_id=tenant.id, target_type="tenant", target_id=tenant.id,
          detail={"session_record_id": record.id})
    db.session.commit()


def expire(user: User, record: TenantSessionRecord, reason: str = "expired") -> None:
    """Mark a session the tenant no longer honours as ended (no call to the tenant)."""
    records.end(record, reason)
    audit("tenant.session_ended", actor=user, tenant_id=record.tenant_id, target_type="tenant",
          target_id=record.tenant_id, detail={"session_record_id": record.id, "reason": reason})
    db.session.commit()
