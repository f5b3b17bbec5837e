"""TOTP (RFC 6238, 30 s, 6 digits) through pyotp, accepting the vendor's short demo secrets.

pyotp 2.12 refuses secrets under 112 bits; the published sandbox secret ``JBSWY3DPEHPK3PXP`` is 80
bits (the classic authenticator-app example), so the sandbox decodes secrets itself.
"""

from __future__ import annotations

import base64
from datetime import datetime

import pyotp


class _SandboxTOTP(pyotp.TOTP):
    """pyotp's TOTP without the minimum key length check (sandbox data only)."""

    def byte_secret(self) -> bytes:
        """The base32-decoded secret, padding added."""
        secret = self.secret
        return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def totp_code(secret: str, for_time: datetime) -> str:
    """The code an authenticator app shows at ``for_time``."""
    return _SandboxTOTP(secret).at(for_time)


def totp_verify(secret: str, code: str, for_time: datetime) -> bool:
    """Whether ``code`` is valid at ``for_time``, one 30 s step of tolerance either side."""
    return _SandboxTOTP(secret).verify(code, for_time=for_time, valid_window=1)
