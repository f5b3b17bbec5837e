"""The split preview page: ``/tenants/<tenant_id>/clients/<client_id>/split``."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from hub.split.forms import SplitForm
from hub.split.service import SplitPreview, load_client, preview_split
from hub.workspace.context import current_workspace, tenant_required

bp = Blueprint("split", __name__)


@bp.route("/tenants/<int:tenant_id>/clients/<client_id>/split", methods=["GET", "POST"])
@tenant_required
def preview(tenant_id: int, client_id: str) -> str:
    """Show the invoice form; on a valid submission, the split among the client's active payers."""
    workspace = current_workspace()
    client = load_client(workspace, client_id)
    form = SplitForm()
    result: SplitPreview | None = None
    if form.validate_on_submit():
        invoice = form.invoice()
        if invoice is not None:
            result = preview_split(workspace, client_id, invoice, actor=current_user._get_current_object())
    return render_template("split/preview.html", form=form, client=client, preview=result,
                           tenant_id=tenant_id, client_id=client_id)
