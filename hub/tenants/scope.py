"""Hub-scoped lookups and the errors the tenant services raise.

Nothing in the tenant registry is fetched by id alone: every helper here takes the caller's hub and
answers :class:`ScopeError` (a :class:`LookupError`, shown as 404) for an object of another hub,
exactly as for an object that does not exist, so a guessed id tells nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Select, select

from hub.accounts.models import AgentGroup, Hub, Role, User
from hub.dbtypes import MAX_ID
from hub.extensions import db
from hub.tenants.models import AccessGrant, BillingCredential, PermissionLevel, Tenant

T = TypeVar("T")


class ScopeError(LookupError):
    """The object does not exist in the caller's hub (or at all: the two are not told apart)."""

    def __init__(self, what: str = "object") -> None:
        super().__init__(f"no such {what}")


class NotAllowed(PermissionError):
    """The acting user's role may not do this."""

    def __init__(self, message: str = "not allowed") -> None:
        super().__init__(message)


class ValidationError(ValueError):
    """Input refused; ``errors`` maps a form field name to a message shown next to it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


def hub_id_of(hub: Hub | int | None) -> int:
    """The id of ``hub`` (a Hub or an id); None is refused, so a hub-less caller sees nothing."""
    if hub is None:
        raise ScopeError("hub")
    return hub if isinstance(hub, int) else hub.id


def require_admin(actor: User | None, hub_id: int) -> None:
    """Allow the system (``actor=None``: CLI, provisioning) or a hub admin of ``hub_id``; refuse others.

    An actor of another hub gets :class:`ScopeError` (the object "does not exist" for them); a
    user of the right hub without the admin role gets :class:`NotAllowed`.
    """
    if actor is None:
        return
    if actor.hub_id is None or actor.hub_id != hub_id:
        raise ScopeError()
    if actor.role != Role.HUB_ADMIN or not actor.is_active:
        raise NotAllowed()


def same_hub(obj_hub_id: int | None, hub_id: int, what: str) -> None:
    """Refuse an object that belongs to another hub."""
    if obj_hub_id is None or obj_hub_id != hub_id:
        raise ScopeError(what)


def _as_id(value: Any, what: str) -> int:
    # ids come from URLs and forms: anything that is not a plain integer is simply "not found"
    if isinstance(value, bool):
        raise ScopeError(what)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ScopeError(what) from None
    if not 0 < number <= MAX_ID:  # PostgreSQL would refuse an out-of-range integer with an error
        raise ScopeError(what)
    return number


def _one(stmt: Select[tuple[T]], what: str) -> T:
    found = db.session.scalars(stmt).first()
    if found is None:
        raise ScopeError(what)
    return found


def get_tenant_for_hub(tenant_id: Any, hub: Hub | int | None) -> Tenant:
    """The tenant ``tenant_id`` of ``hub``."""
    stmt = select(Tenant).where(Tenant.id == _as_id(tenant_id, "tenant"), Tenant.hub_id == hub_id_of(hub))
    return _one(stmt, "tenant")


def get_level_for_hub(level_id: Any, hub: Hub | int | None) -> PermissionLevel:
    """The permission level ``level_id`` of a tenant of ``hub``."""
    stmt = (
        select(PermissionLevel)
        .join(Tenant, PermissionLevel.tenant_id == Tenant.id)
        .where(PermissionLevel.id == _as_id(level_id, "permission level"), Tenant.hub_id == hub_id_of(hub))
    )
    return _one(stmt, "permission level")


def get_credential_for_hub(credential_id: Any, hub: Hub | int | None) -> BillingCredential:
    """The Billing credential ``credential_id`` of a tenant of ``hub``."""
    stmt = (
        select(BillingCredential)
        .join(Tenant, BillingCredential.tenant_id == Tenant.id)
        .where(BillingCredential.id == _as_id(credential_id, "credential"), Tenant.hub_id == hub_id_of(hub))
    )
    return _one(stmt, "credential")


def get_grant_for_hub(grant_id: Any, hub: Hub | int | None) -> AccessGrant:
    """The access grant ``grant_id`` of ``hub``."""
    stmt = (
        select(AccessGrant)
        .join(Tenant, AccessGrant.tenant_id == Tenant.id)
        .where(
            AccessGrant.id == _as_id(grant_id, "access grant"),
            AccessGrant.hub_id == hub_id_of(hub),
            Tenant.hub_id == hub_id_of(hub),
        )
    )
    return _one(stmt, "access grant")


def get_group_for_hub(group_id: Any, hub: Hub | int | None) -> AgentGroup:
    """The agent group ``group_id`` of ``hub``."""
    stmt = select(AgentGroup).where(AgentGroup.id == _as_id(group_id, "group"), AgentGroup.hub_id == hub_id_of(hub))
    return _one(stmt, "group")


def get_agent_for_hub(user_id: Any, hub: Hub | int | None) -> User:
    """The agent ``user_id`` of ``hub`` (other roles are not grantees)."""
    stmt = select(User).where(
        User.id == _as_id(user_id, "agent"), User.hub_id == hub_id_of(hub), User.role == Role.AGENT
    )
    return _one(stmt, "agent")
