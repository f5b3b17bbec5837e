"""Flask-Admin views of the hub, each secured by role and scoped to the current hub."""

from __future__ import annotations

from flask import Flask


def init_admin(app: Flask) -> None:
    """Build the Flask-Admin instance for ``app`` and add every view."""
