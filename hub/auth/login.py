"""Password check with lockout, per-address throttling and no account enumeration.

Every refusal looks the same to the caller (one :class:`LoginOutcome` kind, one page, one status):
unknown address, wrong password, locked account, disabled account and throttled address all do the
same work (an argon2 verification) so neither message nor timing tells them apart. Only the audit
log, which the attacker cannot read, records why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, func, select

from hub import clock
from hub.accounts.models import User
from hub.accounts.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from hub.audit.service import record as audit_record
from hub.auth.models import LoginAttempt
from hub.extensions import db


class Outcome(enum.Enum):
    """What the password step decided."""

    REFUSED = "refused"  #: any failure; the reason is only in the audit log
    NEEDS_TOTP = "needs_totp"  #: password right, second factor still due
    SUCCESS = "success"  #: fully authenticated; the caller opens the session


@dataclass(frozen=True)
class LoginOutcome:
    """The result of :func:`check_password` (the user only when not refused)."""

    outcome: Outcome
    user: User | None = None


def normalise_email(email: str) -> str:
    """Login names are stored lower-case and trimmed."""
    return (email or "").strip().lower()[:254]


def _address() -> str:
    return (request.remote_addr or "unknown")[:64]


def address_throttled(address: str) -> bool:
    """Whether ``address`` made too many failed logins within the window."""
    cfg = current_app.config
    since = clock.now() - timedelta(seconds=cfg["THROTTLE_WINDOW_SECONDS"])
    count = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.address == address, LoginAttempt.attempted_at > since
        )
    )
    return (count or 0) >= cfg["THROTTLE_PER_ADDRESS"]


def _note_failure(address: str) -> None:
    now = clock.now()
    # keep the table small: rows older than the window never count again
    window = timedelta(seconds=current_app.config["THROTTLE_WINDOW_SECONDS"])
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - window))
    db.session.add(LoginAttempt(address=address, attempted_at=now))


def is_locked(user: User) -> bool:
    """Whether the account is inside a lockout wait."""
    return user.locked_until is not None and user.locked_until > clock.now()


def lockout_wait(lockouts: int) -> timedelta:
    """The wait after the ``lockouts``-th lockout: doubling from the base, capped."""
    cfg = current_app.config
    seconds = cfg["LOCKOUT_BASE_SECONDS"] * 2 ** max(lockouts - 1, 0)
    return timedelta(seconds=min(seconds, cfg["LOCKOUT_MAX_SECONDS"]))


def refuse(user: User | None, typed_email: str, reason: str, *, counts: bool = True) -> LoginOutcome:
    """Record a failed attempt (audit, throttle, and the account's failure count); commits.

    :param counts: whether the failure counts toward the account's lockout (not while locked)
    """
    address = _address()
    _note_failure(address)
    hub_id = user.hub_id if user is not None else None
    target_id = user.id if user is not None else None
    audit_record("auth.login_failed", actor_label=typed_email, hub_id=hub_id, target_type="user",
                 target_id=target_id, outcome="failure", detail={"reason": reason})
    if user is not None and counts:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= current_app.config["LOCKOUT_THRESHOLD"]:
            user.lockouts = (user.lockouts or 0) + 1
            wait = lockout_wait(user.lockouts)
            user.locked_until = clock.now() + wait
            user.failed_logins = 0
            audit_record("auth.lockout", actor_label=typed_email, hub_id=user.hub_id, target_type="user",
                         target_id=user.id, outcome="failure",
                         detail={"lockouts": user.lockouts, "wait_seconds": int(wait.total_seconds())})
    db.session.commit()
    return LoginOutcome(Outcome.REFUSED)


def check_password(email: str, password: str) -> LoginOutcome:
    """The first login step; commits whatever it records."""
    typed = normalise_email(email)
    if address_throttled(_address()):
        verify_password(dummy_hash(), password)  # same work as any other refusal
        return refuse(None, typed, "address_throttled")
    user = db.session.scalars(select(User).where(User.email == typed)).first()
    if user is None:
        verify_password(dummy_hash(), password)
        return refuse(None, typed, "unknown_account")
    password_ok = verify_password(user.password_hash, password)
    if is_locked(user):
        return refuse(user, typed, "locked", counts=False)
    if not password_ok:
        return refuse(user, typed, "wrong_password")
    if not user.is_active:
        return refuse(user, typed, "account_disabled", counts=False)
    if needs_rehash(user.password_hash):
        # parameters rose since this hash was made; only now do we hold the plaintext to redo it
        user.password_hash = hash_password(password)
    if user.totp_enabled:
        db.session.commit()
        return LoginOutcome(Outcome.NEEDS_TOTP, user)
    return LoginOutcome(Outcome.SUCCESS, user)


def complete_login(user: User) -> None:
    """Reset the failure counters and audit the login; the caller has opened the session and commits."""
    user.failed_logins = 0
    user.lockouts = 0
    user.locked_until = None
    user.last_login_at = clock.now()
    audit_record("auth.login", actor=user, target_type="user", target_id=user.id)
