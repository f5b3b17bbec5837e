"""The vault's key ring: parsed from ``VAULT_KEYS`` ("kid:base64key,kid2:base64key"), first = current.

Only the current key seals; every key in the ring unseals, so a deployment rotates by putting a new
key first, running ``flask hub rotate-keys``, and removing the old key once nothing uses it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

#: key ids travel inside the sealed string, whose fields are separated by dots
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
KEY_BYTES = 32  # AES-256


class VaultConfigError(ValueError):
    """``VAULT_KEYS`` is malformed; the message names the problem, never key material."""


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Named AES-256 keys; ``current_id`` seals, every key unseals."""

    current_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def key(self, key_id: str) -> bytes | None:
        """The key called ``key_id``, or None when the ring does not hold it."""
        return self.keys.get(key_id)

    @property
    def current_key(self) -> bytes:
        """The key new seals use."""
        return self.keys[self.current_id]

    def __repr__(self) -> str:  # key ids only, never the keys
        return f"KeyRing(current={self.current_id!r}, ids={list(self.keys)!r})"


def _decode_key(key_id: str, encoded: str) -> bytes:
    text = encoded.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        # standard and URL-safe alphabets are both accepted (``openssl rand -base64 32`` or Python's
        # ``secrets.token_urlsafe``-style keys)
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise VaultConfigError(f"VAULT_KEYS: key {key_id!r} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise VaultConfigError(f"VAULT_KEYS: key {key_id!r} must decode to {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def parse_key_ring(spec: str | None) -> KeyRing:
    """Parse ``"kid:base64key,kid2:base64key"``; raises :class:`VaultConfigError` when malformed."""
    entries = [part.strip() for part in (spec or "").split(",") if part.strip()]
    if not entries:
        raise VaultConfigError("VAULT_KEYS is empty: give at least one 'kid:base64key'")
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not encoded.strip():
            raise VaultConfigError(f"VAULT_KEYS: entry {position} is not of the form 'kid:base64key'")
        if not KEY_ID_PATTERN.match(key_id):
            raise VaultConfigError(f"VAULT_KEYS: entry {position} has an invalid key id (use A-Z a-z 0-9 _ -)")
        if key_id in keys:
            raise VaultConfigError(f"VAULT_KEYS: key id {key_id!r} appears twice")
        keys[key_id] = _decode_key(key_id, encoded)
    return KeyRing(current_id=next(iter(keys)), keys=keys)
