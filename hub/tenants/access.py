"""Access levels: which agents (directly or through a group) use which permission level on which tenant.

Revoking access calls every callable in :data:`on_access_revoked` (the tenant-session code subscribes
there) so that open tenant sessions of the affected agents end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select

from hub.accounts.models import AgentGroup, Role, User, agent_group_members
from hub.audit import service as audit
from hub.extensions import db
from hub.tenants.models import AccessGrant, PermissionLevel, Tenant
from hub.tenants.scope import ScopeError, ValidationError, require_admin, same_hub

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RevokedAccess:
    """What a revocation took away, handed to the :data:`on_access_revoked` subscribers."""

    grant_id: int
    hub_id: int
    tenant_id: int
    permission_level_id: int
    #: the agents who held the grant (the user, or the group's members at revocation time)
    user_ids: tuple[int, ...]


#: subscribers called after every revocation (signal-like); a failing subscriber is logged, not raised,
#: so one broken subscriber cannot keep access from being revoked
on_access_revoked: list[Callable[[RevokedAccess], None]] = []


def grant_access(
    *,
    permission_level: PermissionLevel,
    actor: User | None,
    user: User | None = None,
    group: AgentGroup | None = None,
    tenant: Tenant | None = None,
) -> AccessGrant:
    """Let one agent or one agent group use ``permission_level``; an existing identical grant is returned."""
    level_tenant = permission_level.tenant
    hub_id = level_tenant.hub_id
    require_admin(actor, hub_id)
    if tenant is not None and tenant.id != level_tenant.id:
        raise ScopeError("permission level")
    if (user is None) == (group is None):
        raise ValidationError({"grantee": "Choose either an agent or an agent group."})
    if user is not None:
        same_hub(user.hub_id, hub_id, "agent")
        if user.role != Role.AGENT:
            raise ValidationError({"grantee": "Access levels are granted to agents only."})
    if group is not None:
        same_hub(group.hub_id, hub_id, "group")
    existing = db.session.scalars(
        select(AccessGrant).where(
            AccessGrant.permission_level_id == permission_level.id,
            AccessGrant.user_id == (None if user is None else user.id),
            AccessGrant.agent_group_id == (None if group is None else group.id),
        )
    ).first()
    if existing is not None:
        return existing
    grant = AccessGrant(
        hub_id=hub_id,
        tenant_id=level_tenant.id,
        permission_level_id=permission_level.id,
        user_id=None if user is None else user.id,
        agent_group_id=None if group is None else group.id,
    )
    db.session.add(grant)
    db.session.flush()
    audit.record(
        "access.granted",
        actor=actor,
        hub_id=hub_id,
        tenant_id=level_tenant.id,
        target_type="access_grant",
        target_id=grant.id,
        detail=_grant_detail(grant),
    )
    db.session.flush()
    return grant


def _grant_detail(grant: AccessGrant) -> dict[str, int | None]:
    return {
        "permission_level_id": grant.permission_level_id,
        "user_id": grant.user_id,
        "agent_group_id": grant.agent_group_id,
    }


def _holders(grant: AccessGrant) -> tuple[int, ...]:
    if grant.user_id is not None:
        return (grant.user_id,)
    members = db.session.scalars(
        select(agent_group_members.c.user_id).where(agent_group_members.c.agent_group_id == grant.agent_group_id)
    )
    return tuple(sorted(members))


def revoke_access(grant: AccessGrant, *, actor: User | None) -> RevokedAccess:
    """Remove a grant, audit it, then tell the subscribers so open tenant sessions end."""
    require_admin(actor, grant.hub_id)
    same_hub(grant.tenant.hub_id, grant.hub_id, "access grant")
    revoked = RevokedAccess(
        grant_id=grant.id,
        hub_id=grant.hub_id,
        tenant_id=grant.tenant_id,
        permission_level_id=grant.permission_level_id,
        user_ids=_holders(grant),
    )
    audit.record(
        "access.revoked",
        actor=actor,
        hub_id=grant.hub_id,
        tenant_id=grant.tenant_id,
        target_type="access_grant",
        target_id=grant.id,
        detail=_grant_detail(grant),
    )
    db.session.delete(grant)
    db.session.flush()
    notify_revoked(revoked)
    return revoked


def notify_revoked(revoked: RevokedAccess) -> None:
    """Call every :data:`on_access_revoked` subscriber."""
    for subscriber in list(on_access_revoked):
        try:
            subscriber(revoked)
        except Exception:
            logger.exception("access-revoked subscriber %r failed for grant %s", subscriber, revoked.grant_id)


def agent_levels(user: User | None) -> dict[int, PermissionLevel]:
    """Tenant id -> the highest-weight level ``user`` may use there, through direct and group grants.

    Only active agents, and only active tenants of the agent's own hub, count; everyone else gets
    an empty mapping (deny by default). Equal weights resolve to the older level (lower id).
    """
    if user is None or user.role != Role.AGENT or user.hub_id is None or not user.is_active:
        return {}
    group_ids = (
        select(agent_group_members.c.agent_group_id)
        .join(AgentGroup, AgentGroup.id == agent_group_members.c.agent_group_id)
        .where(agent_group_members.c.user_id == user.id, AgentGroup.hub_id == user.hub_id)
    )
    stmt = (
        select(PermissionLevel)
        .join(AccessGrant, AccessGrant.permission_level_id == PermissionLevel.id)
        .join(Tenant, Tenant.id == PermissionLevel.tenant_id)
        .where(
            AccessGrant.hub_id == user.hub_id,
            AccessGrant.tenant_id == Tenant.id,
            Tenant.hub_id == user.hub_id,
            Tenant.active.is_(True),
            or_(AccessGrant.user_id == user.id, AccessGrant.agent_group_id.in_(group_ids)),
        )
        .order_by(PermissionLevel.weight.desc(), PermissionLevel.id)
    )
    best: dict[int, PermissionLevel] = {}
    for level in db.session.scalars(stmt).unique():
        best.setdefault(level.tenant_id, level)
    return best


def tenants_for(user: User | None) -> list[Tenant]:
    """The tenants ``user`` may see, by name: all active ones of the hub for its admin, the granted
    ones for an agent, the one tenant of a tenant admin; none for support or anyone else."""
    if user is None or user.hub_id is None or not user.is_active:
        return []
    stmt = select(Tenant).where(Tenant.hub_id == user.hub_id, Tenant.active.is_(True)).order_by(Tenant.name)
    if user.role == Role.HUB_ADMIN:
        return list(db.session.scalars(stmt))
    if user.role == Role.TENANT_ADMIN:
        if user.tenant_id is None:
            return []
        return list(db.session.scalars(stmt.where(Tenant.id == user.tenant_id)))
    if user.role == Role.AGENT:
        ids = list(agent_levels(user))
        return list(db.session.scalars(stmt.where(Tenant.id.in_(ids)))) if ids else []
    return []
