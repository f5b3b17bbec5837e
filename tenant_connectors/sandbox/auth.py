"""Two-part login, lockout, TOTP and bearer-token sessions of the sandbox tenant.

Choices where the API page leaves room:

* Lockout: 9 consecutive failures (wrong password, or wrong TOTP code) lock the account.  A locked
  account answers ``invalid_credentials`` to a wrong password and ``locked`` only once the right
  password is given, so the lock reveals nothing to someone guessing.
* A challenge is consumed by the *successful* secondary login only; failures (e.g. the first try
  without a TOTP code answered ``totp_required``) leave it usable until it expires (5 minutes).
* TOTP codes are checked against the sandbox clock (and real time, when the clock is moved) with
  one step of tolerance either side.
* Presenting an unused challenge id as a bearer token answers ``secondary_required``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_connectors.base import UserType
from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.audit import AuditDraft
from tenant_connectors.sandbox.errors import ApiError
from tenant_connectors.sandbox.models import Challenge, Company, PermissionGroup, SessionToken, User
from tenant_connectors.sandbox.passwords import burn_time, verify_password
from tenant_connectors.sandbox.serialize import company_ref
from tenant_connectors.sandbox.totp import totp_verify

MAX_FAILED_ATTEMPTS = 9
CHALLENGE_TTL = timedelta(minutes=5)


def sha256(value: str) -> str:
    """Hex SHA-256 of a token or challenge id (only hashes are stored)."""
    return hashlib.sha256(value.encode()).hexdigest()


def _refused(code: str = "invalid_credentials", message: str = "invalid user name or password") -> ApiError:
    return ApiError(401, code, message)


@dataclass(slots=True)
class ClientDetails:
    """Platform and OS of the caller, from the login body's ``client`` or the User-Agent."""

    platform: str | None = None
    os: str | None = None
    #: True when the login body named them (they win over what the first step recorded)
    explicit: bool = False


@dataclass(slots=True)
class SessionView:
    """An open session resolved from a bearer token."""

    token: SessionToken
    raw_token: str
    company: Company
    user: User
    billing_company: Company | None
    acting_for: User | None
    permissions: frozenset[str]

    def fill(self, draft: AuditDraft) -> None:
        """Put both identities of this session on an audit draft."""
        draft.set_user(self.user, self.billing_company)
        if self.acting_for is not None:
            draft.set_acting_for(self.acting_for)
        draft.platform = self.token.platform or draft.platform
        draft.os = self.token.os or draft.os

    @property
    def changed_by(self) -> str:
        """Who, as a status history names it."""
        if self.acting_for is not None:
            return f"{self.acting_for.user_id} via {self.user.user_id}"
        return self.user.user_id

    def as_json(self) -> dict[str, Any]:
        """``TenantSession``."""
        acting_for = None
        if self.acting_for is not None and self.billing_company is not None:
            acting_for = identity_json(self.acting_for, self.billing_company)
        return {
            "token": self.raw_token,
            "expires_at": self.token.expires_at.isoformat(),
            "billing_user": identity_json(self.user, self.company),
            "acting_for": acting_for,
            "permissions": sorted(self.permissions),
            "seat": {"user_type": self.user.user_type, "charged": self.user.user_type == UserType.STANDARD},
            "tenant": company_ref(self.company),
        }


def identity_json(user: User, company: Company) -> dict[str, Any]:
    """``Identity``."""
    return {
        "user_id": user.user_id,
        "display_name": user.display_name,
        "user_type": user.user_type,
        "company": company_ref(company),
    }


def _permissions(db: Session, user: User) -> frozenset[str]:
    if user.permission_group_id is None:
        return frozenset()
    group = db.get(PermissionGroup, user.permission_group_id)
    return group.permission_set if group else frozenset()


def _check_password(db: Session, user: User | None, password: str) -> User:
    """The user if ``password`` is right and the account open; counts failures, commits them."""
    if user is None:
        burn_time(password)
        raise _refused()
    ok = verify_password(user.password_hash, password)
    if user.locked:
        raise _refused("locked", "the account is locked") if ok else _refused()
    if not ok:
        _count_failure(db, user)
        raise _refused()
    return user


def _count_failure(db: Session, user: User) -> None:
    user.failed_attempts += 1
    if user.failed_attempts >= MAX_FAILED_ATTEMPTS:
        user.locked = True
    # committed now: the caller rolls back on the error reply, the counter must survive it
    db.commit()


def _open_session(
    db: Session,
    company: Company,
    user: User,
    acting_for: User | None,
    billing_company: Company | None,
    details: ClientDetails,
) -> SessionView:
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    token = SessionToken(
        token_hash=sha256(raw),
        company_id=company.id,
        user_id=user.id,
        acting_for_id=acting_for.id if acting_for else None,
        created_at=now,
        expires_at=now + timedelta(seconds=company.token_ttl_seconds),
        platform=details.platform,
        os=details.os,
    )
    db.add(token)
    db.flush()
    return SessionView(token, raw, company, user, billing_company, acting_for, _permissions(db, user))


def begin_login(
    db: Session, company: Company, username: str, password: str, details: ClientDetails, draft: AuditDraft
) -> dict[str, Any]:
    """``POST /auth/login``: a challenge for Billing users, a session for everyone else."""
    draft.user_id = username
    user = db.scalar(select(User).where(User.company_id == company.id, User.user_id == username))
    billing_company = db.get(Company, user.billing_company_id) if user and user.billing_company_id else None
    if user is not None:
        draft.set_user(user, billing_company)
    user = _check_password(db, user, password)
    user.failed_attempts = 0
    if user.user_type == UserType.BILLING:
        if billing_company is None:
            raise _refused(message="the Billing account names no billing company")
        challenge_id = secrets.token_urlsafe(24)
        expires_at = clock.now() + CHALLENGE_TTL
        db.add(
            Challenge(
                id_hash=sha256(challenge_id),
                company_id=company.id,
                billing_user_id=user.id,
                billing_company_id=billing_company.id,
                expires_at=expires_at,
                platform=details.platform,
                os=details.os,
            )
        )
        draft.detail = "secondary_required" + (f"; {draft.detail}" if draft.detail else "")
        return {
            "status": "secondary_required",
            "challenge": {
                "challenge_id": challenge_id,
                "billing_company": company_ref(billing_company),
                "billing_user": identity_json(user, company),
                "expires_at": expires_at.isoformat(),
            },
        }
    session = _open_session(db, company, user, None, billing_company, details)
    return {"status": "authenticated", "session": session.as_json()}


def _totp_ok(secret: str, code: str) -> bool:
    times: list[datetime] = [clock.now()]
    if clock.offset_seconds():
        times.append(clock.now() - timedelta(seconds=clock.offset_seconds()))
    return any(totp_verify(secret, code, t) for t in times)


def complete_secondary(
    db: Session,
    company: Company,
    challenge_id: str,
    username: str,
    password: str,
    totp_code: str | None,
    details: ClientDetails,
    draft: AuditDraft,
) -> dict[str, Any]:
    """``POST /auth/secondary``: verify a Restricted user of the challenge's billing company."""
    challenge = db.scalar(
        select(Challenge).where(Challenge.company_id == company.id, Challenge.id_hash == sha256(challenge_id))
    )
    if challenge is None or challenge.used or challenge.expires_at <= clock.now():
        raise _refused("challenge_expired", "the secondary challenge is unknown, used or expired")
    billing_user = db.get(User, challenge.billing_user_id)
    billing_company = db.get(Company, challenge.billing_company_id)
    assert billing_user is not None and billing_company is not None
    draft.set_user(billing_user, billing_company)
    draft.on_behalf_of_user_id = username
    draft.proxy = True
    restricted = db.scalar(select(User).where(User.company_id == billing_company.id, User.user_id == username))
    if restricted is not None:
        draft.set_acting_for(restricted)
    restricted = _check_password(db, restricted, password)
    if restricted.user_type != UserType.RESTRICTED:
        raise _refused(message="the account is not a Restricted user of the billing company")
    if restricted.totp_secret:
        if not totp_code:
            raise _refused("totp_required", "a two-factor code is required")
        if not _totp_ok(restricted.totp_secret, totp_code):
            _count_failure(db, restricted)
            raise _refused("totp_invalid", "the two-factor code is not valid")
    restricted.failed_attempts = 0
    challenge.used = True
    if details.explicit:
        platform, os_name = details.platform or challenge.platform, details.os or challenge.os
    else:
        platform, os_name = challenge.platform or details.platform, challenge.os or details.os
    draft.platform, draft.os = platform, os_name
    session = _open_session(db, company, billing_user, restricted, billing_company, ClientDetails(platform, os_name))
    return {"status": "authenticated", "session": session.as_json()}


def resolve_session(db: Session, company: Company, authorization: str | None) -> SessionView:
    """The open session named by an ``Authorization: Bearer`` header, or 401."""
    scheme, _, raw = (authorization or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise _refused("session_expired", "a bearer token is required")
    digest = sha256(raw)
    token = db.scalar(
        select(SessionToken).where(SessionToken.company_id == company.id, SessionToken.token_hash == digest)
    )
    now = clock.now()
    if token is None:
        challenge = db.scalar(select(Challenge).where(Challenge.company_id == company.id, Challenge.id_hash == digest))
        if challenge is not None and not challenge.used and challenge.expires_at > now:
            raise _refused("secondary_required", "finish the two-part login with POST /auth/secondary")
        raise _refused("session_expired", "the session is unknown, expired or logged out")
    if token.revoked or token.expires_at <= now:
        raise _refused("session_expired", "the session is unknown, expired or logged out")
    user = db.get(User, token.user_id)
    assert user is not None
    acting_for = db.get(User, token.acting_for_id) if token.acting_for_id else None
    billing_company = db.get(Company, user.billing_company_id) if user.billing_company_id else None
    return SessionView(token, raw, company, user, billing_company, acting_for, _permissions(db, user))
