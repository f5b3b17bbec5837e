"""Server-side login sessions: the cookie carries only a random id, the database decides.

Every request looks its session record up (by the SHA-256 of the id, so a database dump holds no
usable cookie): a revoked, idle or too old record logs the browser out. Logout, password change and
disabling an account revoke records, which ends those sessions on every hub process at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, flash, g, has_request_context, request, session
from sqlalchemy import select, update

from hub import clock
from hub.accounts.models import User, UserSession
from hub.audit.service import record as audit_record
from hub.extensions import db

#: the only key of the Flask session cookie that authenticates anything
SESSION_KEY = "sid"
#: last_seen_at is written at most this often, to spare a write per request
TOUCH_INTERVAL = timedelta(seconds=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> UserSession:
    """Open a new server-side session for ``user`` and put its fresh id in the (cleared) cookie.

    The caller commits, together with the ``auth.login`` audit row.
    """
    session.clear()  # new identity: nothing from the anonymous session carries over
    token = secrets.token_urlsafe(32)
    now = clock.now()
    record = UserSession(
        user_id=user.id,
        id_hash=_hash(token),
        created_at=now,
        last_seen_at=now,
        address=request.remote_addr if has_request_context() else None,
        user_agent=(request.user_agent.string or "")[:300] if has_request_context() else None,
    )
    db.session.add(record)
    db.session.flush()
    session[SESSION_KEY] = token
    g.user_session = record
    return record


def current_session() -> UserSession | None:
    """The session record of this request (None when anonymous)."""
    return g.get("user_session")


def _expiry_reason(record: UserSession) -> str | None:
    now = clock.now()
    cfg = current_app.config
    if now - record.created_at > timedelta(seconds=cfg["SESSION_ABSOLUTE_TIMEOUT"]):
        return "absolute_timeout"
    if now - record.last_seen_at > timedelta(seconds=cfg["SESSION_IDLE_TIMEOUT"]):
        return "idle_timeout"
    return None


def load_user_from_cookie() -> User | None:
    """Flask-Login's request loader: the user of a live session, else None (and the cookie cleared)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    record = db.session.scalars(select(UserSession).where(UserSession.id_hash == _hash(token))).first()
    if record is None or record.revoked_at is not None:
        session.clear()
        return None
    user = record.user
    if not user.is_active:
        _revoke(record, "account_disabled")
        db.session.commit()
        session.clear()
        return None
    reason = _expiry_reason(record)
    if reason is not None:
        _revoke(record, reason)
        audit_record("auth.session_expired", actor=user, target_type="user", target_id=user.id,
                     detail={"reason": reason})
        db.session.commit()
        session.clear()
        flash("Your session has expired; please sign in again.", "info")
        return None
    now = clock.now()
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    g.user_session = record
    return user


def _revoke(record: UserSession, reason: str) -> None:
    record.revoked_at = clock.now()
    record.revoked_reason = reason


def end_current_session(reason: str = "logout") -> None:
    """Revoke this request's session record and empty the cookie; the caller commits."""
    record = current_session()
    if record is not None and record.revoked_at is None:
        _revoke(record, reason)
    g.pop("user_session", None)
    session.clear()


def revoke_user_sessions(user: User, reason: str, *, keep: UserSession | None = None) -> int:
    """End every live session of ``user`` (except ``keep``); returns how many. The caller commits."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason[:50])
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return db.session.execute(stmt).rowcount or 0
