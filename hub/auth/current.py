"""Who is asking: the logged-in user's hub."""

from __future__ import annotations

from flask_login import current_user

from hub.accounts.models import Hub


def current_hub() -> Hub | None:
    """The logged-in user's hub (None for anonymous and for support, who belong to no hub)."""
    if not current_user.is_authenticated:
        return None
    return current_user.hub
