"""Billing credentials: the only code that writes ``secret_sealed`` or reads a secret back.

A secret is sealed with a context naming its row and tenant
(``billing_credentials.secret:<credential id>:<tenant id>``), so a sealed value copied to another row
or tenant does not open. Audit rows carry tenant and credential ids, never the secret.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select, text

from hub import vault
from hub.accounts.models import User
from hub.audit import service as audit
from hub.dbtypes import utcnow
from hub.extensions import db
from hub.tenants.models import BillingCredential, PermissionLevel, Tenant
from hub.tenants.scope import ScopeError, ValidationError, require_admin

logger = logging.getLogger(__name__)

MAX_SECRET_LENGTH = 1024
#: stored for the instant between the INSERT that gives the row its id and the seal bound to that id
_PENDING = "pending"


def credential_context(credential: BillingCredential) -> str:
    """The associated data binding a credential's sealed secret to its row and tenant."""
    if credential.id is None or credential.tenant_id is None:
        raise vault.VaultError("the secret could not be sealed")
    return f"billing_credentials.secret:{credential.id}:{credential.tenant_id}"


def _clean_text(errors: dict[str, str], name: str, value: str | None, max_length: int) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        errors[name] = "This field is required."
    elif len(cleaned) > max_length:
        errors[name] = f"Use at most {max_length} characters."
    return cleaned


def _check_secret(errors: dict[str, str], secret: str | None) -> None:
    # the secret is checked but never echoed back, trimmed or logged
    if not isinstance(secret, str) or not secret:
        errors["secret"] = "Enter the Billing user's password."  # noqa: S105 - a form message
    elif len(secret) > MAX_SECRET_LENGTH:
        errors["secret"] = f"Use at most {MAX_SECRET_LENGTH} characters."


def _audit(action: str, credential: BillingCredential, actor: User | None, hub_id: int, **detail: object) -> None:
    """One audit row about ``credential``: ids only, never the secret."""
    audit.record(
        action,
        actor=actor,
        hub_id=hub_id,
        tenant_id=credential.tenant_id,
        target_type="billing_credential",
        target_id=credential.id,
        outcome="failure" if action == "credential.decrypt_failed" else "success",
        detail={"credential_id": credential.id, **detail},
    )


def _seal_into(credential: BillingCredential, secret: str) -> None:
    sealed = vault.seal(secret, context=credential_context(credential))
    credential.secret_sealed = sealed
    credential.secret_key_id = vault.key_id_of(sealed)


def store_credential(
    *,
    tenant: Tenant,
    permission_level: PermissionLevel,
    label: str,
    remote_user_id: str,
    secret: str,
    actor: User | None,
) -> BillingCredential:
    """Add a tenant's Billing credential for ``permission_level``, its secret sealed to the new row."""
    require_admin(actor, tenant.hub_id)
    if permission_level.tenant_id != tenant.id:
        raise ScopeError("permission level")
    errors: dict[str, str] = {}
    label = _clean_text(errors, "label", label, 120)
    remote_user_id = _clean_text(errors, "remote_user_id", remote_user_id, 100)
    _check_secret(errors, secret)
    taken = db.session.scalars(
        select(BillingCredential.id).where(
            BillingCredential.tenant_id == tenant.id, BillingCredential.permission_level_id == permission_level.id
        )
    ).first()
    if taken is not None:
        errors["permission_level"] = "This permission level already has a Billing credential; replace its secret."
    if errors:
        raise ValidationError(errors)
    credential = BillingCredential(
        tenant_id=tenant.id,
        permission_level_id=permission_level.id,
        label=label,
        remote_user_id=remote_user_id,
        secret_sealed=_PENDING,
        secret_key_id=_PENDING,
    )
    db.session.add(credential)
    db.session.flush()  # the row id is part of the seal's context
    _seal_into(credential, secret)
    _audit("credential.created", credential, actor, tenant.hub_id, permission_level_id=permission_level.id)
    db.session.flush()
    return credential


def update_credential(
    credential: BillingCredential, *, actor: User | None, label: str | None = None, remote_user_id: str | None = None
) -> BillingCredential:
    """Change a credential's label or remote Billing User ID (not its secret)."""
    require_admin(actor, credential.tenant.hub_id)
    errors: dict[str, str] = {}
    changed: list[str] = []
    if label is not None:
        label = _clean_text(errors, "label", label, 120)
        if label != credential.label:
            changed.append("label")
    if remote_user_id is not None:
        remote_user_id = _clean_text(errors, "remote_user_id", remote_user_id, 100)
        if remote_user_id != credential.remote_user_id:
            changed.append("remote_user_id")
    if errors:
        raise ValidationError(errors)
    if not changed:
        return credential
    if "label" in changed:
        credential.label = label  # type: ignore[assignment]
    if "remote_user_id" in changed:
        credential.remote_user_id = remote_user_id  # type: ignore[assignment]
    _audit("credential.updated", credential, actor, credential.tenant.hub_id, fields=changed)
    db.session.flush()
    return credential


def replace_secret(credential: BillingCredential, secret: str, *, actor: User | None) -> BillingCredential:
    """Seal a new secret for ``credential`` under the current key."""
    require_admin(actor, credential.tenant.hub_id)
    errors: dict[str, str] = {}
    _check_secret(errors, secret)
    if errors:
        raise ValidationError(errors)
    _seal_into(credential, secret)
    credential.secret_updated_at = utcnow()
    _audit("credential.replaced", credential, actor, credential.tenant.hub_id)
    db.session.flush()
    return credential


def delete_credential(credential: BillingCredential, *, actor: User | None) -> None:
    """Remove a Billing credential (its sealed secret goes with the row)."""
    require_admin(actor, credential.tenant.hub_id)
    _audit(
        "credential.deleted", credential, actor, credential.tenant.hub_id,
        permission_level_id=credential.permission_level_id,
    )
    db.session.delete(credential)
    db.session.flush()


def reveal_secret(credential: BillingCredential, *, actor: User | None = None) -> str:
    """The plaintext secret, for the tenant login only (never for a screen, log or export).

    A value that does not open (tampered, copied from another row, key missing from the ring) is
    audited as ``credential.decrypt_failed`` in a transaction of its own, so the audit row survives
    the caller's failure, and :class:`~hub.vault.VaultError` is raised.
    """
    try:
        return vault.unseal(credential.secret_sealed, context=credential_context(credential))
    except vault.VaultError:
        _audit_decrypt_failure(credential, actor)
        raise vault.VaultError() from None


def _decrypt_failure_event(credential: BillingCredential, actor: User | None, hub_id: int) -> None:
    _audit("credential.decrypt_failed", credential, actor, hub_id, key_id=credential.secret_key_id)


def _caller_holds_sqlite_write_lock() -> bool:
    # SQLite has one writer: a second connection would only wait for the caller's lock and time out
    session = db.session()
    if not session.in_transaction():
        return False
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return False
    return bool(getattr(connection.connection.dbapi_connection, "in_transaction", False))


def _audit_decrypt_failure(credential: BillingCredential, actor: User | None) -> None:
    hub_id = credential.tenant.hub_id
    if _caller_holds_sqlite_write_lock():
        _decrypt_failure_event(credential, actor, hub_id)
        db.session.flush()
        return
    # a fresh app context gives a fresh Flask-SQLAlchemy session: its commit leaves the caller's
    # transaction alone (neither committed nor rolled back)
    try:
        with current_app.app_context():
            if db.session.get_bind().dialect.name == "postgresql":
                # never wait forever on a chain head the caller's own transaction holds
                db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            _decrypt_failure_event(credential, actor, hub_id)
            db.session.commit()
            return
    except Exception:  # the separate transaction could not be written (lock held by the caller)
        logger.warning("decrypt failure of credential %s audited in the caller's transaction", credential.id)
    _decrypt_failure_event(credential, actor, hub_id)
    db.session.flush()
