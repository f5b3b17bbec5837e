"""Client list, client page (payers in rank order with authorizations) and a payer's history."""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from hub.workspace import payers
from hub.workspace.blueprint import bp, int_arg
from hub.workspace.context import current_workspace, tenant_required
from hub.workspace.forms import StatusForm


@bp.get("/tenants/<int:tenant_id>/clients")
@tenant_required
def client_list(tenant_id: int) -> str:
    """Search the tenant's clients."""
    search = request.args.get("q", "")
    page = int_arg("page")
    result = payers.search_clients(current_workspace(), search, page)
    pages = max(1, -(-result.total // payers.CLIENTS_PER_PAGE))
    return render_template("workspace/clients.html", result=result, search=search, page=page, pages=pages)


@bp.get("/tenants/<int:tenant_id>/clients/<client_id>")
@tenant_required
def client_detail(tenant_id: int, client_id: str) -> str:
    """A client's payers in rank order, with their authorizations."""
    overview = payers.client_overview(current_workspace(), client_id)
    return render_template("workspace/client.html", overview=overview, client_id=client_id,
                           has_split="split.preview" in current_app.view_functions)


@bp.get("/tenants/<int:tenant_id>/clients/<client_id>/payers/<client_payer_id>")
@tenant_required
def payer_detail(tenant_id: int, client_id: str, client_payer_id: str) -> str:
    """One client payer: its terms, status history and the status-change form."""
    payer, history = payers.payer_with_history(current_workspace(), client_id, client_payer_id)
    if payer is None:
        abort(404)
    return render_template("workspace/payer.html", payer=payer, history=history, client_id=client_id,
                           form=StatusForm(formdata=None, data={"status": payer.status.value}))
