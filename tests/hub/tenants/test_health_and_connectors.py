"""Tenant health recording and the cached connector lookup."""

from __future__ import annotations

import gc

import pytest
from flask import Flask

from hub import create_app
from hub.extensions import db
from hub.tenants import connectors, health
from hub.tenants.models import HealthStatus, Tenant
from tenant_connectors import base, registry
from tests import factories
from tests.hub.conftest import TEST_CONFIG


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (base.TenantTimeout("slow"), HealthStatus.UNAVAILABLE),
        (base.TenantConnectionError("refused"), HealthStatus.UNAVAILABLE),
        (base.TenantServerError("503", status_code=503), HealthStatus.UNAVAILABLE),
        (base.TenantProtocolError("html instead of json"), HealthStatus.PROTOCOL_ERROR),
        (base.AuthenticationFailed("refused"), HealthStatus.AUTH_FAILED),
        (base.SessionExpired("expired"), None),
        (base.TotpRequired("code needed"), None),
        (base.NotFound("no such client"), None),
    ],
)
def test_errors_map_to_health(app: Flask, error: base.TenantError, status: HealthStatus | None) -> None:
    tenant = factories.make_tenant(factories.make_hub())
    assert health.record_failure(tenant, error) == status
    db.session.commit()
    db.session.refresh(tenant)
    if status is None:
        assert tenant.health_status == HealthStatus.UNKNOWN and tenant.consecutive_failures == 0
    else:
        assert tenant.health_status == status
        assert (tenant.last_error_code, tenant.last_error_message) == (error.code, error.message)
        assert tenant.consecutive_failures == 1 and tenant.last_error_at is not None


def test_failures_count_up_and_success_resets(app: Flask) -> None:
    tenant = factories.make_tenant(factories.make_hub())
    for _ in range(3):
        health.record_failure(tenant, base.TenantTimeout("slow " * 200))
    db.session.commit()
    db.session.refresh(tenant)
    assert tenant.consecutive_failures == 3 and len(tenant.last_error_message) == 500
    health.record_success(tenant)
    db.session.commit()
    assert tenant.health_status == HealthStatus.OK and tenant.consecutive_failures == 0
    assert tenant.last_contact_at is not None
    health.record_misconfiguration(tenant, "charged_seat", "the Billing account is a Standard seat")
    assert tenant.health_status == HealthStatus.MISCONFIGURED


def _fake_close(self: base.TenantConnector) -> None:
    # counted per instance: connectors cached by other tests' apps are closed whenever the garbage
    # collector finalises those apps, which may be in the middle of this test
    self.times_closed = getattr(self, "times_closed", 0) + 1  # type: ignore[attr-defined]


def times_closed(connector: base.TenantConnector) -> int:
    return getattr(connector, "times_closed", 0)


#: a connector whose contract calls do nothing: only the lookup is under test here
FakeConnector = type(
    "FakeConnector",
    (base.TenantConnector,),
    {
        **{name: (lambda self, *args, **kwargs: None) for name in base.TenantConnector.__abstractmethods__},
        "slug": "fake-test",
        "title": "Fake",
        "close": _fake_close,
    },
)


@pytest.fixture
def fake_connector():
    registry.register(FakeConnector)
    yield FakeConnector
    registry.unregister(FakeConnector.slug)


def test_connector_for_is_cached_per_address_with_configured_timeouts(app: Flask, fake_connector) -> None:
    app.config.update(TENANT_CONNECT_TIMEOUT=1.5, TENANT_READ_TIMEOUT=4, TENANT_TOTAL_TIMEOUT=9)
    hub = factories.make_hub()
    first = factories.make_tenant(hub, connector="fake-test", base_url="https://a.example/api")
    same_place = factories.make_tenant(hub, connector="fake-test", base_url="https://a.example/api/")
    elsewhere = factories.make_tenant(hub, connector="fake-test", base_url="https://b.example/api")
    conn = connectors.connector_for(first)
    assert isinstance(conn, FakeConnector)
    assert conn.timeouts == base.Timeouts(connect=1.5, read=4.0, total=9.0)
    assert connectors.connector_for(same_place) is conn
    other = connectors.connector_for(elsewhere)
    assert other is not conn
    assert (times_closed(conn), times_closed(other)) == (0, 0)
    connectors.close_connectors(app)
    assert (times_closed(conn), times_closed(other)) == (1, 1)
    assert connectors.connector_for(first) is not conn


def test_a_closed_connector_leaves_the_cache(app: Flask, fake_connector) -> None:
    tenant = factories.make_tenant(factories.make_hub(), connector="fake-test")
    conn = connectors.connector_for(tenant)
    conn.close()
    assert times_closed(conn) == 1
    fresh = connectors.connector_for(tenant)
    assert fresh is not conn and times_closed(fresh) == 0


def test_connectors_close_when_the_app_goes_away(tmp_path, fake_connector) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gone.db'}"})
    with app.app_context():
        conn = connectors.connector_for(Tenant(connector="fake-test", base_url="https://gone.example"))
    assert times_closed(conn) == 0
    del app
    gc.collect()
    assert times_closed(conn) == 1


def test_unknown_connector_slug(app: Flask) -> None:
    tenant = factories.make_tenant(factories.make_hub(), connector="no-such-connector")
    with pytest.raises(registry.UnknownConnector):
        connectors.connector_for(tenant)
