"""The hub's own pages: the start page per role and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import select, text

from hub.accounts.models import Role, User
from hub.extensions import db
from hub.tenants.models import AccessGrant, PermissionLevel, Tenant

bp = Blueprint("web", __name__)


def _agent_levels(user: User) -> dict[int, PermissionLevel]:
    """Tenant id → the level the agent may use there (the tenants service decides when present)."""
    try:
        from hub.tenants.service import agent_levels
    except ImportError:  # the tenants service is not there yet: direct and group grants, highest weight
        agent_levels = None
    if agent_levels is not None:
        return agent_levels(user)
    group_ids = [g.id for g in user.groups]
    grantee = AccessGrant.user_id == user.id
    if group_ids:
        grantee = grantee | AccessGrant.agent_group_id.in_(group_ids)
    grants = db.session.scalars(select(AccessGrant).where(AccessGrant.hub_id == user.hub_id, grantee))
    best: dict[int, PermissionLevel] = {}
    for access in grants:
        current = best.get(access.tenant_id)
        if current is None or access.permission_level.weight > current.weight:
            best[access.tenant_id] = access.permission_level
    return best


def _agent_tenants(user: User) -> list[tuple[Tenant, PermissionLevel]]:
    levels = _agent_levels(user)
    if not levels:
        return []
    tenants = db.session.scalars(
        select(Tenant).where(Tenant.id.in_(levels), Tenant.hub_id == user.hub_id, Tenant.active.is_(True))
        .order_by(Tenant.name)
    )
    return [(tenant, levels[tenant.id]) for tenant in tenants]


@bp.route("/")
def home() -> Any:
    """The start page: what this role can do from here."""
    user: User = current_user._get_current_object()
    context: dict[str, Any] = {"user": user, "role": Role(user.role)}
    if user.role == Role.AGENT:
        context["tenants"] = _agent_tenants(user)
        # tenant entry belongs to the workspace pages, when they are installed
        context["can_enter"] = "workspace.enter_page" in current_app.view_functions
    elif user.role == Role.TENANT_ADMIN and user.tenant_id is not None:
        context["tenant"] = db.session.scalars(
            select(Tenant).where(Tenant.id == user.tenant_id, Tenant.hub_id == user.hub_id)
        ).first()
    return render_template("web/home.html", **context)


@bp.route("/healthz")
def healthz() -> Any:
    """Liveness and database reachability, for load balancers (public, says nothing else)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready", never a stack trace
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


def role_label(role: str) -> str:
    """Screen label of a role value (unknown values shown as they are)."""
    try:
        return Role(role).label
    except ValueError:
        return str(role)


def init_web(app: Flask) -> None:
    """Register the web blueprint and the template helpers of the hub's pages."""
    app.register_blueprint(bp)
    app.jinja_env.filters["role_label"] = role_label
