"""Factories for hub objects, so tests state only what matters to them.

Objects are added to the session and flushed, not committed: the caller commits when it wants the
rows visible to a request.
"""

from __future__ import annotations

import itertools
from typing import Any

from hub.accounts.models import AgentGroup, Hub, Role, User
from hub.accounts.passwords import hash_password
from hub.extensions import db
from hub.tenants.models import AccessGrant, BillingCredential, PermissionLevel, Tenant

DEFAULT_PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_hub(*, slug: str | None = None, name: str | None = None, **fields: Any) -> Hub:
    """A billing company's hub."""
    n = next(_seq)
    hub = Hub(slug=slug or f"billing-co-{n}", name=name or f"Billing Co {n}", **fields)
    db.session.add(hub)
    db.session.flush()
    return hub


def make_user(
    *,
    role: str | Role = Role.AGENT,
    hub: Hub | None = None,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    totp_secret: str | None = None,
    tenant: Tenant | None = None,
    **fields: Any,
) -> User:
    """A hub account; ``totp_secret`` enables two-factor with that base32 secret."""
    n = next(_seq)
    role = Role(role)
    user = User(
        hub_id=None if hub is None else hub.id,
        email=(email or f"{role.value}{n}@example.test").lower(),
        display_name=fields.pop("display_name", f"{role.label} {n}"),
        role=role,
        tenant_id=None if tenant is None else tenant.id,
        password_hash=hash_password(password),
        restricted_user_id=fields.pop("restricted_user_id", f"acme.user{n}" if role is Role.AGENT else None),
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    if totp_secret:
        from hub.auth.totp import enable_totp

        enable_totp(user, totp_secret)
        db.session.flush()
    return user


def make_tenant(
    hub: Hub,
    *,
    name: str | None = None,
    base_url: str = "http://127.0.0.1:9/t/nowhere/api/v1",
    levels: tuple[str, ...] = ("Full", "Read only"),
    **fields: Any,
) -> Tenant:
    """A tenant of ``hub`` with the given permission levels."""
    n = next(_seq)
    tenant = Tenant(hub_id=hub.id, name=name or f"Tenant {n}", base_url=base_url, **fields)
    db.session.add(tenant)
    db.session.flush()
    for weight, level in enumerate(reversed(levels)):
        db.session.add(PermissionLevel(tenant_id=tenant.id, name=level, weight=weight))
    db.session.flush()
    return tenant


def level(tenant: Tenant, name: str) -> PermissionLevel:
    """The tenant's permission level called ``name``."""
    return next(lv for lv in tenant.permission_levels if lv.name == name)


def make_credential(
    tenant: Tenant,
    level_name: str = "Full",
    *,
    remote_user_id: str | None = None,
    secret: str = "billing-secret-Passw0rd!",
    label: str | None = None,
) -> BillingCredential:
    """A Billing credential stored (sealed) through the vault service."""
    from hub.tenants.service import store_credential

    lv = level(tenant, level_name)
    return store_credential(
        tenant=tenant,
        permission_level=lv,
        label=label or f"{tenant.name} {level_name}",
        remote_user_id=remote_user_id or f"billing-{next(_seq)}",
        secret=secret,
        actor=None,
    )


def make_group(hub: Hub, *, name: str | None = None, members: tuple[User, ...] = ()) -> AgentGroup:
    """An agent group."""
    group = AgentGroup(hub_id=hub.id, name=name or f"Group {next(_seq)}", members=list(members))
    db.session.add(group)
    db.session.flush()
    return group


def grant(tenant: Tenant, level_name: str, *, user: User | None = None, group: AgentGroup | None = None) -> AccessGrant:
    """Let ``user`` (or ``group``) use ``level_name`` on ``tenant``."""
    access = AccessGrant(
        hub_id=tenant.hub_id,
        tenant_id=tenant.id,
        permission_level_id=level(tenant, level_name).id,
        user_id=None if user is None else user.id,
        agent_group_id=None if group is None else group.id,
    )
    db.session.add(access)
    db.session.flush()
    return access
