"""The port to tenant systems (:mod:`tenant_connectors.base`) and its adapters."""
