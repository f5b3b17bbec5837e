"""Account changes: create a user, change a password, disable / enable, unlock.

Each function audits in the current transaction and leaves the commit to its caller, so the change
and its audit row land together or not at all.
"""

from __future__ import annotations

from flask import current_app

from hub import clock
from hub.accounts.models import Hub, Role, User, UserSession
from hub.accounts.passwords import hash_password, password_problems, verify_password
from hub.audit.service import record as audit_record
from hub.extensions import db


class AccountError(ValueError):
    """A refused account change; ``problems`` maps a field name to what is wrong with it."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in problems.items()))
        self.problems = problems


def policy_problems(password: str) -> list[str]:
    """The password policy of this deployment applied to ``password``."""
    cfg = current_app.config
    return password_problems(password, min_length=cfg["PASSWORD_MIN_LENGTH"], max_length=cfg["PASSWORD_MAX_LENGTH"])


def create_user(
    *,
    email: str,
    display_name: str,
    role: Role | str,
    password: str,
    actor: User | None,
    hub: Hub | None = None,
    tenant_id: int | None = None,
    restricted_user_id: str | None = None,
    must_change_password: bool = False,
) -> User:
    """A new hub account (support accounts have no hub; every other role needs one)."""
    role = Role(role)
    email = (email or "").strip().lower()
    problems: dict[str, list[str]] = {}
    if "@" not in email or len(email) > 254:
        problems["email"] = ["Enter an email address."]
    elif db.session.query(User.id).filter_by(email=email).first() is not None:
        problems["email"] = ["An account with this email already exists."]
    if not (display_name or "").strip():
        problems["display_name"] = ["Enter a name."]
    if (role is Role.SUPPORT) != (hub is None):
        problems["hub"] = ["Support accounts belong to no hub; every other account belongs to one."]
    if role is Role.TENANT_ADMIN and tenant_id is None:
        problems["tenant"] = ["A tenant admin reviews exactly one tenant."]
    if pw := policy_problems(password):
        problems["password"] = pw
    if problems:
        raise AccountError(problems)
    user = User(
        hub_id=None if hub is None else hub.id,
        email=email,
        display_name=display_name.strip(),
        role=role,
        tenant_id=tenant_id if role is Role.TENANT_ADMIN else None,
        restricted_user_id=restricted_user_id if role is Role.AGENT else None,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        password_changed_at=clock.now(),
        failed_logins=0,
        lockouts=0,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    audit_record("user.created", actor=actor, hub_id=user.hub_id, target_type="user", target_id=user.id,
                 detail={"role": role.value})
    return user


def check_current_password(user: User, password: str) -> bool:
    """Whether ``password`` is the account's current one (for changing it)."""
    return verify_password(user.password_hash, password or "")


def change_password(user: User, new_password: str, *, actor: User | None,
                    keep: UserSession | None = None) -> None:
    """Set a new password (policy-checked) and end every session of the account but ``keep``."""
    from hub.auth.sessions import revoke_user_sessions

    if problems := policy_problems(new_password):
        raise AccountError({"new_password": problems})
    user.password_hash = hash_password(new_password)
    user.password_changed_at = clock.now()
    user.must_change_password = False
    ended = revoke_user_sessions(user, "password_changed", keep=keep)
    audit_record("auth.password_changed", actor=actor, hub_id=user.hub_id, target_type="user",
                 target_id=user.id, detail={"sessions_ended": ended, "by_self": actor is user})


def disable_user(user: User, *, actor: User | None) -> None:
    """Disable the account and end all its sessions at once."""
    from hub.auth.sessions import revoke_user_sessions

    user.active = False
    ended = revoke_user_sessions(user, "account_disabled")
    audit_record("user.disabled", actor=actor, hub_id=user.hub_id, target_type="user", target_id=user.id,
                 detail={"sessions_ended": ended})


def enable_user(user: User, *, actor: User | None) -> None:
    """Allow the account to log in again."""
    user.active = True
    audit_record("user.updated", actor=actor, hub_id=user.hub_id, target_type="user", target_id=user.id,
                 detail={"fields": ["active"]})


def unlock_user(user: User, *, actor: User | None) -> None:
    """End a lockout now (an administrator's decision) and reset the growing wait."""
    user.locked_until = None
    user.failed_logins = 0
    user.lockouts = 0
    audit_record("user.unlocked", actor=actor, hub_id=user.hub_id, target_type="user", target_id=user.id)
