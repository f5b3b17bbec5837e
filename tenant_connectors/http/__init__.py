"""HTTP adapter for the documented tenant JSON API (registered as the ``http`` connector)."""

from tenant_connectors.http.connector import HttpTenantConnector
from tenant_connectors.http.transport import DEFAULT_MAX_RESPONSE_BYTES, RetryPolicy

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "HttpTenantConnector", "RetryPolicy"]
