"""Access levels: direct and group grants, highest weight wins, only active tenants of the agent's hub."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants import service
from tests import factories


@pytest.fixture
def hub_world(app: Flask) -> dict:
    hub = factories.make_hub()
    agent = factories.make_user(role="agent", hub=hub)
    group = factories.make_group(hub, members=(agent,))
    tenant = factories.make_tenant(hub, levels=("Full", "Payers", "Read only"))
    return {"hub": hub, "agent": agent, "group": group, "tenant": tenant,
            "admin": factories.make_user(role="hub_admin", hub=hub)}


def test_direct_grant(hub_world: dict) -> None:
    w = hub_world
    service.grant_access(permission_level=factories.level(w["tenant"], "Payers"), user=w["agent"], actor=w["admin"])
    levels = service.agent_levels(w["agent"])
    assert {t: lv.name for t, lv in levels.items()} == {w["tenant"].id: "Payers"}
    assert service.tenants_for(w["agent"]) == [w["tenant"]]


def test_group_grant_and_highest_weight_wins(hub_world: dict) -> None:
    w = hub_world
    service.grant_access(permission_level=factories.level(w["tenant"], "Read only"), user=w["agent"], actor=None)
    service.grant_access(permission_level=factories.level(w["tenant"], "Full"), group=w["group"], actor=None)
    assert service.agent_levels(w["agent"])[w["tenant"].id].name == "Full"
    outsider = factories.make_user(role="agent", hub=w["hub"])
    assert service.agent_levels(outsider) == {}
    assert service.tenants_for(outsider) == []


def test_granting_twice_returns_the_same_grant_and_audits_once(hub_world: dict) -> None:
    w = hub_world
    level = factories.level(w["tenant"], "Full")
    first = service.grant_access(permission_level=level, user=w["agent"], actor=w["admin"])
    again = service.grant_access(permission_level=level, user=w["agent"], actor=w["admin"])
    assert first.id == again.id
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "access.granted")).all()
    assert len(events) == 1 and events[0].detail["user_id"] == w["agent"].id


def test_grants_go_to_agents_only_and_to_one_grantee(hub_world: dict) -> None:
    w = hub_world
    level = factories.level(w["tenant"], "Full")
    with pytest.raises(service.ValidationError):
        service.grant_access(permission_level=level, user=w["admin"], actor=None)
    with pytest.raises(service.ValidationError):
        service.grant_access(permission_level=level, user=w["agent"], group=w["group"], actor=None)
    with pytest.raises(service.ValidationError):
        service.grant_access(permission_level=level, actor=None)


def test_inactive_tenants_and_disabled_agents_get_nothing(hub_world: dict) -> None:
    w = hub_world
    service.grant_access(permission_level=factories.level(w["tenant"], "Full"), user=w["agent"], actor=None)
    service.update_tenant(w["tenant"], actor=None, active=False)
    assert service.agent_levels(w["agent"]) == {}
    service.update_tenant(w["tenant"], actor=None, active=True)
    w["agent"].active = False
    assert service.agent_levels(w["agent"]) == {}


def test_a_grant_row_pointing_across_hubs_counts_for_nothing(hub_world: dict) -> None:
    w = hub_world
    other_hub = factories.make_hub()
    foreign = factories.make_tenant(other_hub)
    # a row forged directly in the database (no service would write it)
    factories.grant(foreign, "Full", user=w["agent"])
    assert service.agent_levels(w["agent"]) == {}


def test_revoke_is_audited_and_notifies_subscribers(hub_world: dict) -> None:
    w = hub_world
    other = factories.make_user(role="agent", hub=w["hub"])
    w["group"].members.append(other)
    grant = service.grant_access(permission_level=factories.level(w["tenant"], "Full"), group=w["group"], actor=None)
    calls = []

    def broken_subscriber(revoked: service.RevokedAccess) -> None:
        raise RuntimeError("subscriber bug")

    service.on_access_revoked.extend([broken_subscriber, calls.append])
    try:
        revoked = service.revoke_access(grant, actor=w["admin"])
    finally:
        service.on_access_revoked.remove(broken_subscriber)
        service.on_access_revoked.remove(calls.append)
    assert calls == [revoked]
    assert set(revoked.user_ids) == {w["agent"].id, other.id}
    assert (revoked.tenant_id, revoked.hub_id) == (w["tenant"].id, w["hub"].id)
    assert service.agent_levels(w["agent"]) == {}
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "access.revoked")).one()
    assert event.actor_id == w["admin"].id and event.detail["agent_group_id"] == w["group"].id


def test_tenants_for_each_role(hub_world: dict) -> None:
    w = hub_world
    second = factories.make_tenant(w["hub"], name="AAA first by name")
    assert service.tenants_for(w["admin"]) == [second, w["tenant"]]
    reviewer = factories.make_user(role="tenant_admin", hub=w["hub"], tenant=second)
    assert service.tenants_for(reviewer) == [second]
    support = factories.make_user(role="support", hub=None)
    assert service.tenants_for(support) == []
    assert service.tenants_for(None) == []
