"""The ``activity`` blueprint: the hub-wide dashboard, its CSV export and "sync now" with progress."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from hub.accounts.models import Role
from hub.activity import pages, syncnow
from hub.activity.export import csv_lines, start_export
from hub.activity.filters import Scope
from hub.activity.pages import CsrfForm
from hub.auth.decorators import roles_required
from hub.extensions import db
from hub.sync.models import SyncState
from hub.tenants.models import Tenant
from hub.tenants.scope import ScopeError, get_tenant_for_hub

bp = Blueprint("activity", __name__, url_prefix="/activity")
STAFF_ROLES = (Role.HUB_ADMIN, Role.AGENT)
#: endpoints the shared templates link to (the review passes its own)
DASHBOARD_LINKS = {"list": "activity.dashboard", "chart": "activity.chart", "export": "activity.export",
                   "title": "Activity across tenants"}


def hub_scope() -> Scope:
    """Everything of the visitor's hub (the roles allowed here always belong to one).

    The hub's billing company rides along: it is what the filter's "Our billing company" means.
    """
    if current_user.hub_id is None or current_user.hub is None:
        abort(403)
    return Scope(hub_id=current_user.hub_id, billing_company_ref=current_user.hub.billing_company_ref)


def _tenant_or_404(tenant_id: int) -> Tenant:
    try:
        return get_tenant_for_hub(tenant_id, current_user.hub_id)
    except ScopeError:
        abort(404)


@bp.get("")
@roles_required(*STAFF_ROLES)
def dashboard() -> Any:
    """Every tenant's synced events, filtered, a page at a time, with the activity charts."""
    scope = hub_scope()
    view = pages.build(scope, request.args, with_tenant=True)
    states = {s.tenant_id: s for s in db.session.scalars(select(SyncState).where(SyncState.hub_id == scope.hub_id))}
    html = render_template("activity/dashboard.html", view=view, states=states, form=CsrfForm(),
                           links=DASHBOARD_LINKS)
    return html, view.status


@bp.get("/chart")
@roles_required(*STAFF_ROLES)
def chart() -> Any:
    """Activity over time per tenant and per staff member, for the current filter."""
    view = pages.build(hub_scope(), request.args, with_tenant=True, charts=("tenant", "staff"))
    return render_template("activity/chart.html", view=view, links=DASHBOARD_LINKS), view.status


@bp.get("/export.csv")
@roles_required(*STAFF_ROLES)
def export() -> Any:
    """The current filter as CSV (audited before the first row leaves)."""
    scope = hub_scope()
    return export_response(scope, with_tenant=True, page="activity", filename="hub-activity.csv",
                           back="activity.dashboard")


def export_response(scope: Scope, *, with_tenant: bool, page: str, filename: str, back: str) -> Any:
    """Shared by the dashboard and the review: 400 page for a bad filter, else the streamed file."""
    flt, errors = pages.parse(scope, request.args, with_tenant=with_tenant)
    if flt is None:
        back_url = url_for(back, **request.args.to_dict())
        return render_template("activity/bad_request.html", errors=errors, back=back_url), 400
    _count, max_id = start_export(scope, flt, actor=current_user._get_current_object(), page=page)
    body = stream_with_context(csv_lines(scope, flt, max_id=max_id))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/sync/<int:tenant_id>")
@roles_required(*STAFF_ROLES)
def sync_now(tenant_id: int) -> Any:
    """Start pulling one tenant now, then show its progress."""
    tenant = _tenant_or_404(tenant_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        syncnow.request_sync(tenant, actor=current_user._get_current_object())
        flash(f"Sync of {tenant.name} started.", "info")
    except syncnow.SyncRefused as refused:
        flash(refused.message, "error")
    return redirect(url_for("activity.sync_progress", tenant_id=tenant.id))


@bp.get("/sync/<int:tenant_id>")
@roles_required(*STAFF_ROLES)
def sync_progress(tenant_id: int) -> str:
    """The tenant's sync progress (refreshed by static/activity.js, or a meta refresh without JS)."""
    tenant = _tenant_or_404(tenant_id)
    return render_template("activity/sync.html", tenant=tenant, progress=syncnow.progress(tenant), form=CsrfForm())


@bp.get("/sync/<int:tenant_id>.json")
@roles_required(*STAFF_ROLES)
def sync_progress_json(tenant_id: int) -> Any:
    """The progress as JSON (polled by the progress page)."""
    tenant = _tenant_or_404(tenant_id)
    return jsonify(syncnow.progress(tenant).as_json())
