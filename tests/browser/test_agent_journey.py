"""An agent's journey in a real browser: log in, enter a tenant through the secondary prompt, move
the Remainder payer and see the change."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_agent_moves_the_remainder_payer(live_hub, browser_page, sandbox):
    page = browser_page
    world = sandbox.world
    page.goto(f"{live_hub.url}/login")
    page.fill("input[name=email]", live_hub.agent_email)
    page.fill("input[name=password]", live_hub.agent_password)
    page.click("form input[type=submit], form button[type=submit]")
    page.wait_for_url(f"{live_hub.url}/")

    page.goto(f"{live_hub.url}/tenants")
    page.get_by_role("button", name="Enter Good Therapy, Inc").click()
    page.wait_for_url(f"**/tenants/{live_hub.tenant_id}/secondary")
    assert page.input_value("input[name=username]") == "acme.alice"
    page.fill("input[name=password]", "alice-Passw0rd!")
    page.get_by_role("button", name="Sign in to Good Therapy, Inc").click()
    page.wait_for_url(f"**/tenants/{live_hub.tenant_id}/clients")
    banner = page.locator("#tenant-banner")
    assert "Good Therapy, Inc" in banner.inner_text()
    assert "on behalf of you" in banner.inner_text() and "acme.alice" in banner.inner_text()

    page.get_by_role("link", name="Okafor, Chi").click()
    county = page.locator(f'tr[data-client-payer-id="{world.okafor_county_cp}"]')
    assert county.locator("td.distribution").inner_text() == "Monthly"
    county.get_by_role("link", name="Make this payer the Remainder payer").click()
    page.check("input[name=previous_action][value=inactive]")
    page.fill("textarea[name=note]", "Parent agency pays what is left")
    page.fill("input[name=effective_date]", "2026-03-01")
    page.click("#move-remainder")

    page.wait_for_url(f"**/tenants/{live_hub.tenant_id}/clients/{world.okafor_id}")
    county = page.locator(f'tr[data-client-payer-id="{world.okafor_county_cp}"]')
    assert county.locator("td.distribution").inner_text() == "Remainder"
    old_self = page.locator(f'tr[data-client-payer-id="{world.okafor_self_cp}"]')
    assert old_self.locator("td.status").inner_text() == "Inactive"
    assert page.locator("tr.remainder").count() == 1
    assert "alice-Passw0rd!" not in page.content()
