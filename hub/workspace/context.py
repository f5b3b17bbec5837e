"""The open tenant a request works in: :class:`Workspace` and the :func:`tenant_required` decorator.

A view under ``/tenants/<int:tenant_id>/...`` decorated with :func:`tenant_required` runs only for an
agent with an open session in that tenant, finds it in ``flask.g.workspace``, and may let any
:class:`~tenant_connectors.base.TenantError` escape: it becomes a page with a clear message (or,
for an ended session, a redirect to the enter page), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from hub import clock
from hub.accounts.models import Role
from hub.dbtypes import MAX_ID
from hub.extensions import db, login_manager
from hub.tenants import health
from hub.tenants.connectors import connector_for
from hub.tenants.models import HealthStatus, Tenant
from hub.workspace import hooks, records, sessions
from hub.workspace.errors import describe, record_health
from hub.workspace.models import TenantSessionRecord
from tenant_connectors.base import TenantConnector, TenantError, TenantSession

F = TypeVar("F", bound=Callable[..., Any])

#: last_used_at / tenant last contact are written at most this often
TOUCH_INTERVAL = timedelta(seconds=30)
#: statuses a working call clears (auth_failed needs a new login to be judged, misconfigured a seat check)
_RECOVERABLE = frozenset({HealthStatus.UNKNOWN, HealthStatus.UNAVAILABLE, HealthStatus.PROTOCOL_ERROR})


@dataclass(frozen=True, slots=True)
class Workspace:
    """The tenant a request works in, with the connector and the open session to reach it."""

    tenant: Tenant
    connector: TenantConnector
    session: TenantSession
    record_id: int
    #: the hub-side row (banner, warnings); detached use only within the request
    record: TenantSessionRecord | None = None

    def allows(self, permission: str) -> bool:
        """Whether the Billing user's permission group grants ``permission``."""
        return self.session.allows(permission)


def current_workspace() -> Workspace:
    """The request's workspace (only inside a :func:`tenant_required` view)."""
    return g.workspace


def tenant_required(view: F) -> F:
    """Require an agent with an open session in the URL's ``tenant_id``; turn tenant errors into pages."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != Role.AGENT:
            abort(403)
        user = current_user._get_current_object()
        if not 0 < kwargs["tenant_id"] <= MAX_ID:
            abort(404)  # no tenant has it, and the database driver would refuse to even compare it
        # access is re-judged on every request: a grant revoked, a group membership removed or a
        # level changed since the session opened ends that session here, before any tenant call
        if hooks.end_unentitled_sessions(user.id, kwargs["tenant_id"], "access_changed"):
            db.session.commit()
        tenant = sessions.tenant_for_agent(user, kwargs["tenant_id"])
        if tenant is None:
            abort(404)
        record = records.open_record(user, tenant, sessions.current_session_id())
        session = None if record is None else records.contract_session(record)
        if record is None or session is None:
            if record is not None:
                sessions.expire(user, record, "token_unreadable")
            flash(f"You have no open session in {tenant.name}; enter it first.", "info")
            return redirect(url_for("workspace.enter_page", tenant_id=tenant.id))
        g.workspace = Workspace(tenant=tenant, connector=connector_for(tenant), session=session,
                                record_id=record.id, record=record)
        try:
            response = view(*args, **kwargs)
        except TenantError as error:
            return tenant_error_page(user, tenant, record, error)
        _touch(tenant, record)
        return response

    return wrapped  # type: ignore[return-value]


def _touch(tenant: Tenant, record: TenantSessionRecord) -> None:
    now = clock.now()
    # a tenant that just failed is marked healthy again by the first call that works
    recovering = tenant.health_status in _RECOVERABLE
    if now - record.last_used_at < TOUCH_INTERVAL and not recovering:
        return
    record.last_used_at = now
    if recovering or tenant.health_status == HealthStatus.OK:
        health.record_contact(tenant)
    db.session.commit()


def tenant_error_page(user: Any, tenant: Tenant, record: TenantSessionRecord, error: TenantError) -> Any:
    """The page (or redirect) for a tenant error raised inside a workspace view."""
    db.session.rollback()  # nothing partial of the failed request is kept
    problem = describe(error)
    if problem.session_over:
        sessions.expire(user, record, "expired")
        flash(problem.message, "warning")
        return redirect(url_for("workspace.enter_page", tenant_id=tenant.id))
    record_health(tenant, error)
    db.session.commit()
    return render_template("workspace/problem.html", message=problem.message, tenant=tenant), problem.status
