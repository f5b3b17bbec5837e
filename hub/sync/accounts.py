"""Set, read and remove a tenant's sync service credential (:class:`~hub.sync.models.SyncAccount`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hub import vault
from hub.audit.service import record
from hub.dbtypes import utcnow
from hub.extensions import db
from hub.sync.models import (
    SyncAccount,
    SyncState,
    SyncStatus,
    restricted_secret_context,
    totp_secret_context,
)
from hub.tenants.models import BillingCredential, Tenant


class SyncAccountError(ValueError):
    """The sync account cannot be set as asked (e.g. the credential belongs to another tenant)."""


def set_sync_account(
    *,
    tenant: Tenant,
    credential: BillingCredential,
    restricted_user_id: str,
    restricted_secret: str,
    totp_secret: str | None = None,
    actor: Any = None,
    actor_label: str | None = None,
) -> SyncAccount:
    """Create or replace ``tenant``'s sync account (audited ``sync_account.set``; caller commits).

    The Restricted password and TOTP secret are sealed bound to the row; a replaced account keeps
    its row (and so the tenant's sync state and cursor).
    """
    if credential.tenant_id != tenant.id:
        raise SyncAccountError("the Billing credential belongs to another tenant")
    restricted_user_id = restricted_user_id.strip()
    if not restricted_user_id or not restricted_secret:
        raise SyncAccountError("the Restricted user id and password are required")
    if totp_secret:
        totp_secret = _normalise_base32(totp_secret)
    account = db.session.scalars(select(SyncAccount).where(SyncAccount.tenant_id == tenant.id)).first()
    created = account is None
    if account is None:
        # the id is part of the vault context, so the row must exist before sealing
        account = SyncAccount(
            hub_id=tenant.hub_id, tenant_id=tenant.id, restricted_user_id=restricted_user_id,
            restricted_secret_sealed="", restricted_key_id="",
        )
        db.session.add(account)
        db.session.flush()
    account.billing_credential_id = credential.id
    account.restricted_user_id = restricted_user_id
    account.restricted_secret_sealed = vault.seal(restricted_secret, context=restricted_secret_context(account))
    account.restricted_key_id = vault.key_id_of(account.restricted_secret_sealed)
    if totp_secret:
        account.totp_secret_sealed = vault.seal(totp_secret, context=totp_secret_context(account))
        account.totp_key_id = vault.key_id_of(account.totp_secret_sealed)
    else:
        account.totp_secret_sealed = None
        account.totp_key_id = None
    account.updated_at = utcnow()
    ensure_state(tenant)
    db.session.flush()
    record(
        "sync_account.set", actor=actor, actor_label=actor_label, hub_id=tenant.hub_id, tenant_id=tenant.id,
        target_type="sync_account", target_id=account.id,
        detail={
            "created": created, "billing_credential_id": credential.id,
            "restricted_user_id": restricted_user_id, "with_totp": bool(totp_secret),
        },
    )
    return account


def delete_sync_account(account: SyncAccount, *, actor: Any = None, actor_label: str | None = None) -> None:
    """Remove the sync account (the sync state and pulled events stay; sync stops for the tenant)."""
    tenant_id, hub_id, account_id = account.tenant_id, account.hub_id, account.id
    db.session.delete(account)
    db.session.flush()
    record("sync_account.deleted", actor=actor, actor_label=actor_label, hub_id=hub_id, tenant_id=tenant_id,
           target_type="sync_account", target_id=account_id)


def ensure_state(tenant: Tenant) -> SyncState:
    """The tenant's sync state row, created idle and due when missing (caller commits)."""
    state = db.session.get(SyncState, tenant.id)
    if state is None:
        state = SyncState(
            tenant_id=tenant.id, hub_id=tenant.hub_id, status=SyncStatus.IDLE, consecutive_failures=0,
            events_pulled_total=0, pages_done=0, events_this_run=0,
        )
        db.session.add(state)
        db.session.flush()
    return state


@dataclass(frozen=True, slots=True)
class SyncLogin:
    """Everything needed to open the sync session of one tenant, read out of the vault."""

    billing_user_id: str
    billing_secret: str = field(repr=False)
    restricted_user_id: str
    restricted_secret: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)


def reveal_login(account: SyncAccount) -> SyncLogin | None:
    """Unseal the sync account's secrets (internal to the sync engine); None without a credential."""
    from hub.tenants.service import reveal_secret

    credential = account.billing_credential
    if credential is None:
        return None
    totp = None
    if account.totp_secret_sealed:
        totp = vault.unseal(account.totp_secret_sealed, context=totp_secret_context(account))
    return SyncLogin(
        billing_user_id=credential.remote_user_id,
        billing_secret=reveal_secret(credential),
        restricted_user_id=account.restricted_user_id,
        restricted_secret=vault.unseal(account.restricted_secret_sealed, context=restricted_secret_context(account)),
        totp_secret=totp,
    )


def _normalise_base32(secret: str) -> str:
    cleaned = secret.replace(" ", "").upper()
    try:
        base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise SyncAccountError("the TOTP secret is not base32") from None
    return cleaned


def totp_code(secret: str, at: float | None = None) -> str:
    """The current RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret.

    Computed here rather than with pyotp because vendors hand out 80-bit secrets, which pyotp refuses.
    """
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"
