"""Billing Hub: the Flask application (:func:`create_app`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hub import config as hub_config
from hub.extensions import csrf, db, login_manager, migrate, tune_sqlite

#: the repository-level templates/ folder (fixed layout), shared by hub pages and admin overrides
TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates"
MIGRATIONS_FOLDER = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a hub application; ``config`` overrides everything else (tests)."""
    app = Flask(__name__, template_folder=str(TEMPLATE_FOLDER), instance_relative_config=True)
    hub_config.load(app, config)
    configure_proxies(app)
    configure_extensions(app)
    configure_models()
    configure_blueprints(app)
    configure_cli(app)
    return app


def configure_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` proxies, take the client's address, scheme and host from their
    ``X-Forwarded-*`` headers (the audit log, the login throttle); with 0 nobody's headers count, so
    a client cannot pick the address it is recorded and throttled under."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def configure_extensions(app: Flask) -> None:
    """Bind the extension singletons to ``app``."""
    from hub.vault import init_vault

    init_vault(app)  # a malformed VAULT_KEYS stops start-up here, not at the first secret
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                tune_sqlite(engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(MIGRATIONS_FOLDER), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)


def configure_models() -> None:
    """Import every model module so the metadata is complete (Alembic, create_all)."""
    from hub.accounts import models as _accounts  # noqa: F401
    from hub.audit import models as _audit  # noqa: F401
    from hub.auth import models as _auth  # noqa: F401
    from hub.review import models as _review  # noqa: F401
    from hub.sync import models as _sync  # noqa: F401
    from hub.tenants import models as _tenants  # noqa: F401
    from hub.workspace import models as _workspace  # noqa: F401


def configure_blueprints(app: Flask) -> None:
    """Register the hub's pages, security hooks and admin screens."""
    from admin_views import init_admin
    from hub.activity import init_activity
    from hub.auth import init_auth
    from hub.security import init_security
    from hub.split import init_split
    from hub.web import init_web
    from hub.workspace import init_workspace

    init_security(app)
    init_auth(app)
    init_web(app)
    init_admin(app)
    init_workspace(app)
    init_split(app)
    init_activity(app)


def configure_cli(app: Flask) -> None:
    """Attach the ``flask hub ...`` command group."""
    from hub.cli import hub_group

    app.cli.add_command(hub_group)
