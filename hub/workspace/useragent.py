"""Platform and OS of the agent's browser, from its User-Agent, for the tenant's audit report."""

from __future__ import annotations

from flask import Request

from tenant_connectors.base import ClientInfo

#: checked in order: Edge and Opera announce Chrome too, Chrome announces Safari
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("HeadlessChrome/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows NT 10", "Windows 10"), ("Windows", "Windows"), ("Android", "Android"),
            ("iPhone", "iOS"), ("iPad", "iOS"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def parse_user_agent(user_agent: str) -> tuple[str | None, str | None]:
    """(platform, os) named by a User-Agent string; None where it says nothing we know."""
    platform = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    return platform, system


def client_info(request: Request) -> ClientInfo:
    """Where the agent sits: their address and browser, as the tenant's audit report records them."""
    platform, system = parse_user_agent(request.user_agent.string or "")
    return ClientInfo(ip_address=request.remote_addr, platform=platform, os=system)
