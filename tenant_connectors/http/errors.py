"""Turn a tenant's failed reply into the contract's typed error.

The error envelope's ``code`` decides the class; without a readable envelope the HTTP status
class does (5xx and 429 are server trouble, anything else unexpected is a protocol error).  Text
that the tenant supplies (``message``, field messages) is shortened, stripped of control
characters and scrubbed of every secret sent in the same call, so that a tenant echoing a
password cannot plant it in our exception text or logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tenant_connectors.base import (
    AuthenticationFailed,
    NotFound,
    Permission,
    PermissionDenied,
    SecondaryAuthenticationRequired,
    SessionExpired,
    TenantError,
    TenantProtocolError,
    TenantServerError,
    TotpRequired,
    ValidationFailed,
)
from tenant_connectors.http.fields import ReplyShapeError, decode_json
from tenant_connectors.http.parse import ErrorEnvelope, error_envelope

_MAX_TENANT_TEXT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_AUTH_CODES = frozenset({"invalid_credentials", "locked", "challenge_expired"})
_TOTP_CODES = frozenset({"totp_required", "totp_invalid"})


class Scrubber:
    """Removes the secrets of one call from text that the tenant sent back."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # longest first so that a secret containing another is removed whole
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """``text`` cleaned: secrets masked, control characters folded, length capped."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _CONTROL.sub(" ", text).strip()
        if len(text) > _MAX_TENANT_TEXT:
            text = text[:_MAX_TENANT_TEXT] + "..."
        # a secret may straddle the cut; mask again after shortening
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _envelope(body: bytes) -> ErrorEnvelope | None:
    try:
        data = decode_json(body)
    except ReplyShapeError:
        return None
    return error_envelope(data)


def _named_permission(envelope: ErrorEnvelope) -> str | None:
    """The permission the envelope names, in its own field or inside the message."""
    if envelope.permission:
        return envelope.permission
    for permission in Permission:
        if permission.value in envelope.message:
            return permission.value
    return None


def error_for(status: int, body: bytes, *, call: str, tenant: str, scrub: Scrubber) -> TenantError:
    """The typed error for a non-2xx, non-3xx reply of ``call`` ("GET /clients")."""
    envelope = _envelope(body)
    if status == 429 or status >= 500:
        detail = f" ({scrub(envelope.code)})" if envelope else ""
        return TenantServerError(f"{call}: tenant answered {status}{detail}", status_code=status, tenant=tenant)
    if envelope is None:
        return TenantProtocolError(f"{call}: unexpected HTTP {status} without an error envelope", tenant=tenant)
    code = envelope.code
    said = scrub(envelope.message)
    text = f"{call}: {said}" if said else f"{call}: {code}"
    if code in _AUTH_CODES:
        return AuthenticationFailed(text, reason=code, tenant=tenant)
    if code in _TOTP_CODES:
        return TotpRequired(text, reason=code, tenant=tenant)
    if code == "session_expired":
        return SessionExpired(text, reason=code, tenant=tenant)
    if code == "secondary_required":
        if envelope.challenge is not None:
            return SecondaryAuthenticationRequired(envelope.challenge, tenant=tenant)
        # The token belongs to a half-finished two-part login and the reply names no challenge
        # to continue with: the only way forward is a new login, which is what SessionExpired
        # tells the hub; ``reason`` keeps the tenant's code for diagnosis.
        return SessionExpired(text, reason=code, tenant=tenant)
    if code == "permission_denied":
        return PermissionDenied(text, permission=_named_permission(envelope), tenant=tenant)
    if code == "not_found":
        return NotFound(text, tenant=tenant)
    if code in ("validation_failed", "bad_request"):
        fields = {scrub(name): tuple(scrub(m) for m in msgs) for name, msgs in envelope.fields.items()}
        return ValidationFailed(text, field_errors=fields, tenant=tenant)
    return TenantProtocolError(f"{call}: unexpected HTTP {status} ({scrub(code)})", tenant=tenant)
