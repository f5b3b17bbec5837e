"""TOTP two-factor (RFC 6238, 30 s steps): enrolment with a server-rendered QR code, verification.

The secret is sealed by the vault, bound to the user (``users.totp:<id>``); a code is accepted at
most once, because the last accepted time step is stored and later codes must come after it.
"""

from __future__ import annotations

import hmac

import pyotp
import segno
from markupsafe import Markup

from hub import clock, vault
from hub.accounts.models import User
from hub.audit.service import record as audit_record

STEP_SECONDS = 30
#: accept the previous and the next step too (clock drift between phone and server)
VALID_WINDOW = 1
ISSUER = "Billing Hub"


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


def reset_totp(user: User, *, actor: User | None) -> None:
    """Turn two-factor off (lost device); the user enrols again. Audits ``auth.totp_reset``; caller commits."""
    user.totp_secret_sealed = None
    user.totp_enabled = False
    user.totp_last_step = None
    audit_record("auth.totp_reset", actor=actor, hub_id=user.hub_id, target_type="user", target_id=user.id)
