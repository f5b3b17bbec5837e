"""``python -m tenant_connectors.sandbox`` runs the sandbox CLI."""

from __future__ import annotations

from tenant_connectors.sandbox.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
