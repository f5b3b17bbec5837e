"""The hub's way to a tenant system: :func:`connector_for` looks the tenant's connector up by slug.

Connector instances pool their connections, so they are cached per application and per
(slug, base URL, timeouts) and reused by every request of that process: do not close one after use.
They are closed when the application object is garbage-collected or the process exits, whichever
comes first; a connector closed anyway leaves the cache, and the next lookup builds a fresh one.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from hub.tenants.models import Tenant
from tenant_connectors import registry
from tenant_connectors.base import TenantConnector, Timeouts

_EXTENSION = "hub_connectors"
_Key = tuple[str, str, Timeouts]


class ConnectorCache:
    """Connector instances of one application, created on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instances: dict[_Key, TenantConnector] = {}

    def get(self, slug: str, base_url: str, timeouts: Timeouts) -> TenantConnector:
        """The cached connector for this tenant address, created if needed."""
        key = (slug, base_url.rstrip("/"), timeouts)
        with self._lock:
            connector = self._instances.get(key)
            if connector is None:
                connector = self._instances[key] = self._build(key)
            return connector

    def _build(self, key: _Key) -> TenantConnector:
        slug, base_url, timeouts = key
        connector = registry.get(slug)(base_url, timeouts=timeouts)
        release = connector.close

        def close() -> None:
            # a holder that closes the shared instance also takes it out of the cache, so the next
            # connector_for() builds a fresh one instead of handing out a closed pool
            with self._lock:
                if self._instances.get(key) is connector:
                    del self._instances[key]
            release()

        connector.close = close  # type: ignore[method-assign]
        return connector

    def close(self) -> None:
        """Close every cached connector (their pooled connections with them)."""
        with self._lock:
            instances = list(self._instances.values())
            self._instances.clear()
        for connector in instances:
            connector.close()

    def __len__(self) -> int:
        return len(self._instances)


def timeouts_from(config: Mapping[str, Any]) -> Timeouts:
    """The tenant-call time bounds configured for the app."""
    return Timeouts(
        connect=float(config["TENANT_CONNECT_TIMEOUT"]),
        read=float(config["TENANT_READ_TIMEOUT"]),
        total=float(config["TENANT_TOTAL_TIMEOUT"]),
    )


def connector_cache(app: Flask | None = None) -> ConnectorCache:
    """The application's connector cache (created, with its closing finaliser, on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(_EXTENSION)
    if cache is None:
        cache = app.extensions.setdefault(_EXTENSION, ConnectorCache())
        # runs when the app is collected, or at interpreter exit (weakref.finalize's atexit hook)
        weakref.finalize(app, cache.close)
    return cache


def connector_for(tenant: Tenant) -> TenantConnector:
    """The connector that reaches ``tenant`` (raises ``registry.UnknownConnector`` for an unknown slug)."""
    return connector_cache().get(tenant.connector, tenant.base_url, timeouts_from(current_app.config))


def close_connectors(app: Flask | None = None) -> None:
    """Close the app's cached connectors now (tests, shutdown hooks)."""
    connector_cache(app).close()
