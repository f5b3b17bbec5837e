"""The sandbox tenant: a separate Flask server behaving like the vendor's system for many companies.

Run it with ``billing-hub-sandbox serve`` (or ``python -m tenant_connectors.sandbox``); tests use
:class:`tenant_connectors.sandbox.testing.SandboxServer` and the seeded world of
:func:`tenant_connectors.sandbox.seed.seed_test_world`.
"""

from __future__ import annotations

from tenant_connectors.sandbox.app import create_app

__all__ = ["create_app"]
