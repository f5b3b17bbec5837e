"""The tenant registry's service layer: tenants, permission levels, credentials and access levels.

Views, admin screens and the CLI call these functions and nothing else to change the registry.
Every function takes the acting user (``None`` for the system: CLI and provisioning) and refuses an
object of another hub with :class:`ScopeError`; every change is audited in the caller's transaction
(the caller commits). Credentials and access levels live in :mod:`hub.tenants.credentials` and
:mod:`hub.tenants.access`; they are re-exported here so callers need one import.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import func, select

from hub.accounts.models import Hub, User
from hub.audit import service as audit
from hub.extensions import db
from hub.tenants.access import (
    RevokedAccess,
    agent_levels,
    grant_access,
    granted_clause,
    level_name_column,
    notify_revoked,
    on_access_revoked,
    revoke_access,
    tenants_for,
)
from hub.tenants.credentials import (
    credential_context,
    delete_credential,
    replace_secret,
    reveal_secret,
    store_credential,
    update_credential,
)
from hub.tenants.models import AccessGrant, BillingCredential, PermissionLevel, Tenant
from hub.tenants.scope import (
    NotAllowed,
    ScopeError,
    ValidationError,
    get_agent_for_hub,
    get_credential_for_hub,
    get_grant_for_hub,
    get_group_for_hub,
    get_level_for_hub,
    get_tenant_for_hub,
    hub_id_of,
    require_admin,
)

__all__ = [
    "NotAllowed", "RevokedAccess", "ScopeError", "ValidationError", "add_permission_level", "agent_levels",
    "create_tenant", "credential_context", "delete_credential", "delete_permission_level", "delete_tenant",
    "get_agent_for_hub", "get_credential_for_hub", "get_grant_for_hub", "get_group_for_hub",
    "get_level_for_hub", "get_tenant_for_hub", "grant_access", "granted_clause", "level_name_column",
    "notify_revoked", "on_access_revoked", "replace_secret", "reveal_secret", "revoke_access", "store_credential",
    "tenants_for",
    "update_credential", "update_permission_level", "update_tenant", "validate_base_url", "validate_connector",
]

_TENANT_FIELDS = ("name", "base_url", "connector", "notes", "active")


def validate_base_url(value: str | None) -> str:
    """A tenant base URL: http(s), a host, no credentials, query or fragment; returned without a trailing /."""
    url = (value or "").strip()
    problem = None
    if not url:
        problem = "Enter the tenant's base URL."
    elif len(url) > 500 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        problem = "Enter a valid URL."
    else:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for an out-of-range port
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            problem = "Use an http:// or https:// URL with a host name."
        elif parts.username is not None or parts.password is not None:
            problem = "A base URL cannot carry a user name or password."
        elif parts.fragment or url.endswith("#"):
            problem = "A base URL cannot carry a #fragment."
        elif parts.query or url.endswith("?"):
            problem = "A base URL cannot carry a ?query."
    if problem:
        raise ValidationError({"base_url": problem})
    return url.rstrip("/")


def validate_connector(slug: str | None) -> str:
    """A connector slug known to :mod:`tenant_connectors.registry`."""
    from tenant_connectors import registry

    slug = (slug or "").strip()
    if slug not in registry.available():
        raise ValidationError({"connector": "Choose one of the installed connectors."})
    return slug


def _validate_name(hub_id: int, name: str | None, *, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "This field is required."})
    if len(name) > 200:
        raise ValidationError({"name": "Use at most 200 characters."})
    stmt = select(Tenant.id).where(Tenant.hub_id == hub_id, func.lower(Tenant.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Tenant.id != exclude_id)
    if db.session.scalars(stmt).first() is not None:
        raise ValidationError({"name": "A tenant with this name already exists."})
    return name


def _level_names(names: Iterable[str]) -> list[str]:
    cleaned = [n.strip() for n in names if n and n.strip()]
    if any(len(n) > 120 for n in cleaned):
        raise ValidationError({"permission_levels": "Use at most 120 characters per level name."})
    if len({n.lower() for n in cleaned}) != len(cleaned):
        raise ValidationError({"permission_levels": "Each permission level may be listed once."})
    return cleaned


def create_tenant(
    *,
    hub: Hub | int,
    name: str,
    base_url: str,
    actor: User | None,
    connector: str = "http",
    notes: str = "",
    permission_levels: Iterable[str] = (),
) -> Tenant:
    """Register a tenant of ``hub``; ``permission_levels`` are listed highest weight first."""
    hub_id = hub_id_of(hub)
    require_admin(actor, hub_id)
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for field, check in (
        ("name", lambda: _validate_name(hub_id, name)),
        ("base_url", lambda: validate_base_url(base_url)),
        ("connector", lambda: validate_connector(connector)),
        ("permission_levels", lambda: _level_names(permission_levels)),
    ):
        try:
            values[field] = check()
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    tenant = Tenant(
        hub_id=hub_id,
        name=values["name"],
        base_url=values["base_url"],
        connector=values["connector"],
        notes=(notes or "").strip(),
    )
    db.session.add(tenant)
    db.session.flush()
    levels: list[str] = values["permission_levels"]  # type: ignore[assignment]
    for weight, level_name in enumerate(reversed(levels)):
        db.session.add(PermissionLevel(tenant_id=tenant.id, name=level_name, weight=weight))
    audit.record(
        "tenant.created",
        actor=actor,
        hub_id=hub_id,
        tenant_id=tenant.id,
        target_type="tenant",
        target_id=tenant.id,
        detail={"connector": tenant.connector, "permission_levels": len(levels)},
    )
    db.session.flush()
    return tenant


def update_tenant(tenant: Tenant, *, actor: User | None, **changes: object) -> Tenant:
    """Change ``name``, ``base_url``, ``connector``, ``notes`` or ``active``; audited with the field names."""
    require_admin(actor, tenant.hub_id)
    unknown = set(changes) - set(_TENANT_FIELDS)
    if unknown:  # hub_id and the like can never be set through here
        raise TypeError(f"update_tenant() cannot change {', '.join(sorted(unknown))}")
    clean: dict[str, object] = {}
    errors: dict[str, str] = {}
    checks = {
        "name": lambda v: _validate_name(tenant.hub_id, v, exclude_id=tenant.id),  # type: ignore[arg-type]
        "base_url": validate_base_url,
        "connector": validate_connector,
        "notes": lambda v: (v or "").strip(),  # type: ignore[union-attr]
        "active": bool,
    }
    for field, value in changes.items():
        try:
            clean[field] = checks[field](value)  # type: ignore[operator]
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    changed = sorted(f for f, v in clean.items() if getattr(tenant, f) != v)
    if not changed:
        return tenant
    for field in changed:
        setattr(tenant, field, clean[field])
    audit.record(
        "tenant.updated",
        actor=actor,
        hub_id=tenant.hub_id,
        tenant_id=tenant.id,
        target_type="tenant",
        target_id=tenant.id,
        detail={"fields": changed},
    )
    db.session.flush()
    return tenant


def delete_tenant(tenant: Tenant, *, actor: User | None) -> None:
    """Remove a tenant with its levels, credentials and grants (grant holders are notified)."""
    require_admin(actor, tenant.hub_id)
    grants = list(db.session.scalars(select(AccessGrant).where(AccessGrant.tenant_id == tenant.id)))
    for grant in grants:
        revoke_access(grant, actor=actor)
    audit.record(
        "tenant.deleted",
        actor=actor,
        hub_id=tenant.hub_id,
        tenant_id=tenant.id,
        target_type="tenant",
        target_id=tenant.id,
        detail={"credentials": len(tenant.credentials), "grants": len(grants)},
    )
    db.session.delete(tenant)
    db.session.flush()


def add_permission_level(
    tenant: Tenant, *, name: str, actor: User | None, weight: int = 0, description: str = ""
) -> PermissionLevel:
    """Add a permission level to ``tenant``."""
    require_admin(actor, tenant.hub_id)
    name = _level_names([name or ""])[0] if (name or "").strip() else ""
    if not name:
        raise ValidationError({"name": "This field is required."})
    if any(lv.name.lower() == name.lower() for lv in tenant.permission_levels):
        raise ValidationError({"name": "This tenant already has a level with this name."})
    level = PermissionLevel(tenant_id=tenant.id, name=name, weight=int(weight), description=(description or "")[:500])
    db.session.add(level)
    db.session.flush()
    _audit_level("permission_level.created", level, actor, {"weight": level.weight})
    db.session.expire(tenant, ["permission_levels"])
    return level


def update_permission_level(
    level: PermissionLevel,
    *,
    actor: User | None,
    name: str | None = None,
    weight: int | None = None,
    description: str | None = None,
) -> PermissionLevel:
    """Rename or re-weigh a permission level."""
    require_admin(actor, level.tenant.hub_id)
    changed: list[str] = []
    if name is not None and name.strip() != level.name:
        new_name = _level_names([name])[0] if name.strip() else ""
        if not new_name:
            raise ValidationError({"name": "This field is required."})
        if any(lv.id != level.id and lv.name.lower() == new_name.lower() for lv in level.tenant.permission_levels):
            raise ValidationError({"name": "This tenant already has a level with this name."})
        level.name = new_name
        changed.append("name")
    if weight is not None and int(weight) != level.weight:
        level.weight = int(weight)
        changed.append("weight")
    if description is not None and description[:500] != level.description:
        level.description = description[:500]
        changed.append("description")
    if changed:
        _audit_level("permission_level.updated", level, actor, {"fields": changed})
    return level


def delete_permission_level(level: PermissionLevel, *, actor: User | None) -> None:
    """Remove a level no credential uses; its grants go with it (holders are notified)."""
    require_admin(actor, level.tenant.hub_id)
    in_use = db.session.scalars(
        select(BillingCredential.id).where(BillingCredential.permission_level_id == level.id)
    ).first()
    if in_use is not None:
        raise ValidationError({"permission_level": "A Billing credential uses this level; delete it first."})
    for grant in db.session.scalars(select(AccessGrant).where(AccessGrant.permission_level_id == level.id)):
        revoke_access(grant, actor=actor)
    _audit_level("permission_level.deleted", level, actor, {})
    tenant = level.tenant
    db.session.delete(level)
    db.session.flush()
    db.session.expire(tenant, ["permission_levels"])


def _audit_level(action: str, level: PermissionLevel, actor: User | None, detail: dict[str, object]) -> None:
    audit.record(
        action,
        actor=actor,
        hub_id=level.tenant.hub_id,
        tenant_id=level.tenant_id,
        target_type="permission_level",
        target_id=level.id,
        detail={"permission_level_id": level.id, **detail},
    )
    db.session.flush()
