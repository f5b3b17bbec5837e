"""Deny by default: every endpoint needs a live session unless it is on the short public list.

A route someone forgets to protect is still protected, because the check runs before every view
(Flask-Admin's included). Logged-in users who must change their password, or must enrol in two-factor
(admins when the deployment requires it, anyone whose two-factor an administrator reset), reach only
the page that fixes that (plus logout).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, flash, g, has_request_context, jsonify, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub.accounts.models import Role
from hub.auth.redirects import safe_next
from hub.auth.totp import REENROL_SESSION_KEY

F = TypeVar("F", bound=Callable[..., Any])

#: endpoints an anonymous visitor may reach; everything else needs a session
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.login_totp", "static", "web.healthz"})

#: what a user who must first fix their account may still reach
_ALWAYS_REACHABLE = frozenset({"auth.logout", "static", "web.healthz"})


def is_public(endpoint: str | None) -> bool:
    """Whether ``endpoint`` is on the anonymous allowlist."""
    return endpoint in PUBLIC_ENDPOINTS


def wants_json() -> bool:
    """Whether the client asked for JSON rather than a page."""
    if request.is_json:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def unauthorized() -> Response:
    """Anonymous request to a protected endpoint: 401 for API clients, else the login page."""
    if wants_json():
        response = jsonify(error="authentication required")
        response.status_code = 401
        return response
    target = request.full_path if request.query_string else request.path
    nxt = safe_next(target) if request.method == "GET" else None
    return redirect(url_for("auth.login", next=nxt) if nxt and nxt != "/" else url_for("auth.login"))


def reenrolment_pending(user: Any) -> bool:
    """An administrator reset the account's two-factor and it has not enrolled again (noted at sign-in)."""
    return has_request_context() and bool(session.get(REENROL_SESSION_KEY)) and not user.totp_enabled


def needs_totp_enrolment(user: Any) -> bool:
    """Admins and support must enrol in two-factor when the deployment requires it; so must anyone reset."""
    required = bool(current_app.config.get("REQUIRE_ADMIN_TOTP")) and user.role in (Role.HUB_ADMIN, Role.SUPPORT)
    return not user.totp_enabled and (required or reenrolment_pending(user))


def _guard() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404/405 handlers answer
        return None
    authenticated = current_user.is_authenticated  # loads and checks the server-side session
    if is_public(endpoint):
        return None
    if not authenticated:
        return unauthorized()
    if endpoint in _ALWAYS_REACHABLE:
        return None
    if current_user.must_change_password and endpoint != "auth.change_password":
        flash("Please choose a new password before you continue.", "info")
        return redirect(url_for("auth.change_password"))
    if not current_user.must_change_password and needs_totp_enrolment(current_user) \
            and endpoint != "auth.totp_enrol":
        flash("Please set up two-factor authentication before you continue.", "info")
        return redirect(url_for("auth.totp_enrol"))
    return None


def _forget_previous_request() -> None:
    # ``g`` lives on the app context, which a caller (tests, CLI) may keep across requests: the
    # user and session of one request must never be seen by the next
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    for name in ("_login_user", "user_session", "csp_nonce", csrf_field):
        g.pop(name, None)


def init_guards(app: Flask) -> None:
    """Install the deny-by-default check before every request."""
    # first of all hooks (CSRFProtect's included): even its error page must see this request's user
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_request)
    app.before_request(_guard)
