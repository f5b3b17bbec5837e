"""The audit trail pages: the hub-wide activity dashboard (``activity``) and the tenant-admin review.

``filters`` and ``cursor`` parse what the visitor asks for; ``service`` reads keyset pages;
``chart``/``svg`` aggregate and draw activity over time; ``export`` streams CSV; ``syncnow`` pulls one
tenant in the background; ``pages`` gathers a page's data for the views of both blueprints.
"""

from __future__ import annotations

from flask import Flask


def init_activity(app: Flask) -> None:
    """Register the dashboard and the tenant-admin review (:mod:`hub.review`)."""
    from hub.activity.views import bp
    from hub.review.views import bp as review_bp

    app.register_blueprint(bp)
    app.register_blueprint(review_bp)
