"""Tenant API: health and the two-part login (``/t/<slug>/api/v1/health``, ``/auth/...``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from tenant_connectors.base import AuditAction
from tenant_connectors.sandbox import auth
from tenant_connectors.sandbox.errors import bad_request, not_found
from tenant_connectors.sandbox.models import Company
from tenant_connectors.sandbox.pipeline import Call, client_details, json_body, load_company_faults, state, tenant_call
from tenant_connectors.sandbox.serialize import company_ref

bp = Blueprint("sandbox_auth", __name__, url_prefix="/t/<slug>/api/v1")

Reply = tuple[Any, int]


@bp.get("/health")
def health(slug: str) -> Response:
    """Liveness of one tenant; obeys faults, needs no credentials and writes no audit row."""
    st = state()
    if not load_company_faults(slug):
        raise not_found("company")
    injected = st.faults.inject(slug)
    if injected is not None:
        return injected
    with st.sessions() as db:
        company = db.scalar(select(Company).where(Company.slug == slug))
        if company is None:
            raise not_found("company")
        body = {"status": "ok", "company": company_ref(company)}
        db.commit()
    return jsonify(body)


def _credentials(body: dict[str, Any], *names: str) -> list[str]:
    values = []
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not value or len(value) > 1024:
            raise bad_request(f"{name} is required (a non-empty string)")
        values.append(value)
    return values


@bp.post("/auth/login")
@tenant_call(AuditAction.LOGIN, "session", authenticated=False, failed_action=AuditAction.LOGIN_FAILED)
def login(call: Call) -> Reply:
    """First step: a session for direct accounts, a challenge for Billing users."""
    body = json_body()
    details = client_details(body)
    call.draft.platform, call.draft.os = details.platform, details.os
    _note_client_ip(call, body)
    username, password = _credentials(body, "username", "password")
    return auth.begin_login(call.db, call.company, username, password, details, call.draft), 200


@bp.post("/auth/secondary")
@tenant_call(AuditAction.PROXY_LOGIN, "session", authenticated=False, failed_action=AuditAction.LOGIN_FAILED)
def secondary(call: Call) -> Reply:
    """Second step: the billing company's Restricted user; opens a proxy session."""
    body = json_body()
    details = client_details(body)
    call.draft.platform, call.draft.os = details.platform, details.os
    _note_client_ip(call, body)
    challenge_id, username, password = _credentials(body, "challenge_id", "username", "password")
    totp = body.get("totp_code")
    if totp is not None and not isinstance(totp, str):
        raise bad_request("totp_code must be a string")
    reply = auth.complete_secondary(
        call.db, call.company, challenge_id, username, password, totp or None, details, call.draft
    )
    return reply, 200


def _note_client_ip(call: Call, body: dict[str, Any]) -> None:
    # the hub passes the end user's address; the connecting address stays in ip_address
    info = body.get("client")
    if isinstance(info, dict) and isinstance(info.get("ip_address"), str):
        call.draft.detail = f"client_ip={info['ip_address'][:64]}"


@bp.get("/auth/session")
@tenant_call(AuditAction.VIEW, "session")
def session(call: Call) -> Reply:
    """The session behind the bearer token."""
    return call.auth.as_json(), 200


@bp.post("/auth/logout")
@tenant_call(AuditAction.LOGOUT, "session")
def logout(call: Call) -> Reply:
    """End the session."""
    call.auth.token.revoked = True
    return None, 204
