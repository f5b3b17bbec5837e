"""Create hubs and hub accounts for support, each with a one-time initial password.

The initial password is random, shown once (by the CLI, or on support's Hub admins screen through a
sealed one-time notice) and must be changed at first login (``must_change_password``); only its
argon2id hash is stored.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select

from hub.accounts.models import Hub, Role, User
from hub.accounts.service import AccountError, create_user, unlock_user
from hub.audit import service as audit
from hub.extensions import db
from hub.tenants.models import Tenant

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
#: who the audit log names for command-line provisioning (there is no logged-in user)
CLI_ACTOR = "cli"


class ProvisioningError(ValueError):
    """A provisioning step was refused; the message says why (and never carries a secret).

    ``problems`` maps a field name (``email``, ``display_name``, ...) to what is wrong with it, when
    the refusal came from a field check, so a screen can show it next to the field.
    """

    def __init__(self, message: str, *, problems: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.problems = dict(problems or {})


def initial_password() -> str:
    """A random one-time password (about 128 bits), to be changed at first login."""
    return secrets.token_urlsafe(16)


def _account_error(exc: AccountError) -> ProvisioningError:
    message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.problems.items())
    return ProvisioningError(message, problems=exc.problems)


def create_hub(
    *, slug: str, name: str, admin_email: str, admin_name: str, billing_company_ref: str | None = None
) -> tuple[Hub, User, str]:
    """A new hub with its first hub admin; returns (hub, admin, initial password). Caller commits."""
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    if not SLUG_PATTERN.match(slug):
        raise ProvisioningError("slug: use 1-64 lower-case letters, digits and inner hyphens")
    if not name or len(name) > 200:
        raise ProvisioningError("name: enter a name of at most 200 characters")
    if db.session.scalars(select(Hub.id).where(func.lower(Hub.slug) == slug)).first() is not None:
        raise ProvisioningError(f"slug: a hub called {slug!r} already exists")
    ref = (billing_company_ref or "").strip() or None
    if ref is not None and len(ref) > 100:
        raise ProvisioningError("billing company ref: use at most 100 characters")
    hub = Hub(slug=slug, name=name, billing_company_ref=ref, active=True)
    db.session.add(hub)
    db.session.flush()
    audit.record(
        "provision.hub_created",
        actor_label=CLI_ACTOR,
        hub_id=hub.id,
        target_type="hub",
        target_id=hub.id,
        detail={"slug": slug, "billing_company_ref": ref},
    )
    admin, password = create_hub_user(hub=hub, role=Role.HUB_ADMIN, email=admin_email, name=admin_name)
    return hub, admin, password


def create_hub_user(
    *,
    hub: Hub | None,
    role: Role | str,
    email: str,
    name: str,
    restricted_user_id: str | None = None,
    tenant_name: str | None = None,
    actor: User | None = None,
) -> tuple[User, str]:
    """A hub account with a one-time initial password; returns (user, password). Caller commits.

    :param actor: the signed-in support account on the screens; None on the command line (``cli``)
    """
    try:
        role = Role(role)
    except ValueError:
        raise ProvisioningError(f"role: choose one of {', '.join(r.value for r in Role)}") from None
    if role is Role.AGENT and not (restricted_user_id or "").strip():
        raise ProvisioningError("restricted user id: an agent records the User ID of their Restricted account")
    tenant_id = None
    if role is Role.TENANT_ADMIN:
        if hub is None or not (tenant_name or "").strip():
            raise ProvisioningError("tenant: a tenant admin reviews exactly one tenant of the hub")
        tenant_id = db.session.scalars(
            select(Tenant.id).where(Tenant.hub_id == hub.id, Tenant.name == tenant_name.strip())  # type: ignore[union-attr]
        ).first()
        if tenant_id is None:
            raise ProvisioningError("tenant: the hub has no tenant of that name")
    password = initial_password()
    try:
        user = create_user(
            email=email,
            display_name=name,
            role=role,
            password=password,
            actor=actor,
            hub=hub,
            tenant_id=tenant_id,
            restricted_user_id=(restricted_user_id or "").strip() or None,
            must_change_password=True,
        )
    except AccountError as exc:
        raise _account_error(exc) from None
    audit.record(
        "provision.user_created",
        actor=actor,
        actor_label=None if actor is not None else CLI_ACTOR,
        hub_id=user.hub_id,
        tenant_id=tenant_id,
        target_type="user",
        target_id=user.id,
        detail={"role": role.value, "must_change_password": True},
    )
    return user, password


def unlock_account(email: str) -> User:
    """End the lockout of the account ``email`` now. Caller commits."""
    user = db.session.scalars(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None:
        raise ProvisioningError("no account with that email")
    unlock_user(user, actor=None)
    audit.record(
        "provision.user_unlocked", actor_label=CLI_ACTOR, hub_id=user.hub_id, target_type="user", target_id=user.id
    )
    return user
