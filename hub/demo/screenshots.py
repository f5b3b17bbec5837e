"""``python -m hub.demo.screenshots``: PNG screenshots of the hub's key pages, for the README and guides.

Builds a small demo world of its own (a throw-away data folder unless ``--data-dir`` is given, the
same code as ``python -m hub.demo``), serves it on free loopback ports without the background sync
worker, then walks through the hub in headless Chromium as each role and saves one PNG per page in
``docs/screenshots/``.  Needs Playwright (``pip install -e '.[test]'``) and Debian's Chromium
(``apt-get install -y chromium``).  Every account and password is the demo's own, random per world.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from hub.demo.browser import launch_chromium, sign_in
from hub.demo.runtime import Demo, Options
from hub.demo.state import DataDir, Login

VIEWPORT = {"width": 1280, "height": 800}
#: the tenant the agent works in (healthy, first in the seeded world) and the second one it opens
WORK_TENANT, SECOND_TENANT = "Good Harbor Counseling", "Maple Grove Therapy"
#: the deliberately misconfigured tenant; its tenant admin sees the charged seat
MISCONFIGURED_TENANT = "Sunrise Recovery Center"
REVIEWER_EMAIL = "director@sunrise.example"


class Shooter:
    """Saves full-page screenshots of one browser page into the output folder."""

    def __init__(self, page: Any, base_url: str, out: Path) -> None:
        self.page, self.base_url, self.out = page, base_url, out
        self.saved: list[Path] = []

    def go(self, path: str) -> None:
        """Open ``path`` of the hub and fail loudly on an error answer."""
        response = self.page.goto(f"{self.base_url}{path}")
        if response is None or response.status >= 400:
            raise click.ClickException(f"GET {path} answered {response.status if response else 'nothing'}")

    def shot(self, name: str, *, full_page: bool = True) -> None:
        """Save the current page as ``<name>.png``."""
        target = self.out / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=full_page)
        self.saved.append(target)
        click.echo(f"  saved {target}")

    def shot_element(self, selector: str, name: str) -> None:
        """Save one element of the current page as ``<name>.png``."""
        target = self.out / f"{name}.png"
        self.page.locator(selector).screenshot(path=str(target))
        self.saved.append(target)
        click.echo(f"  saved {target}")

    def log_in(self, login: Login | tuple[str, str]) -> None:
        """Sign in (fresh cookies) and land on the home page."""
        email, password = (login.email, login.password) if isinstance(login, Login) else login
        self.page.context.clear_cookies()
        self.go("/login")  # fails loudly on an error answer before the form is filled
        sign_in(self.page, self.base_url, email, password)


def _login(logins: list[Login], role: str) -> Login:
    return next(item for item in logins if item.role == role and not item.totp_secret)


def _enter(s: Shooter, agent: Login, tenant: str, *, shoot_prompt: bool = False) -> str:
    """Enter ``tenant`` from the dashboard through its secondary prompt; returns its client list URL."""
    s.go("/tenants")
    s.page.get_by_role("button", name=f"Enter {tenant}").click()
    s.page.wait_for_url("**/secondary")
    if shoot_prompt:
        s.shot("03-secondary-prompt")
    s.page.fill("input[name=password]", agent.restricted_password)
    s.page.get_by_role("button", name=f"Sign in to {tenant}").click()
    s.page.wait_for_url("**/clients")
    return str(s.page.url)


def _richest_client(s: Shooter, clients_url: str) -> str:
    """The client (of the first page) with the most payers: the most telling payer table."""
    s.page.goto(clients_url)
    links = [a.get_attribute("href") for a in s.page.locator("#clients tbody a").all()][:8]
    best, most = links[0], -1
    for href in links:
        s.page.goto(f"{s.base_url}{href}")
        count = s.page.locator("#payers tr.status-active").count()
        if count > most:
            best, most = href, count
    return str(best)


def agent_pages(s: Shooter, agent: Login) -> None:
    """Dashboard, secondary prompt, banner and client list, payers, make-Remainder form, split preview."""
    s.log_in(agent)
    s.go("/tenants")
    s.shot("02-agent-tenants")
    _enter(s, agent, SECOND_TENANT)
    clients_url = _enter(s, agent, WORK_TENANT, shoot_prompt=True)
    s.shot("04-tenant-clients")
    client = _richest_client(s, clients_url)
    s.go(client)
    s.shot("05-client-payers")
    s.page.locator("a.make-remainder").first.click()
    s.page.wait_for_url("**/remainder")
    s.shot("06-make-remainder")
    s.go(f"{client}/split")
    s.page.fill("input[name=service_start]", "2026-03-01")
    s.page.fill("input[name=service_end]", "2026-03-31")
    s.page.fill("input[name=visits]", "4")
    s.page.fill("input[name=total]", "2400.00")
    s.page.get_by_role("button", name="Preview split").click()
    s.page.wait_for_selector("#split-result")
    s.shot("07-split-preview")
    s.go("/activity")
    s.shot("08-activity", full_page=False)  # the first rows of 50 say enough
    s.go("/activity/chart")
    s.shot("09-activity-chart")


def reviewer_pages(s: Shooter, reviewer: tuple[str, str]) -> None:
    """The tenant admin's review of third-party usage, after a seat check."""
    s.log_in(reviewer)
    s.go("/review")
    s.shot("10-review", full_page=False)
    with s.page.expect_navigation():
        s.page.get_by_role("button", name="Check now").click()
    s.shot_element("#seats", "11-seat-check")


def admin_pages(s: Shooter, admin: Login) -> None:
    """Tenants list, a credential's edit form, the audit log and its verification."""
    s.log_in(admin)
    s.go("/admin/tenants/")
    s.shot("12-admin-tenants")
    s.go("/admin/credentials/")
    s.page.locator("table.model-list a[href*='/edit/']").first.click()
    s.page.wait_for_url("**/admin/credentials/edit/**")
    s.shot("13-credential-edit")
    s.go("/admin/audit_log/")
    s.shot("14-audit-log", full_page=False)
    s.go("/admin/audit_log/verify/")
    s.shot("15-audit-verify")


def support_pages(s: Shooter, support: Login) -> None:
    """Support's Hubs screen."""
    s.log_in(support)
    s.go("/admin/hubs/")
    s.shot("16-support-hubs")


def add_reviewer(demo: Demo) -> tuple[str, str]:
    """A tenant admin for the misconfigured tenant (so the seat check has something to flag).

    The seat check logs in with the tenant's sync account, the demo's Read only Billing login, whose
    permission group may list users (:mod:`hub.demo.world`).
    """
    from sqlalchemy import select

    from hub.accounts.models import Role, User
    from hub.accounts.service import create_user
    from hub.demo.state import hub_password
    from hub.extensions import db
    from hub.tenants.models import Tenant

    assert demo.app is not None
    password = hub_password()
    with demo.app.app_context():
        tenant = db.session.scalars(select(Tenant).where(Tenant.name == MISCONFIGURED_TENANT)).one()
        user = db.session.scalars(select(User).where(User.email == REVIEWER_EMAIL)).first()
        if user is None:
            create_user(email=REVIEWER_EMAIL, display_name="Riley Reviewer", role=Role.TENANT_ADMIN,
                        password=password, actor=None, hub=tenant.hub, tenant_id=tenant.id)
        else:
            from hub.accounts.service import change_password

            change_password(user, password, actor=None)
        db.session.commit()
    return REVIEWER_EMAIL, password


@contextmanager
def running_demo(data_dir: Path, *, reset: bool) -> Iterator[Demo]:
    """A small demo world, served on free ports, stopped on exit."""
    options = Options(DataDir(data_dir), port=0, sandbox_port=0, tenants=6, events_per_tenant=600, clients=8,
                      reset=reset, sync_worker=False)
    demo = Demo(options)
    try:
        demo.build()
        demo.start_hub()
        yield demo
    finally:
        demo.stop()


def take_all(demo: Demo, out: Path) -> list[Path]:
    """Walk every role's pages and save the screenshots; returns the files written."""
    from playwright.sync_api import sync_playwright

    assert demo.hub is not None and demo.state is not None
    logins = demo.state.logins
    reviewer = add_reviewer(demo)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(30_000)
            s = Shooter(page, demo.hub.url, out)
            s.go("/login")
            s.shot("01-login")
            agent_pages(s, _login(logins, "agent"))
            reviewer_pages(s, reviewer)
            admin_pages(s, _login(logins, "hub admin"))
            support_pages(s, _login(logins, "support"))
        finally:
            browser.close()
    return s.saved


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--out", default="docs/screenshots", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the PNG files.")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Demo data folder to use (default: a temporary one, removed afterwards).")
def screenshots_command(out: str, data_dir: str | None) -> None:
    """Build a small demo world, serve it and save screenshots of the key pages."""
    with tempfile.TemporaryDirectory(prefix="hub-screenshots-") as tmp:
        folder = Path(data_dir) if data_dir else Path(tmp)
        with running_demo(folder, reset=data_dir is None) as demo:
            saved = take_all(demo, Path(out))
    click.echo(f"{len(saved)} screenshots in {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    try:
        screenshots_command.main(args=list(argv) if argv is not None else None,
                                 prog_name="python -m hub.demo.screenshots", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
