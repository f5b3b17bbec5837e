"""Vendor support provisions a hub; the hub admin registers a tenant and its Billing credential.

Support creates the hub on the Hubs screen and its first hub admin from the hub's row (the Hub
admins screen); the one-time password is shown once and must be changed at the first sign-in.
The hub admin's credential secret is write-only: it is in no page the browser receives afterwards.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

SECRET = "Zen-Billing-S3cret!x9"
NEW_SECRET = "Zen-Replaced-S3cret!y7"


def _save(page) -> None:
    page.locator("form input[type=submit][value=Save]").click()


def test_support_provisions_a_hub_and_its_first_admin_signs_in(live_hub, browser_page):
    page = browser_page
    log_in(page, live_hub, live_hub.emails["support"])
    page.get_by_role("link", name="Hub provisioning").click()
    page.goto(f"{live_hub.url}/admin/hubs/new/")
    page.fill("input[name=slug]", "zenith")
    page.fill("input[name=name]", "Zenith Billing")
    page.fill("input[name=billing_company_ref]", "zenith")
    _save(page)
    page.wait_for_url(f"{live_hub.url}/admin/hubs/*")
    assert "Zenith Billing" in page.inner_text("table.model-list")

    # support sees the creation in the system chain of the audit log
    page.goto(f"{live_hub.url}/admin/audit_log/")
    assert "hub.created" in page.inner_text("body")

    # the first hub admin, from the new hub's row: its one-time password is shown once, then never again
    page.goto(f"{live_hub.url}/admin/hubs/")
    page.locator("table.model-list tr", has_text="Zenith Billing").locator("a[href*='/admin/hub_admins/new/']").click()
    page.wait_for_url("**/admin/hub_admins/new/**")
    assert "Zenith Billing" in page.locator("select[name=hub] option:checked").inner_text()
    page.fill("input[name=email]", "zed@zenith.test")
    page.fill("input[name=display_name]", "Zed Admin")
    _save(page)
    notice = page.locator("[data-notice=one-time]")
    assert "zed@zenith.test" in notice.inner_text()
    initial = notice.locator("code").inner_text().strip()
    assert len(initial) >= 12
    page.reload()
    assert page.locator("[data-notice=one-time]").count() == 0 and initial not in page.content()
    page.goto(f"{live_hub.url}/admin/audit_log/")
    assert initial not in page.content()

    page.context.clear_cookies()
    page.goto(f"{live_hub.url}/login")
    page.fill("input[name=email]", "zed@zenith.test")
    page.fill("input[name=password]", initial)
    page.click("form input[type=submit], form button[type=submit]")
    page.wait_for_url("**/account/password*")
    page.fill("input[name=current_password]", initial)
    page.fill("input[name=new_password]", "Zenith-admin-pass-42")
    page.fill("input[name=confirm]", "Zenith-admin-pass-42")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(f"{live_hub.url}/")
    assert "Administration of Zenith Billing" in page.inner_text("body")
    assert initial not in page.content()


def test_hub_admin_adds_a_tenant_and_a_write_only_credential(live_hub, browser_page, sandbox):
    page = browser_page
    log_in(page, live_hub, live_hub.emails["hub_admin"])

    page.goto(f"{live_hub.url}/admin/tenants/new/")
    page.fill("input[name=name]", "Zen Garden Wellness")
    page.fill("input[name=base_url]", sandbox.tenant_url(live_hub.world.calm_waters))
    page.fill("textarea[name=permission_levels]", "Full\nRead only")
    _save(page)
    page.wait_for_url(f"{live_hub.url}/admin/tenants/*")
    assert "Zen Garden Wellness" in page.inner_text("table.model-list")

    page.goto(f"{live_hub.url}/admin/credentials/new/")
    page.select_option("select[name=tenant]", label="Zen Garden Wellness", force=True)
    page.select_option("select[name=permission_level]", label="Zen Garden Wellness — Full", force=True)
    page.fill("input[name=label]", "ACME Billing (full)")
    page.fill("input[name=remote_user_id]", "zen-acme-full")
    page.fill("input[name=secret]", SECRET)
    _save(page)
    page.wait_for_url(f"{live_hub.url}/admin/credentials/*")
    row = page.locator("tr", has_text="zen-acme-full")
    assert row.count() == 1

    pages = {"list": f"{live_hub.url}/admin/credentials/"}
    credential_id = _credential_id(page)
    pages["edit"] = f"{live_hub.url}/admin/credentials/edit/?id={credential_id}"
    pages["details"] = f"{live_hub.url}/admin/credentials/details/?id={credential_id}"
    for name, url in pages.items():
        page.goto(url)
        assert "zen-acme-full" in page.content(), name
        assert SECRET not in page.content(), f"the secret is in the {name} page"
    page.goto(pages["edit"])
    assert page.input_value("input[name=secret]") == ""
    assert page.get_attribute("input[name=secret]", "type") == "password"

    # a new secret replaces the old one; the edit keeps both out of every page
    page.fill("input[name=secret]", NEW_SECRET)
    _save(page)
    page.wait_for_url(f"{live_hub.url}/admin/credentials/*")
    for name, url in pages.items():
        page.goto(url)
        assert SECRET not in page.content() and NEW_SECRET not in page.content(), name
    page.goto(f"{live_hub.url}/admin/audit_log/")
    body = page.inner_text("body")
    assert "credential.created" in body and "credential.replaced" in body
    assert SECRET not in page.content() and NEW_SECRET not in page.content()


def _credential_id(page) -> str:
    """The id of the credential row ``zen-acme-full`` (from its edit link in the list)."""
    href = page.locator("tr", has_text="zen-acme-full").locator("a[href*='/edit/']").first.get_attribute("href")
    match = re.search(r"[?&]id=(\d+)", href or "")
    assert match, href
    return match.group(1)


def test_audit_log_verifies_for_the_hub_admin(live_hub, browser_page):
    page = browser_page
    log_in(page, live_hub, live_hub.emails["hub_admin"])
    page.goto(f"{live_hub.url}/admin/audit_log/verify/")
    text = page.inner_text("body")
    assert "intact" in text.lower() or "ok" in text.lower(), text[:500]
