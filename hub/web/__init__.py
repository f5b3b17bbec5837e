"""The hub's own pages: the start page per role and the health check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from hub.accounts.models import Role, User
from hub.extensions import db
from hub.tenants.access import granted_clause, level_name_column
from hub.tenants.models import HealthStatus, Tenant

bp = Blueprint("web", __name__)


#: tenants needing attention listed on an agent's start page (the rest are one click away on /tenants)
ATTENTION_LIMIT = 10
#: what needs attention: the hub saw a problem (never contacted, ``unknown``, is not one yet)
PROBLEMS = (HealthStatus.UNAVAILABLE, HealthStatus.PROTOCOL_ERROR, HealthStatus.AUTH_FAILED, HealthStatus.MISCONFIGURED)


@dataclass(frozen=True, slots=True)
class AgentOverview:
    """An agent's start page: how many tenants by health, and the first few with a problem."""

    total: int
    by_status: dict[str, int]
    attention: list[tuple[Tenant, str]]
    more_attention: int


def agent_overview(user: User) -> AgentOverview:
    """Counted and limited in the database, so the page costs the same for 5 tenants or 5,000."""
    mine = granted_clause(user)  # the agent's hub, active tenants, granted
    by_status = {str(status): int(n) for status, n in db.session.execute(
        select(Tenant.health_status, func.count()).where(mine).group_by(Tenant.health_status))}
    attention = [(tenant, level or "") for tenant, level in db.session.execute(
        select(Tenant, level_name_column(user)).where(mine, Tenant.health_status.in_(PROBLEMS))
        .order_by(Tenant.name, Tenant.id).limit(ATTENTION_LIMIT))]
    needing = sum(n for status, n in by_status.items() if status in PROBLEMS)
    return AgentOverview(sum(by_status.values()), by_status, attention, max(0, needing - len(attention)))


@bp.route("/")
def home() -> Any:
    """The start page: what this role can do from here."""
    user: User = current_user._get_current_object()
    context: dict[str, Any] = {"user": user, "role": Role(user.role)}
    if user.role == Role.AGENT:
        context["overview"] = agent_overview(user)
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
