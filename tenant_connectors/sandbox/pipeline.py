"""What every tenant API call goes through: faults, company lookup, session, permission, audit.

:func:`tenant_call` wraps a view so that the view itself only does its job.  The audit row is
written in the call's own transaction on success; on a refusal the work is rolled back and the
row (with whatever identities were learned) is written in a fresh transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tenant_connectors.sandbox import audit
from tenant_connectors.sandbox.audit import AuditDraft
from tenant_connectors.sandbox.auth import ClientDetails, SessionView, resolve_session
from tenant_connectors.sandbox.errors import ApiError, bad_request, not_found
from tenant_connectors.sandbox.faults import FaultBoard
from tenant_connectors.sandbox.models import Company
from tenant_connectors.sandbox.useragent import parse_user_agent

EXTENSION_KEY = "billing_hub_sandbox"


@dataclass(slots=True)
class SandboxState:
    """Per-app state: the sandbox's own engine, session factory and fault board."""

    engine: Engine
    sessions: sessionmaker[Session]
    faults: FaultBoard


def state(app: Flask | None = None) -> SandboxState:
    """The sandbox state of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION_KEY]


@dataclass(slots=True)
class Call:
    """Everything a tenant API view needs: database session, company, session, audit draft."""

    db: Session
    company: Company
    draft: AuditDraft
    session: SessionView | None = None

    @property
    def auth(self) -> SessionView:
        """The authenticated session (views declared ``authenticated=True`` only)."""
        assert self.session is not None
        return self.session


def json_body() -> dict[str, Any]:
    """The request's JSON object; 400 ``bad_request`` for anything else."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def client_details(body: dict[str, Any] | None = None) -> ClientDetails:
    """Platform/OS from a login body's ``client`` object, else from the User-Agent."""
    ua_platform, ua_os = parse_user_agent(request.headers.get("User-Agent"))
    info = body.get("client") if body else None
    if info is not None and not isinstance(info, dict):
        raise bad_request("client must be an object")
    info = info or {}
    platform = info.get("platform") if isinstance(info.get("platform"), str) else None
    os_name = info.get("os") if isinstance(info.get("os"), str) else None
    explicit = bool(platform or os_name)
    return ClientDetails((platform or ua_platform or None), (os_name or ua_os or None), explicit)


def _new_draft(action: str, entity_type: str | None, entity_id: str | None) -> AuditDraft:
    platform, os_name = parse_user_agent(request.headers.get("User-Agent"))
    port = request.environ.get("REMOTE_PORT")
    return AuditDraft(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        ip_address=request.remote_addr,
        source_port=int(port) if str(port or "").isdigit() else None,
        platform=platform,
        os=os_name,
    )


def load_company_faults(slug: str) -> bool:
    """Make sure the fault board knows ``slug``; False if no such company."""
    st = state()
    if st.faults.get(slug) is not None:
        return True
    with st.sessions() as db:
        company = db.scalar(select(Company).where(Company.slug == slug))
        if company is None:
            return False
        st.faults.put(slug, company.latency_ms, company.error_rate, company.malformed_rate, company.hang)
        db.commit()
    return True


def tenant_call(
    action: str,
    entity_type: str | None = None,
    *,
    permission: str | None = None,
    authenticated: bool = True,
    entity_arg: str | None = None,
    failed_action: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Decorate a tenant API view taking ``(call, **url_args)`` and returning ``(json, status)``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(slug: str, **kwargs: Any) -> Response:
            st = state()
            if not load_company_faults(slug):
                raise not_found("company")
            injected = st.faults.inject(slug)
            if injected is not None:
                return injected
            entity_id = str(kwargs[entity_arg]) if entity_arg else None
            with st.sessions() as db:
                company = db.scalar(select(Company).where(Company.slug == slug))
                if company is None:
                    raise not_found("company")
                call = Call(db, company, _new_draft(action, entity_type, entity_id))
                try:
                    if authenticated:
                        call.session = resolve_session(db, company, request.headers.get("Authorization"))
                        call.session.fill(call.draft)
                        if permission and permission not in call.session.permissions:
                            raise ApiError(403, "permission_denied", f"permission {permission} is not granted")
                    body, status = view(call, **kwargs)
                    audit.write(db, company.id, call.draft)
                    db.commit()
                except ApiError as err:
                    _record_refusal(db, company.id, call.draft, err.code, failed_action)
                    raise
                except Exception:
                    _record_refusal(db, company.id, call.draft, "server_error", failed_action)
                    raise
            if status == 204:
                return Response(status=204)
            response = jsonify(body)
            response.status_code = status
            return response

        return wrapper

    return decorator


def _record_refusal(db: Session, company_id: int, draft: AuditDraft, code: str, failed_action: str | None) -> None:
    db.rollback()
    if failed_action:
        draft.action = failed_action
    draft.detail = f"refused: {code}" if not draft.detail else f"{draft.detail}; refused: {code}"
    audit.write(db, company_id, draft)
    db.commit()
