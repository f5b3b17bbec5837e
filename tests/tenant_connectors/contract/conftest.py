"""Fixtures of the contract suite: ``connector_factory`` parametrised over every adapter under test.

Today only the HTTP connector runs (looked up through the registry, as the hub does); a vendor
adapter joins by adding an entry to ``ADAPTERS`` that builds it for a sandbox tenant.  Every
connector a test builds is closed at teardown.  ``sandbox`` comes from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tenant_connectors import registry
from tenant_connectors.base import TenantConnector, Timeouts

from .helpers import GOOD_THERAPY, ConnectorFactory

DEFAULT_TIMEOUTS = Timeouts(connect=2.0, read=5.0, total=10.0)


def _http(base_url: str, timeouts: Timeouts) -> TenantConnector:
    return registry.get("http")(base_url, timeouts=timeouts)


#: adapter name -> how to build it for a tenant base URL
ADAPTERS: dict[str, Callable[[str, Timeouts], TenantConnector]] = {"http": _http}


@pytest.fixture(params=sorted(ADAPTERS))
def connector_factory(request: pytest.FixtureRequest, sandbox: Any) -> Iterator[ConnectorFactory]:
    """``factory(tenant="good-therapy", *, timeouts=None, base_url=None)`` -> a connector."""
    adapter = ADAPTERS[request.param]
    made: list[TenantConnector] = []

    def build(
        tenant: str = GOOD_THERAPY, *, timeouts: Timeouts | None = None, base_url: str | None = None
    ) -> TenantConnector:
        connector = adapter(base_url or sandbox.tenant_url(tenant), timeouts or DEFAULT_TIMEOUTS)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


@pytest.fixture
def connector(connector_factory: ConnectorFactory) -> TenantConnector:
    """A connector for Good Therapy."""
    return connector_factory(GOOD_THERAPY)
