"""Store and read tenant-session rows: seal/unseal the token, rebuild contract objects, end rows.

The only module that reads a sealed tenant token or challenge id back; nothing here commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from hub import clock, vault
from hub.accounts.models import User
from hub.extensions import db
from hub.tenants.connectors import connector_for
from hub.tenants.models import BillingCredential, Tenant
from hub.workspace.models import PENDING_SEAL, TenantSessionRecord
from tenant_connectors.base import (
    CompanyRef,
    Identity,
    SeatStatus,
    SecondaryChallenge,
    TenantError,
    TenantSession,
    UserType,
)

__all__ = ["PENDING_SEAL", "challenge_from", "challenge_info", "contract_session", "end", "logout_quietly",
           "open_clause", "open_record", "store"]

logger = logging.getLogger(__name__)


def _company_json(company: CompanyRef) -> dict[str, str]:
    return {"company_id": company.company_id, "name": company.name}


def _identity_json(identity: Identity | None) -> dict[str, Any] | None:
    if identity is None:
        return None
    return {"user_id": identity.user_id, "display_name": identity.display_name,
            "user_type": identity.user_type.value, "company": _company_json(identity.company)}


def _identity(data: dict[str, Any] | None) -> Identity | None:
    if data is None:
        return None
    company = data.get("company") or {}
    return Identity(user_id=data["user_id"], display_name=data["display_name"], user_type=UserType(data["user_type"]),
                    company=CompanyRef(company.get("company_id", ""), company.get("name", "")))


def challenge_info(challenge: SecondaryChallenge) -> dict[str, Any]:
    """The non-secret part of a challenge, as JSON."""
    return {"billing_company": _company_json(challenge.billing_company),
            "billing_user": _identity_json(challenge.billing_user)}


def challenge_from(pending: Any, challenge_id: str) -> SecondaryChallenge:
    """Rebuild the contract challenge of a pending login around its unsealed id."""
    info = pending.challenge_info
    billing_user = _identity(info["billing_user"])
    assert billing_user is not None
    return SecondaryChallenge(challenge_id=challenge_id, billing_company=CompanyRef(**info["billing_company"]),
                              billing_user=billing_user, expires_at=pending.challenge_expires_at)


def open_clause(user_id: int, user_session_id: int | None, now: datetime) -> ColumnElement[bool]:
    """SQL condition of an open tenant session of this agent in this hub login session."""
    bound = (TenantSessionRecord.user_session_id.is_(None) if user_session_id is None
             else TenantSessionRecord.user_session_id == user_session_id)
    return and_(TenantSessionRecord.user_id == user_id, TenantSessionRecord.ended_at.is_(None),
                TenantSessionRecord.expires_at > now, bound)


def open_record(user: User, tenant: Tenant, user_session_id: int | None) -> TenantSessionRecord | None:
    """The agent's open session in ``tenant`` (bound to this hub login session), if any."""
    stmt = (select(TenantSessionRecord)
            .where(open_clause(user.id, user_session_id, clock.now()), TenantSessionRecord.tenant_id == tenant.id)
            .order_by(TenantSessionRecord.id.desc()))
    return db.session.scalars(stmt).first()


def store(
    user: User, tenant: Tenant, credential: BillingCredential | None, session: TenantSession,
    user_session_id: int | None,
) -> TenantSessionRecord:
    """A new row for an opened tenant session, its token sealed to the row and agent (flushed)."""
    now = clock.now()
    # the tenant's own clock may run ahead of ours (tests move it); trust its expiry only forward of now
    record = TenantSessionRecord(
        hub_id=tenant.hub_id, user_id=user.id, tenant_id=tenant.id,
        credential_id=None if credential is None else credential.id, user_session_id=user_session_id,
        token_sealed=PENDING_SEAL, token_key_id=PENDING_SEAL, expires_at=session.expires_at,
        identities={"billing_user": _identity_json(session.billing_user),
                    "acting_for": _identity_json(session.acting_for), "tenant": _company_json(session.tenant)},
        permissions=" ".join(sorted(session.permissions)), seat_user_type=session.seat.user_type.value,
        seat_charged=session.seat.charged, created_at=now, last_used_at=now,
    )
    db.session.add(record)
    db.session.flush()  # the row id is part of the seal's context
    record.token_sealed = vault.seal(session.token, context=record.token_context())
    record.token_key_id = vault.key_id_of(record.token_sealed)
    db.session.flush()
    return record


def contract_session(record: TenantSessionRecord) -> TenantSession | None:
    """The contract session of a row with its token unsealed (None if the token does not open)."""
    try:
        token = vault.unseal(record.token_sealed, context=record.token_context())
    except vault.VaultError:
        return None
    billing_user = _identity(record.identities.get("billing_user"))
    assert billing_user is not None
    tenant = record.identities.get("tenant") or {}
    return TenantSession(
        token=token, expires_at=record.expires_at, billing_user=billing_user,
        acting_for=_identity(record.identities.get("acting_for")),
        permissions=frozenset(record.permissions.split()),
        seat=SeatStatus(UserType(record.seat_user_type), record.seat_charged),
        tenant=CompanyRef(tenant.get("company_id", ""), tenant.get("name", "")),
    )


def end(record: TenantSessionRecord, reason: str) -> None:
    """Mark the row ended (the caller audits and commits)."""
    if record.ended_at is None:
        record.ended_at = clock.now()
        record.end_reason = reason[:50]
    db.session.flush()


def logout_quietly(tenant: Tenant, session: TenantSession) -> None:
    """Log out at the tenant; a failure is logged (without details) and otherwise ignored."""
    try:
        connector_for(tenant).logout(session)
    except TenantError as error:
        logger.info("tenant %s logout failed (%s); the hub side is ended anyway", tenant.id, error.code)


def live_records(user_ids: list[int], tenant_id: int | None = None) -> list[TenantSessionRecord]:
    """Every not-yet-ended row of these agents (in one tenant, or all)."""
    stmt = select(TenantSessionRecord).where(TenantSessionRecord.user_id.in_(user_ids),
                                             TenantSessionRecord.ended_at.is_(None))
    if tenant_id is not None:
        stmt = stmt.where(TenantSessionRecord.tenant_id == tenant_id)
    return list(db.session.scalars(stmt))


def orphaned(user_id: int, live_session_ids: list[int]) -> ColumnElement[bool]:
    """Rows of ``user_id`` still open but bound to a hub session that is no longer live."""
    return and_(TenantSessionRecord.user_id == user_id, TenantSessionRecord.ended_at.is_(None),
                or_(TenantSessionRecord.user_session_id.is_(None),
                    TenantSessionRecord.user_session_id.not_in(live_session_ids)))
