"""Payer changes: add (with the rank push-down preview), edit, status change, make Remainder.

Each form is checked against the shared payer rules before the tenant is called; a refusal the
tenant still answers (``ValidationFailed``) is shown at the matching fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from hub.workspace import payers
from hub.workspace.blueprint import bp
from hub.workspace.context import current_workspace, tenant_required
from hub.workspace.forms import NewPayerForm, PayerTermsForm, RemainderForm, StatusForm, choices
from tenant_connectors.base import (
    ClientPayer,
    Distribution,
    NewClientPayer,
    PayerRank,
    PayerStatus,
    RemainderMove,
    StatusChangeRequest,
    ValidationFailed,
)

#: tenant field names that differ from the form's
_FIELD_ALIASES = {"payer_id": "payer", "client_payer_id": "payer", "new_payer": "payer"}


def show_errors(form: FlaskForm, errors: Mapping[str, Sequence[str]]) -> None:
    """Put ``errors`` next to the form's fields (unknown names go to the top of the form)."""
    for name, messages in errors.items():
        name = _FIELD_ALIASES.get(name, name)
        field = form._fields.get(name)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):  # WTForms keeps an unvalidated field's errors in a tuple
            field.errors = target = list(target)  # type: ignore[union-attr]
        target.extend(messages)


def _payer_or_404(client_id: str, client_payer_id: str) -> tuple[tuple[ClientPayer, ...], ClientPayer]:
    ws = current_workspace()
    all_payers = ws.connector.list_client_payers(ws.session, client_id)
    current = next((p for p in all_payers if p.client_payer_id == client_payer_id), None)
    if current is None:
        abort(404)
    return all_payers, current


def _to_client(client_id: str) -> Response:
    return redirect(url_for("workspace.client_detail", tenant_id=current_workspace().tenant.id, client_id=client_id))


@bp.route("/tenants/<int:tenant_id>/clients/<client_id>/payers/new", methods=["GET", "POST"])
@tenant_required
def payer_new(tenant_id: int, client_id: str) -> Any:
    """Attach a directory payer; a taken rank first shows how the other ranks move down."""
    ws = current_workspace()
    form = NewPayerForm()
    form.payer.choices = choices((p.payer_id, p.name) for p in payers.directory(ws))
    moves: list[payers.RankMove] = []
    if form.validate_on_submit():
        new = NewClientPayer(payer_id=form.payer.data, rank=PayerRank(int(form.rank.data)),
                             distribution=Distribution(form.distribution.data), amount=form.amount.parsed,
                             pay_start=form.pay_start.data, pay_end=form.pay_end.data, week_start_day=form.week_start)
        current = ws.connector.list_client_payers(ws.session, client_id)
        errors, moves = payers.check_new(current, new)
        if errors:
            show_errors(form, errors)
        elif moves and form.confirm.data != "yes":
            form.confirm.data = "yes"
            return render_template("workspace/payer_confirm.html", form=form, moves=moves, client_id=client_id,
                                   rank_label=new.rank.label)
        else:
            try:
                payers.add_payer(ws, client_id, new)
            except ValidationFailed as refusal:
                show_errors(form, refusal.field_errors or {"payer": [refusal.message]})
            else:
                flash("Payer added.", "success")
                return _to_client(client_id)
    form.confirm.data = ""
    return render_template("workspace/payer_form.html", form=form, client_id=client_id, title="Add a payer")


@bp.route("/tenants/<int:tenant_id>/clients/<client_id>/payers/<client_payer_id>/edit", methods=["GET", "POST"])
@tenant_required
def payer_edit(tenant_id: int, client_id: str, client_payer_id: str) -> Any:
    """Edit rank, distribution, amount, week start day and dates of a client payer."""
    all_payers, current = _payer_or_404(client_id, client_payer_id)
    form = PayerTermsForm(data=_terms_data(current))
    if form.validate_on_submit():
        change = payers.edit_change(current, rank=PayerRank(int(form.rank.data)),
                                    distribution=Distribution(form.distribution.data), amount=form.amount.parsed,
                                    week_start_day=form.week_start, pay_start=form.pay_start.data,
                                    pay_end=form.pay_end.data)
        errors = payers.check_change(all_payers, current, change)
        if errors:
            show_errors(form, errors)
        else:
            try:
                payers.update_payer(current_workspace(), client_id, current, change)
            except ValidationFailed as refusal:
                show_errors(form, refusal.field_errors or {"rank": [refusal.message]})
            else:
                flash("Payer updated.", "success")
                return _to_client(client_id)
    return render_template("workspace/payer_form.html", form=form, client_id=client_id, payer=current,
                           title=f"Edit {current.payer_name}")


def _terms_data(payer: ClientPayer) -> dict[str, Any]:
    return {"rank": str(int(payer.rank)), "distribution": payer.distribution.value,
            "amount": "" if payer.amount is None else f"{payer.amount:f}",
            "week_start_day": "" if payer.week_start_day is None else str(payer.week_start_day),
            "pay_start": payer.pay_start, "pay_end": payer.pay_end}


@bp.post("/tenants/<int:tenant_id>/clients/<client_id>/payers/<client_payer_id>/status")
@tenant_required
def payer_status(tenant_id: int, client_id: str, client_payer_id: str) -> Any:
    """Change a payer's status (leaving Active needs a note); errors show on the payer page."""
    ws = current_workspace()
    _, current = _payer_or_404(client_id, client_payer_id)
    form = StatusForm()
    if form.validate_on_submit():
        request = StatusChangeRequest(PayerStatus(form.status.data), form.effective_date.data, form.note.data or "")
        errors = payers.check_status(current, request)
        if errors:
            show_errors(form, errors)
        else:
            try:
                payers.change_status(ws, client_id, current, request)
            except ValidationFailed as refusal:
                show_errors(form, refusal.field_errors or {"status": [refusal.message]})
            else:
                flash(f"Status changed to {request.status.value.title()}.", "success")
                return redirect(url_for("workspace.payer_detail", tenant_id=tenant_id, client_id=client_id,
                                        client_payer_id=client_payer_id))
    history = ws.connector.status_history(ws.session, client_id, client_payer_id)
    return render_template("workspace/payer.html", payer=current, history=history, client_id=client_id,
                           form=form), 422


@bp.route("/tenants/<int:tenant_id>/clients/<client_id>/payers/<client_payer_id>/remainder",
          methods=["GET", "POST"])
@tenant_required
def make_remainder(tenant_id: int, client_id: str, client_payer_id: str) -> Any:
    """Make this payer the Remainder payer in one step; asks what becomes of the current one."""
    all_payers, target = _payer_or_404(client_id, client_payer_id)
    previous = next((p for p in all_payers if p.is_remainder), None)
    form = RemainderForm()
    if form.validate_on_submit():
        change = form.previous_action.data == "change"
        if change and not form.previous_distribution.data:
            show_errors(form, {"previous_distribution": ["Choose the current Remainder payer's new distribution."]})
            return _remainder_page(form, target, previous, client_id)
        move = RemainderMove(
            note=form.note.data, effective_date=form.effective_date.data, client_payer_id=target.client_payer_id,
            previous_status=PayerStatus.ACTIVE if change else PayerStatus.INACTIVE,
            previous_distribution=Distribution(form.previous_distribution.data) if change else None,
            previous_amount=form.previous_amount.parsed if change else None)
        errors = payers.check_remainder_move(all_payers, target, move)
        if errors:
            show_errors(form, errors)
        else:
            try:
                payers.move_remainder(current_workspace(), client_id, target, move)
            except ValidationFailed as refusal:
                show_errors(form, refusal.field_errors or {"previous_action": [refusal.message]})
            else:
                flash(f"{target.payer_name} is now the Remainder payer.", "success")
                return _to_client(client_id)
    return _remainder_page(form, target, previous, client_id)


def _remainder_page(form: RemainderForm, target: ClientPayer, previous: ClientPayer | None, client_id: str) -> Any:
    status = 422 if form.errors or form.form_errors else 200
    return render_template("workspace/remainder.html", form=form, target=target, previous=previous,
                           client_id=client_id), status
