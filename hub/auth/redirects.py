"""``next=`` targets: only paths on this site, never another host."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: object) -> str | None:
    """``target`` when it is a local path (``/...``), else None.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers read ``/\\host`` as
    ``//host``), control characters and anything that parses with a scheme or host.
    """
    if not isinstance(target, str) or not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
