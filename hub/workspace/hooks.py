"""End tenant sessions when the hub decides the agent may no longer use them.

* an admin revokes access (:data:`hub.tenants.service.on_access_revoked`): the agent's sessions in
  that tenant end unless another grant still gives them the same level;
* an agent account is disabled (seen on the ORM session before commit): all its sessions end;
* the agent logs out of the hub (Flask-Login's ``user_logged_out``): the sessions bound to a hub
  login session that is no longer live end.

Rows are ended and audited in the transaction that causes it; the tenant-side logouts run after
that transaction commits (and are dropped if it rolls back), so a slow tenant never holds a lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask_login import current_user, user_logged_out
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from hub.accounts.models import Role, User, UserSession
from hub.audit.service import record as audit
from hub.extensions import db
from hub.tenants.connectors import connector_for
from hub.tenants.service import RevokedAccess, agent_levels, on_access_revoked
from hub.workspace import records
from hub.workspace.models import TenantSessionRecord
from tenant_connectors.base import TenantConnector, TenantError, TenantSession

_DISABLED = "workspace.disabled_agents"
_LOGOUTS = "workspace.tenant_logouts"
_installed = False


def _actor() -> Any:
    try:
        return current_user._get_current_object() if current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # no request or no login manager: a CLI or worker
        return None


def end_records(rows: Iterable[TenantSessionRecord], reason: str) -> int:
    """End ``rows`` now, audit each as ``tenant.session_revoked`` and queue the tenant logouts."""
    count = 0
    actor = _actor()
    for row in rows:
        session = records.contract_session(row)
        if session is not None:
            db.session.info.setdefault(_LOGOUTS, []).append((connector_for(row.tenant), session))
        records.end(row, reason)
        audit("tenant.session_revoked", actor=actor, hub_id=row.hub_id, tenant_id=row.tenant_id,
              target_type="user", target_id=row.user_id,
              detail={"session_record_id": row.id, "reason": reason})
        count += 1
    return count


def end_unentitled_sessions(user_id: int, tenant_id: int, reason: str = "access_revoked") -> int:
    """End the agent's open sessions in ``tenant_id`` that their current grants no longer cover.

    A session is covered only while the agent still holds exactly the permission level whose
    Billing credential opened it: losing the tenant (a grant revoked, removal from a group) or
    moving to another level both end it, so nobody keeps working with a key they no longer hold.
    """
    rows = records.live_records([user_id], tenant_id)
    if not rows:
        return 0
    user = db.session.get(User, user_id)
    level = agent_levels(user, [tenant_id]).get(tenant_id) if user is not None else None
    stale = [row for row in rows
             if level is None or row.credential_id is None or _credential_level(row) != level.id]
    return end_records(stale, reason)


def on_revoked(revoked: RevokedAccess) -> None:
    """Subscriber of ``on_access_revoked``: end sessions the agents' remaining grants do not cover."""
    for user_id in revoked.user_ids:
        end_unentitled_sessions(user_id, revoked.tenant_id)


def _credential_level(row: TenantSessionRecord) -> int | None:
    from hub.tenants.models import BillingCredential

    credential = db.session.get(BillingCredential, row.credential_id)
    return None if credential is None else credential.permission_level_id


def end_orphaned(user: User, reason: str = "hub_logout") -> int:
    """End the agent's sessions whose hub login session is over (logout, expiry, revocation)."""
    live = list(db.session.scalars(select(UserSession.id).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None))))
    rows = list(db.session.scalars(select(TenantSessionRecord).where(records.orphaned(user.id, live))))
    return end_records(rows, reason)


def _on_logged_out(sender: Flask, user: Any = None, **_: Any) -> None:
    if isinstance(user, User) and user.role == Role.AGENT:
        if end_orphaned(user):
            db.session.commit()


def _disabled_agents(session: Session) -> set[int]:
    found = set()
    with session.no_autoflush:  # reading an expired attribute must not flush the change away
        for obj in list(session.dirty):
            if isinstance(obj, User):
                added = inspect(obj).attrs.active.history.added
                if added and not added[-1] and obj.role == Role.AGENT:
                    found.add(obj.id)
    return found


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    found = _disabled_agents(session)
    if found:
        session.info.setdefault(_DISABLED, set()).update(found)


def _before_commit(session: Session) -> None:
    pending = _disabled_agents(session)
    ids = session.info.pop(_DISABLED, set()) | pending
    if ids:
        end_records(records.live_records(sorted(ids)), "agent_disabled")


def _after_commit(session: Session) -> None:
    for connector, tenant_session in session.info.pop(_LOGOUTS, []):
        _logout(connector, tenant_session)


def _after_rollback(session: Session) -> None:
    session.info.pop(_LOGOUTS, None)
    session.info.pop(_DISABLED, None)


def _logout(connector: TenantConnector, session: TenantSession) -> None:
    try:
        connector.logout(session)
    except TenantError:
        pass  # best effort: the hub row is ended and the token expires at the tenant anyway


def install(app: Flask) -> None:
    """Subscribe the hooks (once per process; they look at hub rows only)."""
    global _installed
    user_logged_out.connect(_on_logged_out, app)
    if _installed:
        return
    _installed = True
    if on_revoked not in on_access_revoked:
        on_access_revoked.append(on_revoked)
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
