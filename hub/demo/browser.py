"""Headless Debian Chromium for the screenshots and the browser tests: one launch, one sign-in.

Playwright is a test extra, so nothing here imports it: callers pass in their Playwright objects.
"""

from __future__ import annotations

from typing import Any

#: Debian's Chromium (browsers cannot be downloaded on the build machines)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium browser from a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def sign_in(page: Any, base_url: str, email: str, password: str) -> None:
    """Sign in through the hub's login form and wait for the home page."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
