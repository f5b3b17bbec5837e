"""Sign-in protections seen from a browser: lockout after failed logins and the idle timeout.

The live hub runs in a thread of this process, so moving :mod:`hub.clock` moves the server's time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub import clock
from hub.auth.views import GENERIC_REFUSAL
from tests.browser.conftest import PASSWORD, log_in

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _real_time() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


def _attempt(page, hub, email: str, password: str) -> str:
    page.goto(f"{hub.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page.url


def test_nine_failures_lock_the_account_even_for_the_right_password(live_hub, browser_page):
    page, email = browser_page, live_hub.emails["lockout"]
    for n in range(9):
        assert _attempt(page, live_hub, email, f"wrong-password-{n}").endswith("/login")
        assert GENERIC_REFUSAL in page.inner_text("body")

    # the 10th attempt, with the right password, is refused with the same generic message
    assert _attempt(page, live_hub, email, PASSWORD).endswith("/login")
    locked_text = page.inner_text("body")
    assert GENERIC_REFUSAL in locked_text
    # ... which says no more than an unknown account does
    _attempt(page, live_hub, "nobody@acme.test", "whatever-password")
    assert page.inner_text("body") == locked_text
    page.goto(f"{live_hub.url}/tenants")
    assert page.url.startswith(f"{live_hub.url}/login")  # not signed in

    # the lockout ends on its own (base period 60 s); then the right password works
    clock.advance(live_hub.app.config["LOCKOUT_BASE_SECONDS"] + 1)
    _attempt(page, live_hub, email, PASSWORD)
    assert page.url == f"{live_hub.url}/"


def test_idle_session_ends_but_activity_keeps_it_alive(live_hub, browser_page):
    page = browser_page
    idle = live_hub.app.config["SESSION_IDLE_TIMEOUT"]
    log_in(page, live_hub, live_hub.agent_email)
    page.goto(f"{live_hub.url}/tenants")

    # working every (timeout - 1 minute) keeps the session: each request counts as activity
    for _ in range(2):
        clock.advance(idle - 60)
        page.goto(f"{live_hub.url}/tenants")
        assert page.url == f"{live_hub.url}/tenants"

    # a whole timeout without a request ends it: back to the sign-in page, with the reason
    clock.advance(idle + 1)
    page.goto(f"{live_hub.url}/tenants")
    assert page.url.startswith(f"{live_hub.url}/login")
    assert "Your session has expired" in page.inner_text("body")
    # the old cookie does not come back to life
    clock.reset()
    page.goto(f"{live_hub.url}/tenants")
    assert page.url.startswith(f"{live_hub.url}/login")
