"""``--check``: verify a running demo over real HTTP, as a browser would.

The login page answers; an agent logs in, sees exactly the deliberately misconfigured tenants
flagged ``misconfigured`` on the tenant list before anyone entered them (the first seat check found
their charged seat), enters a healthy tenant (the Billing login is made by the hub, the tenant's
secondary prompt is answered with the agent's own Restricted credentials) and sees its clients; the
hub admin reaches the home page; the sandbox answers its control API.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from hub.demo.state import Login

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class CheckFailed(AssertionError):
    """A step of the check did not give what it should."""


@dataclass(frozen=True)
class Step:
    """One verified step."""

    name: str
    detail: str


def csrf_token(html: str) -> str:
    """The CSRF token of the first form of ``html``."""
    match = _TOKEN.search(html)
    if match is None:
        raise CheckFailed("the page has no CSRF token")
    return match.group(1) or match.group(2)


def _expect(response: httpx.Response, status: int, what: str, location: str | None = None) -> None:
    where = response.headers.get("location", "")
    if response.status_code != status or (location is not None and location not in where):
        raise CheckFailed(f"{what}: got {response.status_code} {where}".rstrip())


def log_in(client: httpx.Client, login: Login) -> None:
    """Log ``login`` in through the login form."""
    page = client.get("/login")
    _expect(page, 200, "GET /login")
    reply = client.post("/login", data={"csrf_token": csrf_token(page.text), "email": login.email,
                                        "password": login.password})
    _expect(reply, 302, f"log in as {login.email}")


def enter_tenant(client: httpx.Client, agent: Login, tenant_name: str) -> int:
    """Enter ``tenant_name`` from the agent's tenant list; returns the tenant id."""
    dashboard = client.get("/tenants")
    _expect(dashboard, 200, "GET /tenants")
    match = re.search(re.escape(tenant_name) + r".*?/tenants/(\d+)/enter", dashboard.text, re.S)
    if match is None:
        raise CheckFailed(f"{tenant_name} is not in the agent's tenant list")
    tenant_id = int(match.group(1))
    reply = client.post(f"/tenants/{tenant_id}/enter", data={"csrf_token": csrf_token(dashboard.text)})
    _expect(reply, 302, f"enter {tenant_name}", f"/tenants/{tenant_id}/secondary")
    prompt = client.get(f"/tenants/{tenant_id}/secondary")
    _expect(prompt, 200, "the secondary prompt")
    reply = client.post(f"/tenants/{tenant_id}/secondary", data={
        "csrf_token": csrf_token(prompt.text), "username": agent.restricted_user_id,
        "password": agent.restricted_password})
    _expect(reply, 302, "answer the secondary prompt", f"/tenants/{tenant_id}/clients")
    return tenant_id


def flagged_tenants(client: httpx.Client) -> set[str]:
    """The names of the tenants the signed-in agent's tenant list shows as ``misconfigured``."""
    page = client.get("/tenants", params={"health": "misconfigured"})
    _expect(page, 200, "GET /tenants?health=misconfigured")
    rows = re.findall(r'<tr data-tenant-id="\d+">\s*<td>([^<]*)</td>.*?class="health health-(\w+)"', page.text, re.S)
    return {html.unescape(name) for name, status in rows if status == "misconfigured"}


def run_check(hub_url: str, sandbox_url: str, logins: list[Login], tenant_name: str,
              problems: Mapping[str, str] | None = None) -> list[Step]:
    """Run every step against the live servers; raises :class:`CheckFailed` at the first failure.

    :param problems: the world's deliberate problems by tenant name (the misconfigured ones must be flagged)
    """
    steps = []
    with httpx.Client(base_url=sandbox_url, timeout=20) as sandbox:
        companies = sandbox.get("/_sandbox/companies")
        _expect(companies, 200, "GET sandbox /_sandbox/companies")
        steps.append(Step("sandbox answers", f"{len(companies.json()['items'])} companies"))
    agent = next(item for item in logins if item.role == "agent" and not item.totp_secret)
    with httpx.Client(base_url=hub_url, timeout=30) as client:
        _expect(client.get("/login"), 200, "GET /login")
        steps.append(Step("hub login page", "200"))
        log_in(client, agent)
        steps.append(Step("agent logs in", agent.email))
        expected = {name for name, problem in (problems or {}).items() if problem == "misconfigured"}
        flagged = flagged_tenants(client)
        if flagged != expected:
            raise CheckFailed(f"tenants flagged misconfigured: {sorted(flagged)}, expected {sorted(expected)}")
        steps.append(Step("misconfigured tenants flagged before anyone entered them", ", ".join(sorted(flagged))
                          or "none in this world"))
        tenant_id = enter_tenant(client, agent, tenant_name)
        clients = client.get(f"/tenants/{tenant_id}/clients")
        _expect(clients, 200, "the tenant's client list")
        steps.append(Step("agent enters a tenant through the secondary prompt", tenant_name))
    admin = next(item for item in logins if item.role == "hub admin")
    with httpx.Client(base_url=hub_url, timeout=30) as client:
        log_in(client, admin)
        _expect(client.get("/"), 200, "the hub admin's home page")
        steps.append(Step("hub admin logs in", admin.email))
    return steps
