"""Tenant API: a client's payers - list, add, edit, status, history and the Remainder move."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy import select

from tenant_connectors.base import AuditAction, Permission
from tenant_connectors.sandbox import payers
from tenant_connectors.sandbox.errors import validation_failed
from tenant_connectors.sandbox.models import StatusHistory
from tenant_connectors.sandbox.parsing import parse_new_payer, parse_remainder_move, parse_status_request
from tenant_connectors.sandbox.pipeline import Call, json_body, tenant_call
from tenant_connectors.sandbox.serialize import client_payer_json, status_change_json

bp = Blueprint("sandbox_payers", __name__, url_prefix="/t/<slug>/api/v1/clients/<client_id>")

Reply = tuple[Any, int]


def _items(call: Call, client_id: str) -> list[dict[str, Any]]:
    client = payers.get_client(call.db, call.company, client_id)
    names = payers.payer_names(call.db, call.company)
    return [client_payer_json(cp, names.get(cp.payer_id, "")) for cp in payers.client_payers(call.db, client)]


def _one(call: Call, cp: Any) -> dict[str, Any]:
    names = payers.payer_names(call.db, call.company)
    return client_payer_json(cp, names.get(cp.payer_id, ""))


@bp.get("/payers")
@tenant_call(AuditAction.VIEW, "client_payer", permission=Permission.PAYERS_READ, entity_arg="client_id")
def list_client_payers(call: Call, client_id: str) -> Reply:
    """Every payer of the client (every status) in rank order."""
    return {"items": _items(call, client_id)}, 200


@bp.post("/payers")
@tenant_call(AuditAction.CREATE, "client_payer", permission=Permission.PAYERS_WRITE, entity_arg="client_id")
def add_client_payer(call: Call, client_id: str) -> Reply:
    """Attach a directory payer to the client."""
    client = payers.get_client(call.db, call.company, client_id)
    new, errors = parse_new_payer(json_body())
    if new is None:
        raise validation_failed(errors)
    cp = payers.add_payer(call.db, call.company, client, new, call.auth.changed_by)
    call.draft.entity_id = str(cp.id)
    call.draft.detail = f"client {client.id}: {new.distribution.value} at rank {new.rank.value}"
    return _one(call, cp), 201


@bp.patch("/payers/<client_payer_id>")
@tenant_call(AuditAction.UPDATE, "client_payer", permission=Permission.PAYERS_WRITE, entity_arg="client_payer_id")
def update_client_payer(call: Call, client_id: str, client_payer_id: str) -> Reply:
    """Edit rank, distribution, amount, dates; only keys present change."""
    client = payers.get_client(call.db, call.company, client_id)
    cp = payers.get_client_payer(call.db, client, client_payer_id)
    body = json_body()
    call.draft.detail = "changed: " + ", ".join(sorted(body)[:10])
    payers.update_payer(call.db, client, cp, body)
    return _one(call, cp), 200


@bp.post("/payers/<client_payer_id>/status")
@tenant_call(
    AuditAction.STATUS_CHANGE, "client_payer", permission=Permission.PAYERS_WRITE, entity_arg="client_payer_id"
)
def change_status(call: Call, client_id: str, client_payer_id: str) -> Reply:
    """Change the client payer's status (leaving Active needs a note)."""
    client = payers.get_client(call.db, call.company, client_id)
    cp = payers.get_client_payer(call.db, client, client_payer_id)
    req = parse_status_request(json_body())
    call.draft.detail = f"{cp.status} -> {req.status.value}"
    payers.change_status(call.db, client, cp, req, call.auth.changed_by)
    return _one(call, cp), 200


@bp.get("/payers/<client_payer_id>/history")
@tenant_call(AuditAction.VIEW, "status_history", permission=Permission.PAYERS_READ, entity_arg="client_payer_id")
def history(call: Call, client_id: str, client_payer_id: str) -> Reply:
    """The client payer's status history, oldest first."""
    client = payers.get_client(call.db, call.company, client_id)
    cp = payers.get_client_payer(call.db, client, client_payer_id)
    rows = call.db.scalars(
        select(StatusHistory).where(StatusHistory.client_payer_id == cp.id).order_by(StatusHistory.id)
    )
    return {"items": [status_change_json(r) for r in rows]}, 200


@bp.post("/remainder")
@tenant_call(AuditAction.UPDATE, "client_payer", permission=Permission.PAYERS_WRITE, entity_arg="client_id")
def move_remainder(call: Call, client_id: str) -> Reply:
    """Make another payer the Remainder payer atomically."""
    client = payers.get_client(call.db, call.company, client_id)
    move = parse_remainder_move(json_body())
    call.draft.detail = f"remainder moved for client {client.id}"
    payers.move_remainder(call.db, call.company, client, move, call.auth.changed_by)
    return {"items": _items(call, client_id)}, 200
