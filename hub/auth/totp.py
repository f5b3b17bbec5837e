"""TOTP two-factor (RFC 6238, 30 s steps): enrolment with a server-rendered QR code, verification.

The secret is sealed by the vault, bound to the user (``users.totp:<id>``); a code is accepted at
most once, because the last accepted time step is stored and later codes must come after it.

An administrator's reset (lost device) turns two-factor off, ends the account's sessions and is
audited as ``auth.totp_reset``; until the account confirms a new enrolment (``auth.totp_enabled``),
its next sign-in leads to the enrolment page, whatever the role.
"""

from __future__ import annotations

import hmac

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import select

from hub import clock, vault
from hub.accounts.models import HUB_STAFF_ROLES, Role, User
from hub.audit.models import AuditEvent
from hub.audit.service import record as audit_record
from hub.auth.sessions import revoke_user_sessions
from hub.extensions import db

STEP_SECONDS = 30
#: accept the previous and the next step too (clock drift between phone and server)
VALID_WINDOW = 1
ISSUER = "Billing Hub"
_ENROLMENT_EVENTS = ("auth.totp_reset", "auth.totp_enabled")
#: the (signed) session notes here, at sign-in, that an administrator's reset awaits a new enrolment
REENROL_SESSION_KEY = "totp_reenrol"


class ResetRefused(PermissionError):
    """The actor may not reset this account's two-factor; the message says why (shown to the actor)."""


def _context(user: User) -> str:
    return f"users.totp:{user.id}"


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG (rendered here: no external service, no script)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"))  # noqa: S704


def _current_step() -> int:
    return int(clock.now().timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, *, after: int | None = None) -> int | None:
    """The time step at which ``code`` is valid for ``secret`` (within the window), else None.

    :param after: only steps later than this count (replay protection)
    """
    code = (code or "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now_step = _current_step()
    found = None
    # check every step of the window (no early exit) so the time taken does not depend on the match
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (after is None or step > after):
            found = step
    return found


def set_pending_secret(user: User, secret: str) -> None:
    """Store a not-yet-confirmed secret (sealed); two-factor stays off until :func:`confirm_enrolment`."""
    user.totp_secret_sealed = vault.seal(secret, context=_context(user))
    user.totp_enabled = False
    user.totp_last_step = None


def pending_secret(user: User) -> str | None:
    """The unconfirmed secret, for the enrolment page only (None once enabled or never started)."""
    if user.totp_enabled or not user.totp_secret_sealed:
        return None
    return vault.unseal(user.totp_secret_sealed, context=_context(user))


def enable_totp(user: User, secret: str) -> None:
    """Turn two-factor on with ``secret`` (no audit: tests and provisioning; the page uses confirm)."""
    set_pending_secret(user, secret)
    user.totp_enabled = True


def confirm_enrolment(user: User, code: str) -> bool:
    """Enable the pending secret when ``code`` matches it; audits ``auth.totp_enabled``. Caller commits."""
    secret = pending_secret(user)
    if secret is None:
        return False
    step = matching_step(secret, code)
    if step is None:
        return False
    user.totp_enabled = True
    user.totp_last_step = step
    audit_record("auth.totp_enabled", actor=user, target_type="user", target_id=user.id)
    return True


def verify_totp(user: User, code: str) -> bool:
    """Whether ``code`` is a fresh valid code for ``user``; records its step so it never works again."""
    if not user.totp_enabled or not user.totp_secret_sealed:
        return False
    secret = vault.unseal(user.totp_secret_sealed, context=_context(user))
    step = matching_step(secret, code, after=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def reset_refusal(actor: User, user: User) -> str | None:
    """Why ``actor`` may not reset ``user``'s two-factor, or None when they may.

    Hub admins reset the staff of their own hub, support resets hub admins of any hub; nobody resets
    their own (a signed-in session proves nothing about the lost device: another administrator does it).
    """
    if actor.id == user.id:
        return "You cannot reset your own two-factor authentication; ask another administrator."
    role = Role(actor.role)
    allowed = (
        (role is Role.HUB_ADMIN and actor.hub_id is not None and user.hub_id == actor.hub_id
         and Role(user.role) in HUB_STAFF_ROLES)
        or (role is Role.SUPPORT and Role(user.role) is Role.HUB_ADMIN)
    )
    if not allowed:
        return "You may not reset the two-factor authentication of this account."
    if not user.totp_enabled:
        return f"{user.email} has no two-factor authentication to reset."
    return None


def reset_totp(user: User, *, actor: User | None) -> int:
    """Turn two-factor off (lost device) and end the account's sessions; it must enrol again.

    ``actor=None`` is the system (command line, tests); a signed-in actor is checked with
    :func:`reset_refusal` (:class:`ResetRefused`). Audits ``auth.totp_reset``; returns how many
    sessions ended. The caller commits.
    """
    if actor is not None and (reason := reset_refusal(actor, user)) is not None:
        raise ResetRefused(reason)
    user.totp_secret_sealed = None
    user.totp_enabled = False
    user.totp_last_step = None
    # whoever holds the lost device may hold a session too
    ended = revoke_user_sessions(user, "totp_reset")
    audit_record("auth.totp_reset", actor=actor, hub_id=user.hub_id, target_type="user", target_id=user.id,
                 detail={"sessions_ended": ended})
    return ended


def reenrolment_due(user: User) -> bool:
    """Whether an administrator reset ``user``'s two-factor and no new enrolment was confirmed since.

    Read from the audit log (the reset and the confirmation are both recorded there): the account
    table has no column for it. Asked once per sign-in, not per request.
    """
    if user.totp_enabled:
        return False
    stmt = (select(AuditEvent.action)
            .where(AuditEvent.action.in_(_ENROLMENT_EVENTS), AuditEvent.target_type == "user",
                   AuditEvent.target_id == str(user.id))
            .order_by(AuditEvent.id.desc()).limit(1))
    return db.session.scalars(stmt).first() == "auth.totp_reset"
