"""The ``review`` blueprint: a tenant admin's view of the hub's work in their one tenant."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from hub.accounts.models import Role
from hub.activity import pages
from hub.activity.filters import Scope
from hub.activity.pages import CsrfForm
from hub.activity.views import export_response
from hub.auth.decorators import roles_required
from hub.extensions import db
from hub.review import service
from hub.tenants.models import Tenant

bp = Blueprint("review", __name__, url_prefix="/review")
REVIEW_LINKS = {"list": "review.events", "chart": "review.chart", "export": "review.export",
                "title": "Third-party activity", "with_tenant": False}


def own_tenant() -> Tenant:
    """The tenant admin's tenant (403 when none is assigned or it is not in their hub)."""
    user = current_user._get_current_object()
    if user.tenant_id is None or user.hub_id is None:
        abort(403)
    tenant = db.session.scalars(
        select(Tenant).where(Tenant.id == user.tenant_id, Tenant.hub_id == user.hub_id)
    ).first()
    if tenant is None:
        abort(403)
    return tenant


def review_scope(tenant: Tenant) -> Scope:
    """Third-party events of the tenant only (of the hub's billing company, when the hub names it)."""
    return Scope(hub_id=tenant.hub_id, tenant_id=tenant.id, third_party_only=True,
                 billing_company_ref=tenant.hub.billing_company_ref)


@bp.get("")
@roles_required(Role.TENANT_ADMIN)
def events() -> Any:
    """Every third-party action in the tenant, with both identities, a page at a time; and the seat check."""
    tenant = own_tenant()
    scope = review_scope(tenant)
    view = pages.build(scope, request.args, with_tenant=False)
    html = render_template("review/review.html", tenant=tenant, view=view, links=REVIEW_LINKS,
                           run=service.latest_run(tenant.id), direct=service.direct_logins(scope), form=CsrfForm())
    return html, view.status


@bp.get("/chart")
@roles_required(Role.TENANT_ADMIN)
def chart() -> Any:
    """Activity per staff member over time (table and chart)."""
    tenant = own_tenant()
    view = pages.build(review_scope(tenant), request.args, with_tenant=False, charts=("staff",))
    return render_template("activity/chart.html", view=view, links=REVIEW_LINKS), view.status


@bp.get("/export.csv")
@roles_required(Role.TENANT_ADMIN)
def export() -> Any:
    """The tenant's third-party events of the current filter as CSV (audited)."""
    tenant = own_tenant()
    return export_response(review_scope(tenant), with_tenant=False, page="review",
                           filename="third-party-activity.csv", back="review.events")


@bp.post("/seat-check")
@roles_required(Role.TENANT_ADMIN)
def seat_check() -> Any:
    """Ask the tenant now which billing-company accounts it charges as seats."""
    tenant = own_tenant()
    if not CsrfForm().validate_on_submit():
        abort(400)
    run = service.run_seat_check(tenant, actor=current_user._get_current_object())
    if run.outcome == "ok":
        flash(f"Seat check done: {run.charged} of {run.accounts} billing-company accounts are charged.", "info")
    else:
        flash(f"The seat check failed: {run.error_message}", "error")
    return redirect(url_for("review.events") + "#seats")
