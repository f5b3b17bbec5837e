"""Security headers on every response, and error pages that never show a stack trace.

The Content-Security-Policy is strict for hub pages (no inline script or style at all). Flask-Admin
pages (under /admin/ only) get three narrow relaxations: inline styles (its widgets write them),
the stock inline event handlers allowed one by one by hash, and a per-request nonce for its few
inline ``<script>`` blocks, through :func:`csp_nonce` (``Admin(csp_nonce_generator=csp_nonce)``);
the nonce joins the policy only on responses that used it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}

#: Flask-Admin's bundled widgets (select2, x-editable, date pickers) write style attributes into the
#: markup they build; on /admin/ only, inline styles are allowed.
ADMIN_STYLE_SRC = "'self' 'unsafe-inline'"
ADMIN_PREFIX = "/admin"
#: the inline event handlers of Flask-Admin's stock templates (row delete confirmation, the filter
#: menu), plus one per list action of the registered views (see :func:`admin_handler_hashes`). On
#: /admin/ only they are allowed one by one, by hash ('unsafe-hashes'); inline scripts in general
#: stay forbidden there too (nonce only).
ADMIN_INLINE_HANDLERS = (
    "return faHelpers.safeConfirm('Are you sure you want to delete this record?');",
    "return false;",
)
ACTION_HANDLER = "return modelActions.execute('{}');"

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000; includeSubDomains"

ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many requests",
    500: "Something went wrong",
}
CSRF_MESSAGE = "The form expired or was tampered with; reload and try again."


def csp_nonce() -> str:
    """The nonce of this request's inline scripts (made on first use, then reused)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def source_hash(source: str) -> str:
    """The CSP hash source (``'sha256-...'``) of an inline script or handler."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def admin_handler_hashes() -> str:
    """Hash sources of every inline handler the admin pages of this app render (computed once).

    List actions are declared in code (``@action`` on the views), so their handlers are known
    server-side; nothing a user typed is ever hashed into the policy.
    """
    from flask import current_app

    cached = current_app.extensions.get("hub_admin_handler_hashes")
    if cached is None:
        handlers = list(ADMIN_INLINE_HANDLERS)
        for admin in current_app.extensions.get("admin", []):
            for view in getattr(admin, "_views", []):
                handlers += [ACTION_HANDLER.format(name) for name, _text in getattr(view, "_actions", [])]
        cached = " ".join(dict.fromkeys(source_hash(handler) for handler in handlers))
        current_app.extensions["hub_admin_handler_hashes"] = cached
    return cached


def content_security_policy() -> str:
    """The CSP of the current response."""
    directives = dict(CSP_DIRECTIVES)
    if request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/"):
        directives["style-src"] = ADMIN_STYLE_SRC
        directives["script-src"] += f" 'unsafe-hashes' {admin_handler_hashes()}"
    nonce = g.get("csp_nonce")
    if nonce:
        directives["script-src"] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def set_security_headers(response: Response) -> Response:
    """Add the security headers (every response, error pages and redirects included)."""
    from flask import current_app

    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy()
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not _is_static(request.endpoint):
        # pages may hold client data: never keep them in any cache (back button included)
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if current_app.config.get("ENV") == "production":
        headers["Strict-Transport-Security"] = HSTS
    return response


def _wants_json() -> bool:
    from hub.auth.guards import wants_json

    return wants_json()


def render_error(code: int, message: str | None = None) -> tuple[Any, int]:
    """The error page (or JSON body) for ``code``; no exception text ever reaches it."""
    title = ERROR_TITLES.get(code, "Error")
    if _wants_json():
        return jsonify(error=title, message=message or title), code
    template = "errors/500.html" if code >= 500 else "errors/error.html"
    return render_template(template, code=code, title=title, message=message), code


def _handle_http(error: HTTPException) -> Any:
    code = error.code or 500
    if code not in ERROR_TITLES:
        return error
    return render_error(code)


def _handle_csrf(_error: CSRFError) -> Any:
    return render_error(400, CSRF_MESSAGE)


def _handle_500(_error: InternalServerError) -> Any:
    # the failed request's transaction must not leak into the page's own queries
    from hub.extensions import db

    db.session.rollback()
    return render_error(500)


def init_security(app: Flask) -> None:
    """Attach security headers, error handlers and the CSP nonce helper for templates."""
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, _handle_csrf)
    for code in ERROR_TITLES:
        if code != 500:
            app.register_error_handler(code, _handle_http)
    app.register_error_handler(InternalServerError, _handle_500)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
