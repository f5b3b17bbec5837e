"""The hub's own tamper-evident audit log: ``record`` from services, ``verify`` from the CLI."""
