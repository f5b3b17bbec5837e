"""The ``workspace`` blueprint object and small request helpers its view modules share."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user
from werkzeug.wrappers import Response

from hub.accounts.models import User
from hub.tenants.models import Tenant
from hub.workspace import sessions

bp = Blueprint("workspace", __name__)


@bp.after_request
def _no_store(response: Response) -> Response:
    # tenant data (clients, payers) must never sit in a browser or proxy cache
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def agent() -> User:
    """The logged-in agent (views are already guarded by role)."""
    return current_user._get_current_object()


def tenant_or_404(tenant_id: int) -> Tenant:
    """A tenant the agent may enter; anything else (another hub's, not granted) is a 404."""
    tenant = sessions.tenant_for_agent(agent(), tenant_id)
    if tenant is None:
        abort(404)
    return tenant


def int_arg(name: str, default: int = 1) -> int:
    """A positive integer query parameter; junk means ``default``."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 7 else default
