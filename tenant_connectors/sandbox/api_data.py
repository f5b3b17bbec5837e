"""Tenant API: clients, payer directory, authorizations, audit report and billing accounts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from sqlalchemy import func, or_, select

from tenant_connectors.base import AuditAction, Permission
from tenant_connectors.sandbox import audit
from tenant_connectors.sandbox.errors import bad_request
from tenant_connectors.sandbox.models import Authorization, Client, ClientPayer, Company, Payer, PermissionGroup, User
from tenant_connectors.sandbox.payers import get_client
from tenant_connectors.sandbox.pipeline import Call, tenant_call
from tenant_connectors.sandbox.serialize import authorization_json, client_json, company_ref, payer_json

bp = Blueprint("sandbox_data", __name__, url_prefix="/t/<slug>/api/v1")

Reply = tuple[Any, int]


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``low..high``; 400 otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= high:
        raise bad_request(f"{name} must be an integer {low}..{high}")
    return int(raw)


@bp.get("/clients")
@tenant_call(AuditAction.VIEW, "client", permission=Permission.CLIENTS_READ)
def list_clients(call: Call) -> Reply:
    """Search clients by name or account number."""
    offset = int_arg("offset", 0, 0, 10**9)
    limit = int_arg("limit", 50, 1, 200)
    search = request.args.get("search", "").strip()
    where = [Client.company_id == call.company.id]
    if search:
        call.draft.detail = f"search={search[:100]}"
        pattern = f"%{search.lower()}%"
        where.append(
            or_(
                func.lower(Client.first_name).like(pattern),
                func.lower(Client.last_name).like(pattern),
                func.lower(Client.account_number).like(pattern),
            )
        )
    total = call.db.scalar(select(func.count()).select_from(Client).where(*where)) or 0
    rows = call.db.scalars(
        select(Client)
        .where(*where)
        .order_by(Client.last_name, Client.first_name, Client.id)
        .offset(offset)
        .limit(limit)
    )
    return {"items": [client_json(c) for c in rows], "total": total, "offset": offset, "limit": limit}, 200


@bp.get("/clients/<client_id>")
@tenant_call(AuditAction.VIEW, "client", permission=Permission.CLIENTS_READ, entity_arg="client_id")
def get_one_client(call: Call, client_id: str) -> Reply:
    """One client."""
    return client_json(get_client(call.db, call.company, client_id)), 200


@bp.get("/payers")
@tenant_call(AuditAction.VIEW, "payer", permission=Permission.PAYERS_READ)
def list_payers(call: Call) -> Reply:
    """The payer directory."""
    rows = call.db.scalars(select(Payer).where(Payer.company_id == call.company.id).order_by(Payer.name, Payer.id))
    return {"items": [payer_json(p) for p in rows]}, 200


@bp.get("/clients/<client_id>/authorizations")
@tenant_call(AuditAction.VIEW, "authorization", permission=Permission.AUTHORIZATIONS_READ, entity_arg="client_id")
def list_authorizations(call: Call, client_id: str) -> Reply:
    """A client's authorizations."""
    client = get_client(call.db, call.company, client_id)
    rows = call.db.execute(
        select(Authorization, ClientPayer.payer_id)
        .join(ClientPayer, ClientPayer.id == Authorization.client_payer_id)
        .where(Authorization.client_id == client.id)
        .order_by(Authorization.id)
    )
    return {"items": [authorization_json(a, payer_id) for a, payer_id in rows]}, 200


@bp.get("/audit")
@tenant_call(AuditAction.VIEW, "audit", permission=Permission.AUDIT_READ)
def read_audit(call: Call) -> Reply:
    """Audit events after the cursor, oldest first."""
    limit = int_arg("limit", 500, 1, 1000)
    cursor = request.args.get("cursor") or None
    after = audit.decode_cursor(cursor) if cursor else 0
    rows, has_more = audit.read_page(call.db, call.company.id, after, limit)
    next_cursor = audit.encode_cursor(rows[-1].id) if rows else cursor
    call.draft.detail = f"{len(rows)} events"
    return {"items": [audit.event_json(r) for r in rows], "next_cursor": next_cursor, "has_more": has_more}, 200


@bp.get("/billing-accounts")
@tenant_call(AuditAction.VIEW, "user", permission=Permission.USERS_READ)
def billing_accounts(call: Call) -> Reply:
    """Every account of the tenant that names a billing company, with its seat status."""
    rows = call.db.execute(
        select(User, Company, PermissionGroup.name)
        .join(Company, Company.id == User.billing_company_id)
        .outerjoin(PermissionGroup, PermissionGroup.id == User.permission_group_id)
        .where(User.company_id == call.company.id)
        .order_by(User.user_id)
    )
    items = [
        {
            "user_id": user.user_id,
            "display_name": user.display_name,
            "user_type": user.user_type,
            "billing_company": company_ref(billing_company),
            "permission_group": group_name or "",
            "charged": user.user_type != "billing",
        }
        for user, billing_company, group_name in rows
    ]
    return {"items": items}, 200
