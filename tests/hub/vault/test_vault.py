"""The vault's cipher: AES-256-GCM, random nonces, context binding, key ring parsing, generic errors."""

from __future__ import annotations

import base64

import pytest
from flask import Flask

from hub import create_app, vault
from hub.vault import VaultConfigError, VaultError
from hub.vault.keyring import parse_key_ring

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()
PLAINTEXT = "s3cret-Billing-password"


def _flip_middle(sealed: str) -> str:
    i = len(sealed) - 20  # well inside the base64 body, every bit of the character counts
    return sealed[:i] + ("B" if sealed[i] != "B" else "C") + sealed[i + 1 :]


@pytest.fixture
def vault_app() -> Flask:
    app = Flask(__name__)
    app.config["VAULT_KEYS"] = f"new:{KEY_B},old:{KEY_A}"
    with app.app_context():
        yield app


def test_round_trip_under_the_current_key(vault_app: Flask) -> None:
    sealed = vault.seal(PLAINTEXT, context="billing_credentials.secret:1:1")
    assert sealed.startswith("v1.new.")
    assert sealed.isascii() and PLAINTEXT not in sealed
    assert vault.key_id_of(sealed) == "new"
    assert vault.unseal(sealed, context="billing_credentials.secret:1:1") == PLAINTEXT


def test_equal_plaintexts_give_different_ciphertexts(vault_app: Flask) -> None:
    sealed = {vault.seal(PLAINTEXT, context="c") for _ in range(20)}
    assert len(sealed) == 20
    nonces = {base64.urlsafe_b64decode(s.split(".")[2] + "==")[:12] for s in sealed}
    assert len(nonces) == 20


def test_an_older_key_of_the_ring_still_opens(vault_app: Flask) -> None:
    vault_app.config["VAULT_KEYS"] = f"old:{KEY_A}"
    sealed = vault.seal(PLAINTEXT, context="c")
    vault_app.config["VAULT_KEYS"] = f"new:{KEY_B},old:{KEY_A}"
    assert vault.key_id_of(sealed) == "old"
    assert vault.unseal(sealed, context="c") == PLAINTEXT


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda s, ctx: (s, ctx + "x"), id="other-context"),
        pytest.param(lambda s, ctx: (s, "billing_credentials.secret:2:1"), id="other-row"),
        pytest.param(lambda s, ctx: (s.replace("v1.new.", "v1.old."), ctx), id="key-id-swapped"),
        pytest.param(lambda s, ctx: (_flip_middle(s), ctx), id="ciphertext-flipped"),
        pytest.param(lambda s, ctx: (s[:20], ctx), id="truncated"),
        pytest.param(lambda s, ctx: ("v2" + s[2:], ctx), id="unknown-version"),
        pytest.param(lambda s, ctx: (s.replace("v1.new.", "v1.gone."), ctx), id="unknown-key"),
        pytest.param(lambda s, ctx: ("not sealed at all", ctx), id="garbage"),
        pytest.param(lambda s, ctx: (s + "!!", ctx), id="bad-base64"),
    ],
)
def test_anything_but_the_original_fails_with_a_generic_error(vault_app: Flask, mutate) -> None:
    context = "billing_credentials.secret:1:1"
    sealed, ctx = mutate(vault.seal(PLAINTEXT, context=context), context)
    with pytest.raises(VaultError) as info:
        vault.unseal(sealed, context=ctx)
    message = str(info.value)
    assert message == "the secret could not be read"
    assert PLAINTEXT not in message and sealed not in message and KEY_B not in message
    assert info.value.__cause__ is None


def test_key_ring_parsing() -> None:
    ring = parse_key_ring(f" k2:{KEY_B} , k1:{KEY_A.rstrip('=')}")
    assert ring.current_id == "k2"
    assert list(ring.keys) == ["k2", "k1"]
    assert ring.key("k1") == b"A" * 32
    assert KEY_A not in repr(ring) and "AAAA" not in repr(ring)


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("", "empty"),
        ("k1", "kid:base64key"),
        (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        ("k1:%%%not-base64%%%", "base64"),
        (f"k1:{KEY_A},k1:{KEY_B}", "twice"),
        (f"bad.id:{KEY_A}", "invalid key id"),
    ],
)
def test_malformed_key_rings_are_refused_without_echoing_keys(spec: str, complaint: str) -> None:
    with pytest.raises(VaultConfigError, match=complaint) as info:
        parse_key_ring(spec)
    assert KEY_A not in str(info.value) and KEY_B not in str(info.value)


def test_app_refuses_to_start_with_a_malformed_key_ring(tmp_path) -> None:
    with pytest.raises(VaultConfigError, match="32 bytes"):
        create_app({"VAULT_KEYS": "k1:c2hvcnQ=", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
