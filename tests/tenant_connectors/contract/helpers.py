"""Shared credentials of the fixed test world and helpers for driving a connector through it.

The suite talks to tenants only through the :class:`~tenant_connectors.base.TenantConnector`
contract, so it looks objects up by name (a client by last name, a payer by directory name)
instead of reaching into the sandbox's database; any adapter serving the same world passes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import struct
import time
from collections.abc import Callable
from datetime import date

from tenant_connectors.base import (
    ClientInfo,
    ClientPayer,
    SecondaryChallenge,
    TenantConnector,
    TenantSession,
    Timeouts,
)

Credentials = tuple[str, str]
#: builds a connector for a tenant slug (optionally with other timeouts or another base URL)
ConnectorFactory = Callable[..., TenantConnector]

GOOD_THERAPY = "good-therapy"
CALM_WATERS = "calm-waters"

ALICE: Credentials = ("acme.alice", "alice-Passw0rd!")
BOB: Credentials = ("acme.bob", "bob-Passw0rd!")
BOB_TOTP_SECRET = "JBSWY3DPEHPK3PXP"
CAROL: Credentials = ("acme.carol", "carol-Passw0rd!")
ZOE: Credentials = ("zenith.zoe", "zoe-Passw0rd!")

GT_FULL: Credentials = ("gt-acme-full", "gt-full-Secret1!")
GT_READONLY: Credentials = ("gt-acme-readonly", "gt-ro-Secret1!")
GT_ZENITH: Credentials = ("gt-zenith", "gt-zenith-Secret1!")
GT_STANDARD: Credentials = ("gt-acme-standard", "gt-std-Secret1!")
CW_FULL: Credentials = ("cw-acme-full", "cw-full-Secret1!")

#: small bounds for fault tests, so that a timeout costs well under a few seconds
FAST = Timeouts(connect=0.5, read=0.5, total=2.0)
#: generous slack on timing assertions: an upper bound, never a performance goal
SLACK = 1.5

HUB_CLIENT = ClientInfo(ip_address="203.0.113.7", platform="Billing Hub", os="Linux")


def begin(connector: TenantConnector, billing: Credentials) -> SecondaryChallenge:
    """First login step with Billing credentials; it must answer with a challenge."""
    step = connector.begin_login(*billing, client=HUB_CLIENT)
    assert isinstance(step, SecondaryChallenge), f"expected a secondary challenge, got {type(step).__name__}"
    return step


def open_session(
    connector: TenantConnector,
    billing: Credentials,
    restricted: Credentials,
    totp: str | None = None,
) -> TenantSession:
    """Complete the two-part login: Billing credentials, then the Restricted user (and TOTP secret)."""
    challenge = begin(connector, billing)
    code = totp_code(totp) if totp else None
    return connector.complete_secondary(challenge, *restricted, totp_code=code, client=HUB_CLIENT)


def totp_code(secret: str, at: float | None = None) -> str:
    """The RFC 6238 code (SHA-1, 6 digits, 30 s steps) for ``secret`` at ``at`` (default: now).

    Computed here rather than with pyotp, whose current releases refuse the 80-bit demo secret.
    """
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def client_id(connector: TenantConnector, session: TenantSession, last_name: str) -> str:
    """The id of the one client with ``last_name``."""
    page = connector.list_clients(session, search=last_name)
    matches = [c for c in page.items if c.last_name == last_name]
    assert len(matches) == 1, f"expected one client named {last_name}"
    return matches[0].client_id


def payer_id(connector: TenantConnector, session: TenantSession, name: str) -> str:
    """The directory id of payer ``name``."""
    matches = [p.payer_id for p in connector.list_payers(session) if p.name == name]
    assert len(matches) == 1, f"expected one directory payer named {name}"
    return matches[0]


def by_payer(payers: tuple[ClientPayer, ...], name: str) -> list[ClientPayer]:
    """The client payers whose directory payer is ``name``."""
    return [p for p in payers if p.payer_name == name]


def active_remainders(payers: tuple[ClientPayer, ...]) -> list[ClientPayer]:
    """The active Remainder payers among ``payers``."""
    return [p for p in payers if p.is_remainder]


def today() -> date:
    """Effective date for changes made by the tests."""
    return date.today()


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
