"""The agent dashboard: every tenant the agent may enter, with health, level and open session.

Built from two fixed queries whatever the number of tenants: the count and one page of the agent's
tenants, filtered inside the database (an ``EXISTS`` on the grants) with the agent's level and an
``EXISTS`` for the open session as columns. 1,000 tenants cost no more statements, parameters or
loaded rows than ten: nothing per tenant the agent holds is loaded into Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select

from hub import clock
from hub.accounts.models import User
from hub.extensions import db
from hub.tenants.models import HealthStatus, Tenant
from hub.tenants.service import granted_clause, level_name_column
from hub.workspace.models import TenantSessionRecord
from hub.workspace.records import open_clause

PER_PAGE = 25
#: at most this many tenants in the banner's switcher
SWITCHER_LIMIT = 50


@dataclass(frozen=True, slots=True)
class DashboardRow:
    """One tenant as the dashboard lists it."""

    tenant_id: int
    name: str
    health_status: str
    last_contact_at: datetime | None
    last_error_at: datetime | None
    last_error_code: str | None
    last_error_message: str | None
    level_name: str
    session_open: bool


@dataclass(frozen=True, slots=True)
class DashboardPage:
    """One page of the dashboard."""

    rows: tuple[DashboardRow, ...]
    total: int
    page: int
    pages: int
    search: str
    health: str


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern with ``\\`` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def dashboard(
    user: User, *, user_session_id: int | None, search: str = "", health: str = "", page: int = 1,
    per_page: int = PER_PAGE,
) -> DashboardPage:
    """The agent's tenants matching ``search`` (name contains) and ``health`` (a status), paginated."""
    search = search.strip()[:100]
    health = health if health in {s.value for s in HealthStatus} else ""
    session_open = exists().where(open_clause(user.id, user_session_id, clock.now()),
                                  TenantSessionRecord.tenant_id == Tenant.id)
    where = [granted_clause(user)]
    if search:
        where.append(func.lower(Tenant.name).like(f"%{escape_like(search.lower())}%", escape="\\"))
    if health:
        where.append(Tenant.health_status == health)
    total = db.session.scalar(select(func.count(Tenant.id)).where(*where)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    stmt = (select(Tenant.id, Tenant.name, Tenant.health_status, Tenant.last_contact_at, Tenant.last_error_at,
                   Tenant.last_error_code, Tenant.last_error_message, level_name_column(user).label("level_name"),
                   session_open.label("session_open"))
            .where(*where).order_by(func.lower(Tenant.name), Tenant.id)
            .limit(per_page).offset((page - 1) * per_page))
    rows = tuple(
        DashboardRow(r.id, r.name, str(r.health_status), r.last_contact_at, r.last_error_at, r.last_error_code,
                     r.last_error_message, r.level_name, bool(r.session_open))
        for r in db.session.execute(stmt)
    )
    return DashboardPage(rows, total, page, pages, search, health)


def switcher_choices(user: User, *, user_session_id: int | None, current_tenant_id: int | None = None,
                     limit: int = SWITCHER_LIMIT) -> list[tuple[int, str]]:
    """(id, name) of the banner's tenant switcher, by name: the tenants the agent has a session open in
    (in this hub login session) plus the current one, never every tenant the agent may enter (the
    dashboard's search finds those); ``limit`` bounds the list whatever happens."""
    open_here = exists().where(open_clause(user.id, user_session_id, clock.now()),
                               TenantSessionRecord.tenant_id == Tenant.id)
    shown = open_here if current_tenant_id is None else or_(Tenant.id == current_tenant_id, open_here)
    stmt = (select(Tenant.id, Tenant.name)
            .where(granted_clause(user), shown)
            .order_by(func.lower(Tenant.name), Tenant.id).limit(limit))
    return [(r.id, r.name) for r in db.session.execute(stmt)]
