"""A LIVE hub for browser tests: served by waitress on a free loopback port in a thread, next to a
live sandbox tenant, with Chromium driven by Playwright (headless, Debian's /usr/bin/chromium).

One sandbox and one hub are shared by the tests of a module (each module gets its own, so a test
that locks an account or moves the clock cannot disturb another module); one Chromium is shared by
the whole session and every test gets a fresh browser context (no cookies carried over). Every
page records the hub's 5xx answers and the test fails if there was one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Response, sync_playwright

from hub import clock as hub_clock
from hub import create_app
from hub.demo.browser import launch_chromium, sign_in
from hub.demo.servers import ServerThread
from hub.extensions import db
from hub.sync.accounts import set_sync_account
from hub.tenants.connectors import close_connectors
from tenant_connectors.sandbox import clock as sandbox_clock
from tenant_connectors.sandbox.pipeline import state
from tenant_connectors.sandbox.seed import TestWorld, seed_test_world
from tenant_connectors.sandbox.testing import SandboxServer
from tests import factories
from tests.hub.conftest import TEST_CONFIG

PASSWORD = factories.DEFAULT_PASSWORD


@dataclass
class LiveHub:
    """The served hub: its URL and app, and the logins and tenants seeded in it.

    Every account's password is :data:`PASSWORD`. ``emails`` maps a role key (``support``,
    ``hub_admin``, ``agent``, ``tenant_admin``, ``lockout``) to the account's email; ``tenants`` maps
    the tenant's name to its hub id.
    """

    url: str
    app: Flask
    world: TestWorld
    emails: dict[str, str] = field(default_factory=dict)
    tenants: dict[str, int] = field(default_factory=dict)

    # the single-agent shape the first browser test was written against
    @property
    def agent_email(self) -> str:
        """The agent with Full access to both tenants (Restricted user ``acme.alice``)."""
        return self.emails["agent"]

    @property
    def agent_password(self) -> str:
        """Every seeded account's password."""
        return PASSWORD

    @property
    def tenant_id(self) -> int:
        """Good Therapy's id in the hub."""
        return self.tenants[self.world.good_therapy_name]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """The module's sandbox tenant server with the test world seeded (overrides the per-test one)."""
    sandbox_clock.reset()
    path = tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3"
    server = SandboxServer(f"sqlite:///{path}")
    server.world = seed_test_world(state(server.app).engine)
    with server:
        yield server
    sandbox_clock.reset()


def _seed(sandbox: SandboxServer) -> tuple[dict[str, str], dict[str, int]]:
    """The hub ACME Billing with both sandbox tenants and an account of every role; commits."""
    world: TestWorld = sandbox.world
    hub = factories.make_hub(slug="acme", name=world.acme_name, billing_company_ref=world.acme)
    good = factories.make_tenant(hub, name=world.good_therapy_name, base_url=sandbox.tenant_url(world.good_therapy))
    calm = factories.make_tenant(hub, name=world.calm_waters_name, base_url=sandbox.tenant_url(world.calm_waters))
    full = factories.make_credential(good, "Full", remote_user_id=world.billing_full[0], secret=world.billing_full[1])
    factories.make_credential(good, "Read only", remote_user_id=world.billing_readonly[0],
                              secret=world.billing_readonly[1])
    factories.make_credential(calm, "Full", remote_user_id=world.cw_billing_full[0], secret=world.cw_billing_full[1])
    agent = factories.make_user(role="agent", hub=hub, email="alice@acme.test", display_name="Alice Archer",
                                restricted_user_id=world.restricted_alice[0])
    factories.grant(good, "Full", user=agent)
    factories.grant(calm, "Full", user=agent)
    factories.make_user(role="agent", hub=hub, email="lockout@acme.test", restricted_user_id="acme.lockout")
    factories.make_user(role="hub_admin", hub=hub, email="admin@acme.test", display_name="Hana Admin")
    factories.make_user(role="support", email="support@vendor.test", display_name="Sam Support")
    factories.make_user(role="tenant_admin", hub=hub, tenant=good, email="director@goodtherapy.test",
                        display_name="Terry Director")
    # the audit sync and the seat check log in as the Full Billing user (the tenant's Read only group
    # may not list users), acting for a Restricted user
    set_sync_account(tenant=good, credential=full, restricted_user_id=world.restricted_alice[0],
                     restricted_secret=world.restricted_alice[1], actor_label="tests")
    db.session.commit()
    emails = {"agent": "alice@acme.test", "lockout": "lockout@acme.test", "hub_admin": "admin@acme.test",
              "support": "support@vendor.test", "tenant_admin": "director@goodtherapy.test"}
    return emails, {good.name: good.id, calm.name: calm.id}


@pytest.fixture(scope="module")
def live_hub(tmp_path_factory: pytest.TempPathFactory, sandbox: SandboxServer) -> Iterator[LiveHub]:
    """The module's hub app on a SQLite file, seeded by :func:`_seed`, served in a thread."""
    hub_clock.reset()
    config = {k: v for k, v in TEST_CONFIG.items() if k != "SERVER_NAME"}
    path = tmp_path_factory.mktemp("hub") / "hub.sqlite3"
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        emails, tenants = _seed(sandbox)
    # waitress, as the demo serves it: it closes a response's file when the browser drops the
    # connection mid-download (werkzeug's dev server leaks it, a ResourceWarning in a later test)
    server = ServerThread(app, host="127.0.0.1", port=0, name="browser-hub").start()
    try:
        yield LiveHub(server.url, app, sandbox.world, emails, tenants)
    finally:
        server.stop()
        close_connectors(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        hub_clock.reset()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the whole run."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    """A page in a fresh browser context; fails the test if the hub answered any request with a 5xx."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    server_errors: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 500:
            server_errors.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", on_response)
    try:
        yield page
    finally:
        context.close()
    assert not server_errors, f"the hub answered with server errors: {server_errors}"


def log_in(page: Page, hub: LiveHub, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the home page."""
    sign_in(page, hub.url, email, password)


def enter_tenant(page: Page, hub: LiveHub, name: str, restricted: tuple[str, str]) -> int:
    """From the tenant dashboard, enter ``name`` and answer its secondary prompt; returns the tenant id."""
    tenant_id = hub.tenants[name]
    page.goto(f"{hub.url}/tenants")
    page.get_by_role("button", name=f"Enter {name}").click()
    page.wait_for_url(f"**/tenants/{tenant_id}/secondary")
    assert page.input_value("input[name=username]") == restricted[0]
    page.fill("input[name=password]", restricted[1])
    page.get_by_role("button", name=f"Sign in to {name}").click()
    page.wait_for_url(f"**/tenants/{tenant_id}/clients")
    return tenant_id
