"""Battery 3: key rotation leaves every secret readable under the new key; an interrupted run converges."""

from __future__ import annotations

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from hub import vault
from hub.accounts.models import User
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants import service
from hub.tenants.models import BillingCredential
from hub.vault.rotation import pending_count, rotate_keys
from tests import factories
from tests.hub.conftest import TEST_VAULT_KEYS

OLD_ONLY = TEST_VAULT_KEYS.split(",")[1]  # "k1:..."
NEW_ONLY = TEST_VAULT_KEYS.split(",")[0]  # "k2:..."


class Interrupted(Exception):
    """Stands in for a crash or Ctrl-C between batches."""


def _seed_under_old_key(app: Flask) -> tuple[dict[int, str], dict[int, str]]:
    app.config["VAULT_KEYS"] = OLD_ONLY
    hub = factories.make_hub()
    secrets: dict[int, str] = {}
    for n in range(3):
        tenant = factories.make_tenant(hub)
        for level in ("Full", "Read only"):
            secret = f"secret-{n}-{level}"
            secrets[factories.make_credential(tenant, level, secret=secret).id] = secret
    totp: dict[int, str] = {}
    for _ in range(3):
        secret = pyotp.random_base32()
        totp[factories.make_user(role="agent", hub=hub, totp_secret=secret).id] = secret
    factories.make_user(role="agent", hub=hub)  # no TOTP: nothing to rotate
    db.session.commit()
    app.config["VAULT_KEYS"] = TEST_VAULT_KEYS  # k2 first: the new current key, k1 still opens
    return secrets, totp


def _assert_all_under_new_key(secrets: dict[int, str], totp: dict[int, str]) -> None:
    db.session.expire_all()
    for cred in db.session.scalars(sa.select(BillingCredential)):
        assert cred.secret_key_id == "k2"
        assert vault.key_id_of(cred.secret_sealed) == "k2"
        assert service.reveal_secret(cred) == secrets[cred.id]
    for user in db.session.scalars(sa.select(User).where(User.totp_secret_sealed.is_not(None))):
        assert vault.key_id_of(user.totp_secret_sealed) == "k2"
        assert vault.unseal(user.totp_secret_sealed, context=f"users.totp:{user.id}") == totp[user.id]


def test_rotation_reseals_everything_under_the_current_key(app: Flask) -> None:
    secrets, totp = _seed_under_old_key(app)
    assert pending_count() == 9
    report = rotate_keys(batch_size=4)
    assert (report.resealed, report.failed) == (9, 0)
    assert pending_count() == 0
    # the old key can now leave the ring
    app.config["VAULT_KEYS"] = NEW_ONLY
    _assert_all_under_new_key(secrets, totp)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "vault.rotated")).one()
    assert event.detail["resealed"] == 9 and event.detail["key_id"] == "k2"


def test_interrupted_rotation_rerun_converges(app: Flask) -> None:
    secrets, totp = _seed_under_old_key(app)
    batches: list[int] = []

    def crash_after_first_batch(n: int) -> None:
        batches.append(n)
        raise Interrupted

    with pytest.raises(Interrupted):
        rotate_keys(batch_size=2, progress=crash_after_first_batch)
    db.session.rollback()
    assert batches == [2]
    assert pending_count() == 7  # the first batch was committed
    report = rotate_keys(batch_size=2)
    assert report.resealed == 7  # rows already under k2 are skipped
    app.config["VAULT_KEYS"] = NEW_ONLY
    _assert_all_under_new_key(secrets, totp)
    assert rotate_keys(batch_size=2).resealed == 0


def test_rows_that_do_not_open_are_reported_and_left_alone(app: Flask) -> None:
    secrets, _ = _seed_under_old_key(app)
    broken_id = next(iter(secrets))
    db.session.execute(
        sa.update(BillingCredential).where(BillingCredential.id == broken_id).values(
            secret_sealed=sa.func.replace(BillingCredential.secret_sealed, "v1.k1.", "v1.k1.AAAA")
        )
    )
    db.session.commit()
    report = rotate_keys(batch_size=3)
    assert report.failed == 1 and report.resealed == 8
    assert report.columns["billing_credentials.secret"].failed_ids == [broken_id]
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "vault.rotated")).one()
    assert event.outcome == "partial"
