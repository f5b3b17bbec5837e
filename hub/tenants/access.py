"""Access levels: which agents (directly or through a group) use which permission level on which tenant.

Revoking access calls every callable in :data:`on_access_revoked` (the tenant-session code subscribes
there) so that open tenant sessions of the affected agents end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, and_, false, or_, select

from hub.accounts.models import AgentGroup, Role, User, agent_group_members
from hub.audit import service as audit
from hub.dbtypes import MAX_ID
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


def _is_agent(user: User | None) -> bool:
    return user is not None and user.role == Role.AGENT and user.hub_id is not None and user.is_active


def _grantee(user: User) -> ColumnElement[bool]:
    """Condition on AccessGrant: a grant of the agent's hub to the agent or one of its groups there."""
    group_ids = (
        select(agent_group_members.c.agent_group_id)
        .join(AgentGroup, AgentGroup.id == agent_group_members.c.agent_group_id)
        .where(agent_group_members.c.user_id == user.id, AgentGroup.hub_id == user.hub_id)
    )
    return and_(AccessGrant.hub_id == user.hub_id,
                or_(AccessGrant.user_id == user.id, AccessGrant.agent_group_id.in_(group_ids)))


def granted_clause(user: User | None) -> ColumnElement[bool]:
    """SQL condition on :class:`Tenant`: one of the tenants :func:`agent_levels` would name.

    Lets a page filter on the agent's tenants inside the database (an ``EXISTS`` probe per tenant row)
    instead of loading every level into Python and sending the ids back as an ``IN`` list that grows
    with the number of tenants.
    """
    if not _is_agent(user):
        return false()
    assert user is not None
    granted = (select(AccessGrant.id)
               .join(PermissionLevel, PermissionLevel.id == AccessGrant.permission_level_id)
               .where(AccessGrant.tenant_id == Tenant.id, PermissionLevel.tenant_id == Tenant.id, _grantee(user)))
    return and_(Tenant.hub_id == user.hub_id, Tenant.active.is_(True), granted.exists())


def level_name_column(user: User) -> ScalarSelect[str]:
    """Correlated subquery on :class:`Tenant`: the name of the level :func:`agent_levels` picks there
    (for a page that lists tenants filtered by :func:`granted_clause`, without a query per row)."""
    return (select(PermissionLevel.name)
            .join(AccessGrant, AccessGrant.permission_level_id == PermissionLevel.id)
            .where(AccessGrant.tenant_id == Tenant.id, PermissionLevel.tenant_id == Tenant.id, _grantee(user))
            .order_by(PermissionLevel.weight.desc(), PermissionLevel.id)
            .limit(1).scalar_subquery())


def agent_levels(user: User | None, tenant_ids: Iterable[int] | None = None) -> dict[int, PermissionLevel]:
    """Tenant id -> the highest-weight level ``user`` may use there, through direct and group grants.

    Only active agents, and only active tenants of the agent's own hub, count; everyone else gets
    an empty mapping (deny by default). Equal weights resolve to the older level (lower id).
    ``tenant_ids`` limits the answer to those tenants (a page's rows, the tenant of a request), so
    the cost does not grow with every tenant the agent holds.
    """
    if not _is_agent(user):
        return {}
    assert user is not None
    stmt = (
        select(PermissionLevel)
        .join(AccessGrant, AccessGrant.permission_level_id == PermissionLevel.id)
        .join(Tenant, Tenant.id == PermissionLevel.tenant_id)
        .where(AccessGrant.tenant_id == Tenant.id, Tenant.hub_id == user.hub_id, Tenant.active.is_(True),
               _grantee(user))
        .order_by(PermissionLevel.weight.desc(), PermissionLevel.id)
    )
    if tenant_ids is not None:
        # ids come from URLs and forms: one no tenant can have must not reach the driver (overflow)
        wanted = sorted({i for i in tenant_ids if 0 < i <= MAX_ID})
        if not wanted:
            return {}
        stmt = stmt.where(Tenant.id.in_(wanted))
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
        return list(db.session.scalars(stmt.where(granted_clause(user))))
    return []
