"""Login, server-side sessions, lockout, TOTP and role checks."""

from __future__ import annotations

from flask import Flask

from hub.extensions import login_manager


def _no_user_id_sessions(_user_id: str) -> None:
    # the cookie never carries Flask-Login's _user_id (only our session id): nothing to load
    return None


def init_auth(app: Flask) -> None:
    """Register the auth blueprint, Flask-Login hooks and the deny-by-default guard."""
    from hub.auth import models as _models  # noqa: F401  (LoginAttempt joins the metadata)
    from hub.auth.guards import init_guards, unauthorized
    from hub.auth.sessions import load_user_from_cookie
    from hub.auth.views import bp

    login_manager.login_view = "auth.login"
    # our server-side session record is the protection; Flask-Login's would write extra cookie keys
    login_manager.session_protection = None
    login_manager.user_loader(_no_user_id_sessions)
    login_manager.request_loader(lambda _request: load_user_from_cookie())
    login_manager.unauthorized_handler(unauthorized)
    app.config["REMEMBER_COOKIE_DURATION"] = 0  # no remember-me, whatever the environment says
    app.register_blueprint(bp)
    init_guards(app)
