"""Hub scoping: every service function refuses another hub's tenant, level, credential, grant or agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from hub.extensions import db
from hub.tenants import service
from tests import factories


@pytest.fixture
def two_hubs(app: Flask) -> dict[str, Any]:
    ours, theirs = factories.make_hub(), factories.make_hub()
    their_tenant = factories.make_tenant(theirs)
    their_agent = factories.make_user(role="agent", hub=theirs)
    their_group = factories.make_group(theirs, members=(their_agent,))
    world = {
        "hub": ours,
        "admin": factories.make_user(role="hub_admin", hub=ours),
        "our_tenant": factories.make_tenant(ours),
        "our_agent": factories.make_user(role="agent", hub=ours),
        "their_tenant": their_tenant,
        "their_level": factories.level(their_tenant, "Full"),
        "their_credential": factories.make_credential(their_tenant),
        "their_grant": service.grant_access(
            permission_level=factories.level(their_tenant, "Full"), user=their_agent, actor=None
        ),
        "their_agent": their_agent,
        "their_group": their_group,
    }
    db.session.commit()
    return world


CALLS: dict[str, Callable[[dict[str, Any]], object]] = {
    "update_tenant": lambda w: service.update_tenant(w["their_tenant"], actor=w["admin"], notes="x"),
    "delete_tenant": lambda w: service.delete_tenant(w["their_tenant"], actor=w["admin"]),
    "add_permission_level": lambda w: service.add_permission_level(w["their_tenant"], name="X", actor=w["admin"]),
    "update_permission_level": lambda w: service.update_permission_level(w["their_level"], actor=w["admin"], weight=9),
    "delete_permission_level": lambda w: service.delete_permission_level(w["their_level"], actor=w["admin"]),
    "store_credential": lambda w: service.store_credential(
        tenant=w["their_tenant"], permission_level=factories.level(w["their_tenant"], "Read only"), label="l",
        remote_user_id="r", secret="s", actor=w["admin"],
    ),
    "store_credential_level_of_other_tenant": lambda w: service.store_credential(
        tenant=w["our_tenant"], permission_level=w["their_level"], label="l", remote_user_id="r", secret="s",
        actor=w["admin"],
    ),
    "replace_secret": lambda w: service.replace_secret(w["their_credential"], "new", actor=w["admin"]),
    "update_credential": lambda w: service.update_credential(w["their_credential"], actor=w["admin"], label="x"),
    "delete_credential": lambda w: service.delete_credential(w["their_credential"], actor=w["admin"]),
    "grant_their_level": lambda w: service.grant_access(
        permission_level=w["their_level"], user=w["our_agent"], actor=w["admin"]
    ),
    "grant_our_level_to_their_agent": lambda w: service.grant_access(
        permission_level=factories.level(w["our_tenant"], "Full"), user=w["their_agent"], actor=w["admin"]
    ),
    "grant_our_level_to_their_group": lambda w: service.grant_access(
        permission_level=factories.level(w["our_tenant"], "Full"), group=w["their_group"], actor=w["admin"]
    ),
    "grant_level_with_wrong_tenant": lambda w: service.grant_access(
        permission_level=factories.level(w["our_tenant"], "Full"), tenant=w["their_tenant"], user=w["our_agent"],
        actor=w["admin"],
    ),
    "revoke_access": lambda w: service.revoke_access(w["their_grant"], actor=w["admin"]),
    "create_tenant_in_their_hub": lambda w: service.create_tenant(
        hub=w["their_tenant"].hub_id, name="X", base_url="https://x.example", actor=w["admin"]
    ),
    "get_tenant_for_hub": lambda w: service.get_tenant_for_hub(w["their_tenant"].id, w["hub"]),
    "get_level_for_hub": lambda w: service.get_level_for_hub(w["their_level"].id, w["hub"]),
    "get_credential_for_hub": lambda w: service.get_credential_for_hub(w["their_credential"].id, w["hub"]),
    "get_grant_for_hub": lambda w: service.get_grant_for_hub(w["their_grant"].id, w["hub"]),
    "get_group_for_hub": lambda w: service.get_group_for_hub(w["their_group"].id, w["hub"]),
    "get_agent_for_hub": lambda w: service.get_agent_for_hub(w["their_agent"].id, w["hub"]),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_another_hubs_objects_are_refused(two_hubs: dict[str, Any], call: Callable[[dict[str, Any]], object]) -> None:
    with pytest.raises(service.ScopeError):
        call(two_hubs)
    db.session.rollback()
    # nothing of the other hub changed
    assert service.get_tenant_for_hub(two_hubs["their_tenant"].id, two_hubs["their_tenant"].hub_id).notes == ""


def test_reveal_secret_of_another_hub_is_not_reachable_by_id(two_hubs: dict[str, Any]) -> None:
    their = two_hubs["their_credential"]
    with pytest.raises(LookupError):
        service.get_credential_for_hub(their.id, two_hubs["hub"])
    found = service.get_credential_for_hub(str(their.id), their.tenant.hub_id)
    assert found is their


@pytest.mark.parametrize("bad_id", ["abc", None, "1; drop table tenants", True, 10**12, -1, 0, 2.5e40])
def test_malformed_or_unknown_ids_are_not_found(two_hubs: dict[str, Any], bad_id: object) -> None:
    with pytest.raises(service.ScopeError):
        service.get_tenant_for_hub(bad_id, two_hubs["hub"])


@pytest.mark.parametrize("role", ["agent", "tenant_admin", "support"])
def test_only_hub_admins_change_the_registry(app: Flask, role: str) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    actor = factories.make_user(role=role, hub=None if role == "support" else hub,
                                tenant=tenant if role == "tenant_admin" else None)
    with pytest.raises((service.NotAllowed, service.ScopeError)):
        service.update_tenant(tenant, actor=actor, notes="x")
    with pytest.raises((service.NotAllowed, service.ScopeError)):
        service.store_credential(tenant=tenant, permission_level=factories.level(tenant, "Full"), label="l",
                                 remote_user_id="r", secret="s", actor=actor)
    with pytest.raises((service.NotAllowed, service.ScopeError)):
        service.create_tenant(hub=hub, name="N", base_url="https://n.example", actor=actor)
