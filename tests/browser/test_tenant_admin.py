"""A tenant admin reviews what the billing company's staff did in their system, and checks seats.

An agent works in Good Therapy through the browser; one audit sync pass brings the tenant's report
into the hub; the tenant admin then sees those events (Billing user on behalf of the agent's
Restricted user) and runs the seat check, which flags the Billing-company account the tenant
charges as a Standard seat.
"""

from __future__ import annotations

import pytest

from hub.sync.worker import sync_pass
from tests.browser.conftest import enter_tenant, log_in

pytestmark = pytest.mark.browser


def test_tenant_admin_reviews_third_party_usage_and_seats(live_hub, browser_page):
    page, world = browser_page, live_hub.world
    log_in(page, live_hub, live_hub.agent_email)
    tenant_id = enter_tenant(page, live_hub, world.good_therapy_name, world.restricted_alice)
    page.get_by_role("link", name="Chen").first.click()
    page.wait_for_url(f"**/tenants/{tenant_id}/clients/{world.chen_id}")
    page.context.clear_cookies()

    summary = sync_pass(live_hub.app, concurrency=1, tenant_ids=[tenant_id], worker_id="browser-test")
    assert not summary.failed and summary.events > 0

    log_in(page, live_hub, live_hub.emails["tenant_admin"])
    page.get_by_role("link", name="third-party activity and seat check").click()
    page.wait_for_url(f"{live_hub.url}/review*")
    assert world.good_therapy_name in page.locator("h1").inner_text()
    events = page.locator("#events tbody tr")
    assert events.count() > 0
    on_behalf = [events.nth(i).locator("td").nth(4).inner_text() for i in range(events.count())]
    assert any(world.restricted_alice[0] in cell for cell in on_behalf)

    with page.expect_navigation():
        page.get_by_role("button", name="Check now").click()
    assert page.locator("#seat-error").count() == 0, page.inner_text("#seats")
    seats = page.locator("#seat-table")
    flagged = seats.locator("tr.misconfigured")
    assert flagged.count() == 1
    assert world.billing_standard[0] in flagged.inner_text()
    assert "charged: misconfigured" in flagged.inner_text()
    assert seats.locator(f'tr[data-user-id="{world.billing_full[0]}"]').locator("td").last.inner_text() == "no"
    for _user_id, secret in (world.billing_full, world.billing_readonly, world.restricted_alice):
        assert secret not in page.content()


def test_tenant_admin_sees_only_the_review(live_hub, browser_page):
    page = browser_page
    log_in(page, live_hub, live_hub.emails["tenant_admin"])
    for path in ("/tenants", "/admin/tenants/", "/activity"):
        response = page.goto(f"{live_hub.url}{path}")
        assert response is not None and response.status == 403, path
