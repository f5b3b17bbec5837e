"""Battery 1 and 2: no plaintext secret at rest; a ciphertext moved to another row does not open."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from hub import vault
from hub.audit.models import AuditEvent
from hub.audit.service import verify_all
from hub.extensions import db
from hub.tenants import service
from hub.tenants.models import BillingCredential
from tests import factories

SECRET_A = "canary-Billing-secret-8f3a1c"
SECRET_B = "canary-Billing-secret-b77e02"
TOTP_SECRET = pyotp.random_base32()


def _dump_database() -> str:
    """``SELECT *`` of every table, as text."""
    lines = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def test_raw_database_holds_no_plaintext_secret(app: Flask) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    factories.make_credential(tenant, "Full", secret=SECRET_A)
    factories.make_credential(tenant, "Read only", secret=SECRET_B)
    factories.make_user(role="hub_admin", hub=hub, totp_secret=TOTP_SECRET)
    db.session.commit()

    dump = _dump_database()
    assert "billing_credentials" in dump and "v1.k2." in dump  # the dump did see the sealed rows
    for secret in (SECRET_A, SECRET_B, TOTP_SECRET):
        assert secret not in dump
    if db.engine.dialect.name == "sqlite":
        db.session.remove()
        db.engine.dispose()
        raw = Path(db.engine.url.database).read_bytes()
        for secret in (SECRET_A, SECRET_B, TOTP_SECRET):
            assert secret.encode() not in raw
            assert secret.encode("utf-16-le") not in raw


def test_equal_plaintexts_are_stored_as_different_ciphertexts(app: Flask) -> None:
    hub = factories.make_hub()
    tenants = [factories.make_tenant(hub) for _ in range(2)]
    creds = [factories.make_credential(t, level, secret=SECRET_A) for t in tenants for level in ("Full", "Read only")]
    db.session.commit()
    stored = {c.secret_sealed for c in creds}
    assert len(stored) == len(creds)
    assert all(service.reveal_secret(c) == SECRET_A for c in creds)


def test_ciphertext_copied_to_another_tenant_fails_generically_and_is_audited(app: Flask) -> None:
    hub = factories.make_hub()
    tenant_a, tenant_b = factories.make_tenant(hub), factories.make_tenant(hub)
    cred_a = factories.make_credential(tenant_a, secret=SECRET_A)
    cred_b = factories.make_credential(tenant_b, secret=SECRET_B)
    db.session.commit()
    # an attacker with database access swaps the sealed value (and its key id) into tenant B's row
    db.session.execute(
        sa.update(BillingCredential)
        .where(BillingCredential.id == cred_b.id)
        .values(secret_sealed=cred_a.secret_sealed, secret_key_id=cred_a.secret_key_id)
    )
    db.session.commit()
    db.session.expire_all()

    with pytest.raises(vault.VaultError) as info:
        service.reveal_secret(cred_b)
    assert str(info.value) == "the secret could not be read"
    assert SECRET_A not in repr(info.value) and cred_a.secret_sealed not in str(info.value)
    # the caller's action fails and rolls back: the audit row was committed on its own
    db.session.rollback()
    failures = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "credential.decrypt_failed")).all()
    assert len(failures) == 1
    event = failures[0]
    assert (event.hub_id, event.tenant_id, event.target_id, event.outcome) == (
        hub.id, tenant_b.id, str(cred_b.id), "failure"
    )
    assert SECRET_A not in repr(event.detail) and cred_a.secret_sealed not in repr(event.detail)
    assert verify_all() == []
    # the genuine row still opens
    assert service.reveal_secret(cred_a) == SECRET_A


def test_ciphertext_copied_to_another_row_of_the_same_tenant_fails(app: Flask) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    full = factories.make_credential(tenant, "Full", secret=SECRET_A)
    read = factories.make_credential(tenant, "Read only", secret=SECRET_B)
    db.session.commit()
    read.secret_sealed = full.secret_sealed
    db.session.commit()
    with pytest.raises(vault.VaultError):
        service.reveal_secret(read)


def test_decrypt_failure_is_audited_even_while_the_caller_holds_uncommitted_changes(app: Flask) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    cred = factories.make_credential(tenant, secret=SECRET_A)
    db.session.commit()
    cred.secret_sealed = cred.secret_sealed[:-4] + ("AAAA" if not cred.secret_sealed.endswith("AAAA") else "BBBB")
    factories.make_hub()  # the caller's own pending write
    db.session.flush()
    with pytest.raises(vault.VaultError):
        service.reveal_secret(cred)
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("credential.decrypt_failed") == 1
    assert verify_all() == []
