"""Split preview: divide an invoice among a client's payers inside a tenant (item 4 of issue 4)."""

from __future__ import annotations

from flask import Flask


def init_split(app: Flask) -> None:
    """Register the ``split`` blueprint."""
    from hub.split.views import bp

    app.register_blueprint(bp)
