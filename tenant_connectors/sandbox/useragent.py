"""Rough platform / OS detection from a User-Agent header (for the audit report)."""

from __future__ import annotations

import re

_OS_PATTERNS = (
    (re.compile(r"Windows NT 10"), "Windows 10"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"iPhone|iPad"), "iOS"),
    (re.compile(r"Mac OS X|Macintosh|Darwin"), "macOS"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Linux|X11"), "Linux"),
)
_PLATFORM_PATTERNS = (
    (re.compile(r"Edg/"), "Edge"),
    (re.compile(r"Firefox/"), "Firefox"),
    (re.compile(r"Chrome/"), "Chrome"),
    (re.compile(r"Safari/"), "Safari"),
)


def parse_user_agent(user_agent: str | None) -> tuple[str | None, str | None]:
    """``(platform, os)`` guessed from ``user_agent``; library agents give their product name."""
    if not user_agent:
        return None, None
    os_name = next((name for pattern, name in _OS_PATTERNS if pattern.search(user_agent)), None)
    platform = next((name for pattern, name in _PLATFORM_PATTERNS if pattern.search(user_agent)), None)
    if platform is None:
        # "python-httpx/0.28.1", "Werkzeug/3.1" -> the product token
        platform = user_agent.split()[0].split("/")[0][:100] or None
    return platform, os_name
