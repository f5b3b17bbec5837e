"""Dashboard, entering (Billing login + secondary prompt), switching and leaving tenants."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts.models import Role
from hub.auth.decorators import roles_required
from hub.tenants.models import HealthStatus, Tenant
from hub.workspace import dashboard as dashboard_service
from hub.workspace import records, sessions
from hub.workspace.blueprint import agent, bp, int_arg, tenant_or_404
from hub.workspace.forms import ActionForm, SecondaryForm, SwitchForm
from hub.workspace.models import PendingTenantLogin


@bp.get("/tenants")
@roles_required(Role.AGENT)
def dashboard() -> str:
    """Every tenant the agent may enter, with health, level and session; search and health filter."""
    page = dashboard_service.dashboard(agent(), user_session_id=sessions.current_session_id(),
                                       search=request.args.get("q", ""), health=request.args.get("health", ""),
                                       page=int_arg("page"))
    return render_template("workspace/dashboard.html", page=page, form=ActionForm(), statuses=list(HealthStatus))


@bp.get("/tenants/<int:tenant_id>/enter")
@roles_required(Role.AGENT)
def enter_page(tenant_id: int) -> str:
    """The page with the "Enter" button (where a failed or ended session sends the agent)."""
    tenant = tenant_or_404(tenant_id)
    return render_template("workspace/enter.html", tenant=tenant, form=ActionForm())


def _begin(tenant: Tenant) -> Response:
    try:
        result = sessions.begin(agent(), tenant)
    except sessions.EntryError as error:
        flash(error.message, "error")
        return redirect(url_for("workspace.enter_page", tenant_id=tenant.id))
    if isinstance(result, PendingTenantLogin):
        return redirect(url_for("workspace.secondary", tenant_id=tenant.id))
    return redirect(url_for("workspace.client_list", tenant_id=tenant.id))


@bp.post("/tenants/<int:tenant_id>/enter")
@roles_required(Role.AGENT)
def enter(tenant_id: int) -> Response:
    """Log in with the Billing credential of the agent's level."""
    tenant = tenant_or_404(tenant_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _begin(tenant)


@bp.post("/tenants/switch")
@roles_required(Role.AGENT)
def switch() -> Response:
    """Go to another tenant: its open session, or the enter flow when none is open."""
    form = SwitchForm()
    # any tenant the agent may enter is a valid target, not only the few the banner lists
    tenant = sessions.tenant_for_agent(agent(), form.tenant_id.data) if form.validate_on_submit() else None
    if tenant is None:
        flash("Choose a tenant to switch to.", "error")
        return redirect(url_for("workspace.dashboard"))
    if records.open_record(agent(), tenant, sessions.current_session_id()) is not None:
        return redirect(url_for("workspace.client_list", tenant_id=tenant.id))
    return _begin(tenant)


@bp.route("/tenants/<int:tenant_id>/secondary", methods=["GET", "POST"])
@roles_required(Role.AGENT)
def secondary(tenant_id: int) -> Any:
    """The tenant asks for the agent's own Restricted credentials (and TOTP code when it wants one)."""
    tenant = tenant_or_404(tenant_id)
    pending = sessions.pending_for(agent(), tenant)
    if pending is None:
        flash(f"The login to {tenant.name} is not in progress or took too long; enter it again.", "info")
        return redirect(url_for("workspace.enter_page", tenant_id=tenant.id))
    form = SecondaryForm()
    if request.method == "GET":
        form.username.data = agent().restricted_user_id
    elif form.validate_on_submit():
        if pending.totp_required and not form.totp_code.data:
            form.totp_code.errors = ["Enter the code from your authenticator app."]
        else:
            try:
                sessions.complete(agent(), tenant, pending, form.username.data.strip(), form.password.data,
                                  form.totp_code.data)
            except sessions.EntryError as error:
                if error.restart:
                    flash(error.message, "error")
                    return redirect(url_for("workspace.enter_page", tenant_id=tenant.id))
                field = getattr(form, error.field) if error.field else None
                (field.errors if field is not None else form.form_errors).append(error.message)  # type: ignore[union-attr]
            else:
                flash(f"You are in {tenant.name}.", "success")
                return redirect(url_for("workspace.client_list", tenant_id=tenant.id))
    form.password.data = ""
    return render_template("workspace/secondary.html", tenant=tenant, form=form, pending=pending,
                           company=pending.challenge_info["billing_company"]["name"])


@bp.post("/tenants/<int:tenant_id>/leave")
@roles_required(Role.AGENT)
def leave(tenant_id: int) -> Response:
    """End the tenant session (at the tenant too) and go back to the dashboard."""
    tenant = tenant_or_404(tenant_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    record = records.open_record(agent(), tenant, sessions.current_session_id())
    if record is not None:
        sessions.leave(agent(), record)
        flash(f"You left {tenant.name}.", "info")
    return redirect(url_for("workspace.dashboard"))
