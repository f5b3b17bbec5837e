"""Stored hostile text is shown as text: no page of any role runs or even builds markup from it.

Hostile strings are stored where each kind of text comes from: the hub's own records (tenant name
and notes, group name, staff name, credential label), the tenant's records read live through the
connector (a client's name, a payer directory name) and the tenant's Audit Report brought in by the
sync (user names, action, entity, detail). Chromium then opens the pages that show them, as every
role. Each page must have no element the payloads would create, no ``window.__xss``, no dialog and no
Content-Security-Policy violation (the CSP is the second line of defence; a violation means markup
got through the first).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page
from sqlalchemy import text

from hub.accounts.models import Hub, User
from hub.extensions import db
from hub.sync.worker import sync_pass
from hub.tenants.models import Tenant
from tenant_connectors.sandbox.pipeline import state
from tenant_connectors.sandbox.testing import SandboxServer
from tests import factories
from tests.browser.conftest import LiveHub, enter_tenant, log_in

pytestmark = pytest.mark.browser

SCRIPT = "<script>window.__xss=1</script>"
IMG = '"><img src=x id=xss-img onerror="window.__xss=2">'
SVG = "<svg id=xss-svg onload=window.__xss=3>"
ATTR = "' autofocus onfocus='window.__xss=4"
PAYLOADS = (SCRIPT, IMG, SVG, ATTR)
HOSTILE = "".join(PAYLOADS)

# records every CSP violation and dialog before any page script runs
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push([e.violatedDirective, e.blockedURI || 'inline', e.sourceFile, e.lineNumber].join(' ')));
"""


@pytest.fixture(scope="module")
def hostile_hub(live_hub: LiveHub, sandbox: SandboxServer) -> Iterator[LiveHub]:
    """The module's hub and sandbox with hostile text stored in every kind of record, and one sync."""
    world = live_hub.world
    engine = state(sandbox.app).engine
    with engine.begin() as conn:
        company_id = conn.execute(text("SELECT id FROM companies WHERE slug = :s"),
                                  {"s": world.good_therapy}).scalar_one()
        conn.execute(text("UPDATE clients SET first_name = :h, last_name = :n WHERE id = :id"),
                     {"h": SCRIPT + IMG, "n": "Chen" + SVG, "id": int(world.chen_id)})
        conn.execute(text("UPDATE payers SET name = :h WHERE company_id = :c AND name = 'Blue Shield'"),
                     {"h": "Blue Shield" + IMG, "c": company_id})
        conn.execute(text(
            "INSERT INTO audit_events (company_id, occurred_at, action, entity_type, entity_id, user_id, user_name,"
            " user_type, on_behalf_of_user_id, on_behalf_of_name, billing_company_id, billing_company_name, proxy,"
            " ip_address, platform, os, detail) VALUES (:c, :t, :a, :et, :ei, :u, :un, 'billing', :ob, :obn,"
            " 'acme', :bn, :p, '127.0.0.1', :pl, :os, :d)"),
            {"c": company_id, "t": datetime.now(UTC).replace(tzinfo=None), "a": "view" + SVG, "et": "client" + IMG,
             "ei": SCRIPT, "u": world.billing_full[0], "un": "Billing" + HOSTILE, "ob": world.restricted_alice[0],
             "obn": "Alice" + HOSTILE, "bn": "ACME" + SCRIPT, "p": True, "pl": IMG, "os": SVG, "d": HOSTILE})
    with live_hub.app.app_context():
        good = db.session.get(Tenant, live_hub.tenants[world.good_therapy_name])
        good.notes = "notes" + HOSTILE
        hub = db.session.get(Hub, good.hub_id)
        factories.make_tenant(hub, name="Clinic" + HOSTILE, notes=HOSTILE)
        agent = db.session.query(User).filter_by(email=live_hub.emails["agent"]).one()
        factories.make_group(hub, name="Group" + HOSTILE, members=(agent,))
        calm = db.session.get(Tenant, live_hub.tenants[world.calm_waters_name])
        factories.make_credential(calm, "Read only", label="label" + IMG, remote_user_id="x" + SVG,
                                  secret="s3cret-Hostile!")
        factories.make_user(role="agent", hub=hub, email="hostile@acme.test", display_name="Staff" + HOSTILE,
                            restricted_user_id="acme.hostile")
        db.session.commit()
        summary = sync_pass(live_hub.app, concurrency=1, tenant_ids=[good.id], worker_id="xss-test")
        assert not summary.failed and summary.events > 0, summary
    yield live_hub


def assert_inert(page: Page, where: str) -> None:
    """No payload built an element, ran, or was stopped by the CSP on the current page."""
    page.wait_for_load_state("load")
    assert page.locator("#xss-img, #xss-svg, img[src=x]").count() == 0, f"markup injected on {where}"
    scripts = page.evaluate("[...document.scripts].map(s => s.textContent).join('\\n')")
    assert "__xss" not in scripts, f"script injected on {where}"
    assert page.evaluate("window.__xss") is None, f"script ran on {where}"
    assert page.evaluate("window.__csp") == [], f"CSP violations on {where}: {page.evaluate('window.__csp')}"


def visit(page: Page, hub: LiveHub, paths: list[str]) -> None:
    """Open each path (200 expected) and check it is inert."""
    for path in paths:
        response = page.goto(f"{hub.url}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        assert_inert(page, path)


@pytest.fixture
def watched_page(browser_page: Page) -> Iterator[Page]:
    """The browser page, failing the test on any dialog, with CSP violations recorded in the page."""
    dialogs: list[str] = []
    browser_page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    browser_page.add_init_script(WATCH)
    yield browser_page
    assert not dialogs, dialogs


def test_hub_admin_pages_show_hostile_records_as_text(hostile_hub, watched_page):
    page = watched_page
    log_in(page, hostile_hub, hostile_hub.emails["hub_admin"])
    visit(page, hostile_hub, ["/", "/admin/", "/admin/tenants/", "/admin/credentials/", "/admin/staff/",
                              "/admin/agent_groups/", "/admin/access_levels/", "/admin/permission_levels/",
                              "/admin/audit_log/"])
    # the edit forms put the values inside attributes and textareas
    page.goto(f"{hostile_hub.url}/admin/tenants/")
    page.locator("a[href*='/admin/tenants/edit/']").first.click()
    assert_inert(page, "tenant edit")
    page.goto(f"{hostile_hub.url}/admin/agent_groups/")
    page.locator("a[href*='/admin/agent_groups/edit/']").first.click()
    assert_inert(page, "group edit")


def test_agent_pages_show_hostile_tenant_data_as_text(hostile_hub, watched_page):
    page, world = watched_page, hostile_hub.world
    log_in(page, hostile_hub, hostile_hub.emails["agent"])
    visit(page, hostile_hub, ["/tenants", "/activity", f"/activity?q={SCRIPT}"])
    tenant_id = enter_tenant(page, hostile_hub, world.good_therapy_name, world.restricted_alice)
    assert_inert(page, "clients")
    assert "Chen<svg" in page.inner_text("body")  # shown, as text
    visit(page, hostile_hub, [f"/tenants/{tenant_id}/clients/{world.chen_id}",
                              f"/tenants/{tenant_id}/clients/{world.rivera_id}"])
    assert "Blue Shield\"><img" in page.inner_text("body")
    page.goto(f"{hostile_hub.url}/activity")
    assert "Alice<script>" in page.inner_text("body")


def test_tenant_admin_and_support_pages_show_hostile_text(hostile_hub, watched_page):
    page = watched_page
    log_in(page, hostile_hub, hostile_hub.emails["tenant_admin"])
    visit(page, hostile_hub, ["/", "/review"])
    assert "Alice<script>" in page.inner_text("body")
    page.context.clear_cookies()
    log_in(page, hostile_hub, hostile_hub.emails["support"])
    visit(page, hostile_hub, ["/", "/admin/hubs/", "/admin/audit_log/"])
