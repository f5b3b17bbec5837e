"""The sandbox control API (``/_sandbox/...``): faults, settings, clock, unlock, company list.

Test and demo plumbing only, not part of the tenant contract; it answers loopback callers only.
``POST /_sandbox/companies/<slug>/audit-noise`` is an addition to the documented list: it inserts
``n`` audit rows directly so that tests can page while rows are being added.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import insert, select

from tenant_connectors.base import CompanyKind
from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.errors import ApiError, bad_request, not_found
from tenant_connectors.sandbox.models import AuditRow, Company, User
from tenant_connectors.sandbox.pipeline import state

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@bp.before_request
def _loopback_only() -> None:
    if request.remote_addr not in _LOOPBACK and not current_app.config.get("SANDBOX_CONTROL_ANY_HOST"):
        raise ApiError(403, "permission_denied", "the control API answers loopback callers only")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def _number(data: dict[str, Any], name: str, default: float, low: float, high: float, *, integer: bool) -> Any:
    value = data.get(name, default)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise bad_request(f"{name} must be a number {low}..{high}")
    return int(value) if integer else float(value)


def _company(db: Any, slug: str) -> Company:
    company = db.scalar(select(Company).where(Company.slug == slug))
    if company is None:
        raise not_found("company")
    return company


@bp.put("/companies/<slug>/faults")
def put_faults(slug: str) -> Response:
    """Replace a company's fault settings (missing keys mean "off")."""
    data = _body()
    latency = _number(data, "latency_ms", 0, 0, 600_000, integer=True)
    error_rate = _number(data, "error_rate", 0.0, 0.0, 1.0, integer=False)
    malformed_rate = _number(data, "malformed_rate", 0.0, 0.0, 1.0, integer=False)
    hang = data.get("hang", False)
    if not isinstance(hang, bool):
        raise bad_request("hang must be true or false")
    st = state()
    if "seed" in data:
        st.faults.reseed(_number(data, "seed", 0, 0, 2**63, integer=True))
    with st.sessions() as db:
        company = _company(db, slug)
        company.latency_ms, company.error_rate, company.malformed_rate, company.hang = (
            latency,
            error_rate,
            malformed_rate,
            hang,
        )
        db.commit()
    st.faults.put(slug, latency, error_rate, malformed_rate, hang)
    settings = st.faults.get(slug)
    assert settings is not None
    return jsonify(settings.as_json())


@bp.put("/companies/<slug>/settings")
def put_settings(slug: str) -> Response:
    """Change a company's token lifetime."""
    ttl = _number(_body(), "token_ttl_seconds", 1800, 1, 10**8, integer=True)
    with state().sessions() as db:
        company = _company(db, slug)
        company.token_ttl_seconds = ttl
        db.commit()
    return jsonify({"token_ttl_seconds": ttl})


@bp.post("/clock")
def move_clock() -> Response:
    """Advance the sandbox clock, or reset it to real time."""
    data = _body()
    if data.get("reset") is True:
        clock.reset()
    elif "advance_seconds" in data:
        clock.advance(_number(data, "advance_seconds", 0, -(10**9), 10**9, integer=False))
    else:
        raise bad_request("give advance_seconds or reset: true")
    return jsonify({"now": clock.now().isoformat(), "offset_seconds": clock.offset_seconds()})


@bp.post("/companies/<slug>/users/<user_id>/unlock")
def unlock(slug: str, user_id: str) -> Response:
    """Unlock an account and clear its failure counter (an administrator's job)."""
    with state().sessions() as db:
        company = _company(db, slug)
        user = db.scalar(select(User).where(User.company_id == company.id, User.user_id == user_id))
        if user is None:
            raise not_found("user")
        user.locked, user.failed_attempts = False, 0
        db.commit()
    return jsonify({"user_id": user_id, "locked": False})


@bp.get("/companies")
def companies() -> Response:
    """Every company with its kind and, for customers, the tenant base URL."""
    root = request.host_url.rstrip("/")
    with state().sessions() as db:
        rows = list(db.scalars(select(Company).order_by(Company.kind, Company.slug)))
        db.commit()
    items = [
        {
            "slug": c.slug,
            "name": c.name,
            "kind": c.kind,
            "base_url": f"{root}/t/{c.slug}/api/v1" if c.kind == CompanyKind.CUSTOMER else None,
        }
        for c in rows
    ]
    return jsonify({"items": items})


@bp.post("/companies/<slug>/audit-noise")
def audit_noise(slug: str) -> Response:
    """Insert ``n`` audit rows directly (paging-while-adding tests)."""
    n = _number(_body(), "n", 1, 1, 100_000, integer=True)
    with state().sessions() as db:
        company = _company(db, slug)
        now = clock.now()
        db.execute(
            insert(AuditRow),
            [
                {
                    "company_id": company.id,
                    "occurred_at": now,
                    "action": "view",
                    "entity_type": "noise",
                    "entity_id": str(i),
                    "detail": "sandbox audit noise",
                }
                for i in range(n)
            ],
        )
        db.commit()
    return jsonify({"inserted": n})
