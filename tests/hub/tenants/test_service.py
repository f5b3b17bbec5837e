"""The tenant registry service: validation, audit of every change (never a secret), credentials."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants import service
from hub.tenants.models import BillingCredential, Tenant
from tests import factories

SECRET = "canary-secret-5d1e9b"


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _all_audit_text() -> str:
    return "\n".join(repr((e.action, e.detail, e.target_id)) for e in db.session.scalars(sa.select(AuditEvent)))


def test_create_tenant_with_levels_is_audited(app: Flask) -> None:
    hub = factories.make_hub()
    admin = factories.make_user(role="hub_admin", hub=hub)
    tenant = service.create_tenant(
        hub=hub, name="  Good Therapy, Inc ", base_url="https://good.example/api/v1/", actor=admin,
        permission_levels=["Full", "Payers", "Read only"], notes="key account",
    )
    assert tenant.name == "Good Therapy, Inc"
    assert tenant.base_url == "https://good.example/api/v1"
    assert tenant.connector == "http"
    assert {lv.name: lv.weight for lv in tenant.permission_levels} == {"Full": 2, "Payers": 1, "Read only": 0}
    (event,) = _events("tenant.created")
    assert (event.actor_id, event.hub_id, event.tenant_id) == (admin.id, hub.id, tenant.id)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "Enter"),
        ("ftp://good.example/api", "http"),
        ("javascript:alert(1)", "http"),
        ("https://user:pw@good.example/api", "user name or password"),
        ("https://user@good.example/api", "user name or password"),
        ("https://good.example/api#frag", "fragment"),
        ("https://good.example/api?token=x", "query"),
        ("https:///nohost", "host"),
        ("https://good.example:99999/", "http"),
        ("https://good .example/", "valid URL"),
    ],
)
def test_bad_base_urls_are_refused(app: Flask, url: str, complaint: str) -> None:
    hub = factories.make_hub()
    with pytest.raises(service.ValidationError, match=complaint) as info:
        service.create_tenant(hub=hub, name="T", base_url=url, actor=None)
    assert set(info.value.errors) == {"base_url"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == 0


def test_unknown_connector_and_duplicate_name_are_refused(app: Flask) -> None:
    hub = factories.make_hub()
    factories.make_tenant(hub, name="Good Therapy")
    with pytest.raises(service.ValidationError) as info:
        service.create_tenant(hub=hub, name="good therapy", base_url="https://x.example", connector="nope", actor=None)
    assert set(info.value.errors) == {"name", "connector"}
    other_hub = factories.make_hub()
    # the same name in another hub is fine
    service.create_tenant(hub=other_hub, name="Good Therapy", base_url="https://x.example", actor=None)


def test_update_tenant_audits_changed_fields_and_refuses_hub_changes(app: Flask) -> None:
    hub = factories.make_hub()
    admin = factories.make_user(role="hub_admin", hub=hub)
    tenant = factories.make_tenant(hub)
    service.update_tenant(tenant, actor=admin, name="Renamed", notes="n", active=False)
    (event,) = _events("tenant.updated")
    assert event.detail == {"fields": ["active", "name", "notes"]}
    with pytest.raises(TypeError):
        service.update_tenant(tenant, actor=admin, hub_id=999)
    with pytest.raises(service.ValidationError):
        service.update_tenant(tenant, actor=admin, base_url="http://a:b@x")
    service.update_tenant(tenant, actor=admin, name="Renamed")  # no change, no event
    assert len(_events("tenant.updated")) == 1


def test_credential_lifecycle_is_audited_without_the_secret(app: Flask) -> None:
    hub = factories.make_hub()
    admin = factories.make_user(role="hub_admin", hub=hub)
    tenant = factories.make_tenant(hub)
    full = factories.level(tenant, "Full")
    cred = service.store_credential(
        tenant=tenant, permission_level=full, label="ACME Full", remote_user_id="acme.full", secret=SECRET, actor=admin
    )
    assert cred.secret_key_id == "k2" and SECRET not in cred.secret_sealed
    assert service.reveal_secret(cred) == SECRET
    assert SECRET not in repr(cred)
    with pytest.raises(service.ValidationError) as info:
        service.store_credential(
            tenant=tenant, permission_level=full, label="again", remote_user_id="x", secret="y", actor=admin
        )
    assert "permission_level" in info.value.errors
    before = cred.secret_sealed
    service.replace_secret(cred, SECRET + "-new", actor=admin)
    assert cred.secret_sealed != before
    assert service.reveal_secret(cred) == SECRET + "-new"
    service.update_credential(cred, actor=admin, label="ACME Full access")
    cred_id = cred.id
    service.delete_credential(cred, actor=admin)
    assert db.session.get(BillingCredential, cred_id) is None
    for action in ("credential.created", "credential.replaced", "credential.updated", "credential.deleted"):
        (event,) = _events(action)
        assert (event.tenant_id, event.target_id, event.actor_id) == (tenant.id, str(cred_id), admin.id)
        assert event.detail["credential_id"] == cred_id
    assert SECRET not in _all_audit_text()


def test_credential_input_is_validated_without_echoing_the_secret(app: Flask) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    with pytest.raises(service.ValidationError) as info:
        service.store_credential(
            tenant=tenant, permission_level=factories.level(tenant, "Full"), label=" ", remote_user_id="",
            secret="", actor=None,
        )
    assert set(info.value.errors) == {"label", "remote_user_id", "secret"}
    with pytest.raises(service.ValidationError) as info:
        service.replace_secret(factories.make_credential(tenant), "x" * 5000, actor=None)
    assert "x" * 20 not in str(info.value)


def test_permission_levels_can_be_added_changed_and_removed(app: Flask) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub, levels=("Full",))
    extra = service.add_permission_level(tenant, name="Payers", weight=5, actor=None)
    with pytest.raises(service.ValidationError):
        service.add_permission_level(tenant, name="payers", actor=None)
    service.update_permission_level(extra, actor=None, weight=7, name="Payers only")
    assert (extra.name, extra.weight) == ("Payers only", 7)
    factories.make_credential(tenant, "Full")
    with pytest.raises(service.ValidationError):
        service.delete_permission_level(factories.level(tenant, "Full"), actor=None)
    service.delete_permission_level(extra, actor=None)
    assert [lv.name for lv in tenant.permission_levels] == ["Full"]
    assert len(_events("permission_level.created")) == len(_events("permission_level.deleted")) == 1


def test_delete_tenant_removes_everything_and_notifies_grant_holders(app: Flask) -> None:
    hub = factories.make_hub()
    agent = factories.make_user(role="agent", hub=hub)
    tenant = factories.make_tenant(hub)
    factories.make_credential(tenant)
    service.grant_access(permission_level=factories.level(tenant, "Full"), user=agent, actor=None)
    seen = []
    service.on_access_revoked.append(seen.append)
    try:
        service.delete_tenant(tenant, actor=None)
    finally:
        service.on_access_revoked.remove(seen.append)
    db.session.commit()
    assert [r.user_ids for r in seen] == [(agent.id,)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BillingCredential)) == 0
    assert service.agent_levels(agent) == {}
