"""A LIVE hub for browser tests: served by werkzeug on a free loopback port in a thread, next to a
live sandbox tenant, with Chromium driven by Playwright (headless, Debian's /usr/bin/chromium)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hub import create_app
from hub.extensions import db
from hub.tenants.connectors import close_connectors
from tenant_connectors.sandbox.testing import SandboxServer
from tests import factories
from tests.hub.conftest import TEST_CONFIG

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log lines in the test output."""


@dataclass
class LiveHub:
    """The served hub: its URL, app, and the seeded agent's login and tenant."""

    url: str
    app: Flask
    agent_email: str
    agent_password: str
    tenant_id: int


@pytest.fixture
def live_hub(tmp_path: Path, sandbox: SandboxServer) -> Iterator[LiveHub]:
    """A hub app on a SQLite file, seeded with an agent granted Good Therapy, served in a thread."""
    config = {k: v for k, v in TEST_CONFIG.items() if k != "SERVER_NAME"}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hub.sqlite3'}"})
    with app.app_context():
        db.create_all()
        hub = factories.make_hub()
        tenant = factories.make_tenant(hub, name="Good Therapy, Inc", base_url=sandbox.tenant_url("good-therapy"))
        factories.make_credential(tenant, "Full", remote_user_id="gt-acme-full", secret="gt-full-Secret1!")
        agent = factories.make_user(role="agent", hub=hub, restricted_user_id="acme.alice")
        factories.grant(tenant, "Full", user=agent)
        db.session.commit()
        seeded = (agent.email, tenant.id)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-hub", daemon=True)
    thread.start()
    try:
        yield LiveHub(f"http://127.0.0.1:{server.server_port}", app, seeded[0], factories.DEFAULT_PASSWORD,
                      seeded[1])
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        close_connectors(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def browser_page() -> Iterator[Page]:
    """A fresh headless Chromium page."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
        finally:
            browser.close()
