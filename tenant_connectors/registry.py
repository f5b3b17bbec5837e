"""Look up tenant connector classes by slug.

Adapters are found through the ``billing_hub.tenant_connectors`` entry-point group declared in
``pyproject.toml``; tests and plug-ins may also :func:`register` a class directly.  The hub stores
only the slug on its tenant record and never imports an adapter module.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from tenant_connectors.base import TenantConnector

ENTRY_POINT_GROUP = "billing_hub.tenant_connectors"

_registered: dict[str, type[TenantConnector]] = {}


class UnknownConnector(LookupError):
    """No connector is registered under the requested slug."""


def register(cls: type[TenantConnector]) -> type[TenantConnector]:
    """Register ``cls`` under its ``slug`` (usable as a class decorator)."""
    _registered[cls.slug] = cls
    return cls


def unregister(slug: str) -> None:
    """Forget a directly registered connector (tests)."""
    _registered.pop(slug, None)


def _from_entry_points() -> dict[str, type[TenantConnector]]:
    found: dict[str, type[TenantConnector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, TenantConnector)):
            raise TypeError(f"entry point {ep.name!r} does not name a TenantConnector subclass")
        found[ep.name] = cls
    return found


def available() -> dict[str, type[TenantConnector]]:
    """Every known connector, by slug (direct registrations win over entry points)."""
    return {**_from_entry_points(), **_registered}


def get(slug: str) -> type[TenantConnector]:
    """The connector class registered as ``slug``."""
    if slug in _registered:
        return _registered[slug]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=slug):
        cls = ep.load()
        if isinstance(cls, type) and issubclass(cls, TenantConnector):
            return cls
    raise UnknownConnector(f"no tenant connector named {slug!r}")
