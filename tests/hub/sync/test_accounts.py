"""The sync service credential: sealed at rest, audited without secrets, used for the two-part login."""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import select, text

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.sync.accounts import SyncAccountError, set_sync_account
from hub.sync.models import SyncAccount, SyncState
from hub.sync.worker import sync_pass
from hub.tenants.models import HealthStatus
from tests import factories
from tests.hub.sync.conftest import RESTRICTED_PASSWORD, SyncWorld

BOB, BOB_PASSWORD, BOB_TOTP = "acme.bob", "bob-Passw0rd!", "JBSWY3DPEHPK3PXP"


def _account(world: SyncWorld, slug: str) -> SyncAccount:
    return db.session.scalars(select(SyncAccount).where(SyncAccount.tenant_id == world.tenants[slug].id)).one()


def test_secrets_are_sealed_and_the_audit_row_names_no_secret(sync_world: SyncWorld) -> None:
    tenant = sync_world.tenants["tenant-001"]
    account = _account(sync_world, "tenant-001")
    set_sync_account(tenant=tenant, credential=account.billing_credential, restricted_user_id=BOB,
                     restricted_secret=BOB_PASSWORD, totp_secret=BOB_TOTP)
    db.session.commit()

    dump = "\n".join(str(row) for row in db.session.execute(text("SELECT * FROM sync_accounts")))
    for secret in (RESTRICTED_PASSWORD, BOB_PASSWORD, BOB_TOTP):
        assert secret not in dump
    assert _account(sync_world, "tenant-001").id == account.id, "replacing keeps the row (and the cursor)"
    assert account.restricted_key_id == account.totp_key_id == "k2"
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sync_account.set")).all()
    assert len(rows) == len(sync_world.tenants) + 1
    assert BOB_PASSWORD not in str([r.detail for r in rows]) and rows[-1].detail["with_totp"] is True


def test_totp_restricted_account_logs_in(sync_world: SyncWorld) -> None:
    tenant = sync_world.tenants["tenant-002"]
    set_sync_account(tenant=tenant, credential=_account(sync_world, "tenant-002").billing_credential,
                     restricted_user_id=BOB, restricted_secret=BOB_PASSWORD, totp_secret=BOB_TOTP)
    db.session.commit()
    summary = sync_pass(current_app._get_current_object(), tenant_ids=[tenant.id])
    assert [(r.status, r.error_code, r.error_message) for r in summary.results] == [("ok", None, None)]
    sync_world.assert_exact("tenant-002")


def test_credential_of_another_tenant_is_refused(sync_world: SyncWorld) -> None:
    other = _account(sync_world, "tenant-002").billing_credential
    with pytest.raises(SyncAccountError):
        set_sync_account(tenant=sync_world.tenants["tenant-001"], credential=other,
                         restricted_user_id=BOB, restricted_secret=BOB_PASSWORD)


def test_refused_restricted_password_marks_auth_failed(sync_world: SyncWorld) -> None:
    tenant = sync_world.tenants["tenant-003"]
    set_sync_account(tenant=tenant, credential=_account(sync_world, "tenant-003").billing_credential,
                     restricted_user_id="acme.alice", restricted_secret="not-alices-password")
    db.session.commit()
    [result] = sync_pass(current_app._get_current_object(), tenant_ids=[tenant.id]).results
    assert result.status == "failed" and result.error_code == "authentication_failed"
    assert "not-alices-password" not in (result.error_message or "")
    db.session.expire_all()
    assert tenant.health_status == HealthStatus.AUTH_FAILED


def test_ciphertext_copied_from_another_row_fails_without_crashing_the_pass(sync_world: SyncWorld) -> None:
    victim, donor = _account(sync_world, "tenant-004"), _account(sync_world, "tenant-005")
    victim.restricted_secret_sealed = donor.restricted_secret_sealed
    db.session.commit()
    summary = sync_pass(current_app._get_current_object())
    by_slug = {r.tenant_name: r for r in summary.results}
    assert by_slug["tenant-004"].error_code == "vault_error"
    assert all(r.status == "ok" for slug, r in by_slug.items() if slug != "tenant-004")
    state = db.session.get(SyncState, victim.tenant_id)
    assert state.last_error_code == "vault_error" and state.lease_owner is None


def test_tenant_without_sync_account_is_not_synced(sync_world: SyncWorld) -> None:
    plain = factories.make_tenant(sync_world.tenants["tenant-001"].hub, base_url=sync_world.server.tenant_url("x"))
    db.session.commit()
    summary = sync_pass(current_app._get_current_object())
    assert plain.id not in {r.tenant_id for r in summary.results}
    assert len(summary.results) == len(sync_world.tenants)


def test_key_rotation_reseals_sync_account_secrets(sync_world: SyncWorld) -> None:
    from hub.vault.rotation import rotate_keys
    from tests.hub.conftest import TEST_VAULT_KEYS

    old_first = ",".join(reversed(TEST_VAULT_KEYS.split(",")))  # k1 current, k2 only opens
    current_app.config["VAULT_KEYS"] = old_first
    tenant = sync_world.tenants["tenant-006"]
    set_sync_account(tenant=tenant, credential=_account(sync_world, "tenant-006").billing_credential,
                     restricted_user_id=BOB, restricted_secret=BOB_PASSWORD, totp_secret=BOB_TOTP)
    db.session.commit()
    assert _account(sync_world, "tenant-006").restricted_key_id == "k1"

    current_app.config["VAULT_KEYS"] = TEST_VAULT_KEYS
    report = rotate_keys()
    assert report.columns["sync_accounts.restricted_secret"] is not None
    db.session.expire_all()
    account = _account(sync_world, "tenant-006")
    assert account.restricted_key_id == account.totp_key_id == "k2"
    current_app.config["VAULT_KEYS"] = TEST_VAULT_KEYS.split(",")[0]  # k1 is gone for good
    summary = sync_pass(current_app._get_current_object(), tenant_ids=[tenant.id])
    assert [r.status for r in summary.results] == ["ok"]
