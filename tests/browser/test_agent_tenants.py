"""An agent works two tenants at once: both entered through their secondary prompt, switched between
from the banner with both sessions kept open, and an invoice split previewed for a client."""

from __future__ import annotations

import pytest

from tests.browser.conftest import enter_tenant, log_in

pytestmark = pytest.mark.browser


def test_agent_enters_two_tenants_and_switches_between_them(live_hub, browser_page):
    page, world = browser_page, live_hub.world
    good, calm = world.good_therapy_name, world.calm_waters_name
    log_in(page, live_hub, live_hub.agent_email)

    good_id = enter_tenant(page, live_hub, good, world.restricted_alice)
    assert good in page.locator("#tenant-banner").inner_text()
    calm_id = enter_tenant(page, live_hub, calm, world.restricted_alice)
    banner = page.locator("#tenant-banner")
    assert calm in banner.inner_text() and "acme.alice" in banner.inner_text()

    # both sessions are open on the dashboard: each row offers "Go to", not "Enter"
    page.goto(f"{live_hub.url}/tenants")
    for tenant_id, name in ((good_id, good), (calm_id, calm)):
        row = page.locator(f'tr[data-tenant-id="{tenant_id}"]')
        assert row.locator("td").nth(5).inner_text() == "open"
        assert row.get_by_role("link", name=f"Go to {name}").count() == 1

    # the banner's switcher goes straight back to the open session: no second prompt
    page.get_by_role("link", name=f"Go to {calm}").click()
    page.wait_for_url(f"**/tenants/{calm_id}/clients")
    page.select_option("select[name=tenant_id]", str(good_id))
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(f"**/tenants/{good_id}/clients")
    assert good in page.locator("#tenant-banner").inner_text()
    page.select_option("select[name=tenant_id]", str(calm_id))
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(f"**/tenants/{calm_id}/clients")
    assert calm in page.locator("#tenant-banner").inner_text()

    # leaving one tenant leaves the other open
    page.click("#leave-tenant")
    page.wait_for_url(f"{live_hub.url}/tenants*")
    assert page.locator(f'tr[data-tenant-id="{calm_id}"]').get_by_role("button", name=f"Enter {calm}").count() == 1
    assert page.locator(f'tr[data-tenant-id="{good_id}"]').get_by_role("link", name=f"Go to {good}").count() == 1
    assert world.restricted_alice[1] not in page.content()


def _preview(page, *, visits: str, total: str) -> None:
    """Fill the split preview form for March 2026 and submit it."""
    page.fill("input[name=service_start]", "2026-03-01")
    page.fill("input[name=service_end]", "2026-03-31")
    page.fill("input[name=visits]", visits)
    page.fill("input[name=total]", total)
    page.get_by_role("button", name="Preview split").click()


def test_agent_previews_the_split_of_an_invoice(live_hub, browser_page):
    page, world = browser_page, live_hub.world
    log_in(page, live_hub, live_hub.agent_email)
    tenant_id = enter_tenant(page, live_hub, world.good_therapy_name, world.restricted_alice)

    page.get_by_role("link", name="Rivera, Ana").click()
    page.wait_for_url(f"**/tenants/{tenant_id}/clients/{world.rivera_id}")
    page.get_by_role("link", name="Split preview").click()
    page.wait_for_url(f"**/tenants/{tenant_id}/clients/{world.rivera_id}/split")
    _preview(page, visits="4", total="1000.00")

    result = page.locator("#split-result")
    assert "Split of 1,000.00" in result.inner_text()
    rows = result.locator("tbody tr")
    assert rows.count() == 2
    portions = [rows.nth(i).locator("td.portion").inner_text() for i in range(2)]
    assert portions == ["800.00", "200.00"]  # Blue Shield pays 80 %, the Remainder payer the rest
    assert "Blue Shield" in rows.nth(0).inner_text() and "Remainder" in rows.nth(1).inner_text()
    assert result.locator("tfoot .portion").inner_text() == "1,000.00"
    # a preview only: the client's payers are unchanged
    page.get_by_role("link", name="Rivera, Ana").first.click()
    assert page.locator("tr.remainder").count() == 1


def test_bad_invoice_shows_the_error_next_to_the_field(live_hub, browser_page):
    page, world = browser_page, live_hub.world
    log_in(page, live_hub, live_hub.agent_email)
    tenant_id = enter_tenant(page, live_hub, world.good_therapy_name, world.restricted_alice)
    page.goto(f"{live_hub.url}/tenants/{tenant_id}/clients/{world.rivera_id}/split")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _preview(page, visits="1", total="<script>alert(1)</script>")
    assert dialogs == []  # the input is echoed as text, never run
    assert page.input_value("input[name=total]") == "<script>alert(1)</script>"
    assert "Enter an amount in dollars and cents" in page.inner_text("body")
    assert page.locator("#split-result").count() == 0
