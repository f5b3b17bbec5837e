"""The credential vault: AES-256-GCM sealing bound to a context, under a key ring from the config.

A sealed value is the ASCII string ``v1.<kid>.<base64url(nonce | ciphertext+tag)>``: the key id
travels with it so any key of the ring can open it, and rotation can find what still uses an old key.
The caller's *context* (e.g. ``"billing_credentials.secret:17:4"``) is bound as associated data, so
a ciphertext copied to another row, column or tenant does not open there.

Every failure raises :class:`VaultError` with one generic message: no plaintext, key or ciphertext
ever reaches an exception, a log line or a traceback.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app

from hub.vault.keyring import KeyRing, VaultConfigError, parse_key_ring

__all__ = [
    "KeyRing",
    "VaultConfigError",
    "VaultError",
    "current_key_id",
    "init_vault",
    "key_id_of",
    "key_ring",
    "seal",
    "unseal",
]

VERSION = "v1"
NONCE_BYTES = 12  # 96-bit nonce, random per seal (NIST SP 800-38D)
_EXTENSION = "hub_vault"
_BODY = re.compile(r"[A-Za-z0-9_-]+")


class VaultError(Exception):
    """A value could not be sealed or unsealed; deliberately says nothing more."""

    def __init__(self, message: str = "the secret could not be read") -> None:
        super().__init__(message)


def init_vault(app: Flask) -> None:
    """Parse the app's key ring now, so a malformed ``VAULT_KEYS`` stops start-up with a clear error."""
    ring = parse_key_ring(app.config.get("VAULT_KEYS"))
    app.extensions[_EXTENSION] = (app.config.get("VAULT_KEYS"), ring)


def key_ring() -> KeyRing:
    """The current app's key ring (re-parsed if ``VAULT_KEYS`` changed since it was cached)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    spec = app.config.get("VAULT_KEYS")
    cached = app.extensions.get(_EXTENSION)
    if cached is None or cached[0] != spec:
        init_vault(app)
        cached = app.extensions[_EXTENSION]
    return cached[1]


def current_key_id() -> str:
    """The id of the key new seals use."""
    return key_ring().current_id


def _associated_data(key_id: str, context: str) -> bytes:
    # the version and key id are bound too, so neither can be edited in the stored string
    return f"{VERSION}.{key_id}.{context}".encode()


def seal(plaintext: str, *, context: str) -> str:
    """Encrypt ``plaintext`` under the current key, bound to ``context``."""
    if not isinstance(plaintext, str) or not context:
        raise VaultError("the secret could not be sealed")
    ring = key_ring()
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(ring.current_key).encrypt(
        nonce, plaintext.encode("utf-8"), _associated_data(ring.current_id, context)
    )
    body = base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii").rstrip("=")
    return f"{VERSION}.{ring.current_id}.{body}"


def _split(sealed: str) -> tuple[str, bytes, bytes]:
    """(key id, nonce, ciphertext) of a sealed string, or :class:`VaultError`."""
    if not isinstance(sealed, str):
        raise VaultError()
    parts = sealed.split(".")
    if len(parts) != 3 or parts[0] != VERSION or not parts[1]:
        raise VaultError()
    body = parts[2]
    if not _BODY.fullmatch(body):  # the decoder would silently skip stray characters
        raise VaultError()
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise VaultError() from None
    if len(raw) <= NONCE_BYTES + 16:  # nonce + a 16-byte tag at least
        raise VaultError()
    return parts[1], raw[:NONCE_BYTES], raw[NONCE_BYTES:]


def key_id_of(sealed: str) -> str:
    """The id of the key that sealed ``sealed`` (no decryption involved)."""
    return _split(sealed)[0]


def unseal(sealed: str, *, context: str) -> str:
    """Decrypt a value made by :func:`seal` with the same ``context``; :class:`VaultError` otherwise."""
    key_id, nonce, ciphertext = _split(sealed)
    key = key_ring().key(key_id)
    if key is None:
        raise VaultError()
    try:
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, _associated_data(key_id, context))
    except InvalidTag:
        # ``from None``: the cryptography exception says nothing secret, but nothing is chained at all
        raise VaultError() from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise VaultError() from None
