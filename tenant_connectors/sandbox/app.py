"""The sandbox tenant server's app factory."""

from __future__ import annotations

from flask import Flask

from tenant_connectors.sandbox import api_auth, api_data, api_payers, control
from tenant_connectors.sandbox.db import create_schema, make_engine, make_session_factory
from tenant_connectors.sandbox.errors import register_error_handlers
from tenant_connectors.sandbox.faults import FaultBoard
from tenant_connectors.sandbox.pipeline import EXTENSION_KEY, SandboxState


def create_app(database_url: str | None = None, *, fault_seed: int = 0) -> Flask:
    """A sandbox tenant app with its own engine over ``database_url`` (tables created if missing)."""
    app = Flask("tenant_connectors.sandbox")
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=1024 * 1024)
    engine = make_engine(database_url)
    create_schema(engine)
    app.extensions[EXTENSION_KEY] = SandboxState(engine, make_session_factory(engine), FaultBoard(fault_seed))
    for blueprint in (api_auth.bp, api_data.bp, api_payers.bp, control.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app
