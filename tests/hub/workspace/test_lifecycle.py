"""Tenant sessions end with access revocation, agent disable and hub logout; both audit trails agree."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants.connectors import connector_for
from hub.tenants.models import AccessGrant
from hub.workspace.models import TenantSessionRecord
from hub.workspace.records import contract_session
from tenant_connectors.base import SessionExpired
from tests import factories
from tests.forms import csrf_token_from, submit
from tests.hub.workspace.conftest import ALICE, CW_SECRET, FULL_SECRET, READONLY_SECRET, enter, page_text


def _rows(user_id: int) -> list[TenantSessionRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(TenantSessionRecord).where(TenantSessionRecord.user_id == user_id)))


def _assert_dead_at_tenant(hubworld, session) -> None:
    with pytest.raises(SessionExpired):
        connector_for(hubworld.gt).current_session(session.token)


def test_revoking_access_ends_open_sessions(client, hubworld, agent):
    from hub.tenants.service import revoke_access

    enter(client, hubworld.gt)
    enter(client, hubworld.cw)
    session = contract_session(next(r for r in _rows(agent.id) if r.tenant_id == hubworld.gt.id))
    admin = factories.make_user(role="hub_admin", hub=hubworld.hub)
    grant = db.session.scalars(select(AccessGrant).where(AccessGrant.tenant_id == hubworld.gt.id)).one()
    revoke_access(grant, actor=admin)
    db.session.commit()
    by_tenant = {r.tenant_id: r for r in _rows(agent.id)}
    assert by_tenant[hubworld.gt.id].end_reason == "access_revoked"
    assert by_tenant[hubworld.cw.id].ended_at is None  # the other tenant's session is untouched
    _assert_dead_at_tenant(hubworld, session)
    assert client.get(f"/tenants/{hubworld.gt.id}/clients").status_code == 404
    assert client.get(f"/tenants/{hubworld.cw.id}/clients").status_code == 200
    assert "tenant.session_revoked" in [e.action for e in db.session.scalars(select(AuditEvent))]


def test_hub_logout_ends_tenant_sessions(client, hubworld, agent):
    enter(client, hubworld.gt)
    session = contract_session(_rows(agent.id)[0])
    page = client.get("/tenants")
    client.post("/logout", data={"csrf_token": csrf_token_from(page_text(page))})
    (row,) = _rows(agent.id)
    assert row.end_reason == "hub_logout"
    _assert_dead_at_tenant(hubworld, session)


def test_disabling_the_agent_ends_tenant_sessions(client, hubworld, agent):
    enter(client, hubworld.gt)
    session = contract_session(_rows(agent.id)[0])
    agent.active = False
    db.session.commit()
    (row,) = _rows(agent.id)
    assert row.end_reason == "agent_disabled"
    _assert_dead_at_tenant(hubworld, session)


def test_token_is_sealed_and_bound_to_its_row(client, hubworld, agent):
    from hub import vault

    enter(client, hubworld.gt)
    enter(client, hubworld.cw)
    first, second = _rows(agent.id)
    token = contract_session(first).token
    assert token not in first.token_sealed and first.token_key_id == "k2"
    with pytest.raises(vault.VaultError):
        vault.unseal(first.token_sealed, context=second.token_context())


def test_secrets_never_in_responses_or_logs(client, hubworld, agent, caplog):
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    bodies.append(page_text(client.get("/tenants")))
    enter(client, hubworld.gt)
    rivera = hubworld.w.rivera_id
    for url in ("/tenants", f"/tenants/{hubworld.gt.id}/clients", f"/tenants/{hubworld.gt.id}/clients/{rivera}",
                f"/tenants/{hubworld.gt.id}/clients/{rivera}/payers/{hubworld.w.rivera_blue_shield_cp}"):
        bodies.append(page_text(client.get(url)))
    junk = submit(client, f"/tenants/{hubworld.gt.id}/clients/{rivera}/payers/new",
                  {"payer": "nope", "rank": "9", "amount": "x"})
    assert junk.status_code == 200 and "Not a valid choice" in page_text(junk)  # errors at the fields, no 500
    bodies.append(page_text(junk))
    assert client.get(f"/tenants/{hubworld.gt.id}/clients/..%2F..").status_code == 404
    token = contract_session(_rows(agent.id)[0]).token
    events = [str(e.detail) for e in db.session.scalars(select(AuditEvent))]
    for secret in (FULL_SECRET, READONLY_SECRET, CW_SECRET, ALICE[1], token):
        assert all(secret not in body for body in bodies)
        assert secret not in caplog.text
        assert all(secret not in event for event in events)


def test_tenant_audit_report_shows_the_actions_with_both_identities(client, hubworld, agent):
    enter(client, hubworld.gt)
    okafor = hubworld.w.okafor_id
    client.get(f"/tenants/{hubworld.gt.id}/clients/{okafor}")
    submit(client, f"/tenants/{hubworld.gt.id}/clients/{okafor}/payers/{hubworld.w.okafor_county_cp}/remainder",
           {"previous_action": "inactive", "note": "parent pays", "effective_date": "2026-03-01"})
    hub_actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.tenant_id == hubworld.gt.id).order_by(AuditEvent.id))]
    assert hub_actions[-3:] == ["tenant.entered", "client.viewed", "client_payer.remainder_moved"]
    session = contract_session(_rows(agent.id)[0])
    events = connector_for(hubworld.gt).read_audit(session, limit=1000).items
    ours = [e for e in events if e.on_behalf_of_user_id == ALICE[0]]
    assert ours and all(e.user_id == "gt-acme-full" and e.proxy for e in ours)
    actions = {e.action for e in ours}
    assert {"proxy_login", "view"} <= actions
    assert {"update", "status_change", "create"} & actions  # the Remainder move
    assert any(e.entity_id == okafor or e.entity_type == "client" for e in ours)


def test_removal_from_a_group_ends_the_session_at_next_use(client, hubworld, login_as):
    agent = login_as("agent", hub=hubworld.hub, restricted_user_id=ALICE[0])
    group = factories.make_group(hubworld.hub, members=(agent,))
    factories.grant(hubworld.gt, "Full", group=group)
    db.session.commit()
    enter(client, hubworld.gt)
    session = contract_session(_rows(agent.id)[0])
    group.members = []  # an admin edits the group: no revocation event fires for a membership change
    db.session.commit()
    assert client.get(f"/tenants/{hubworld.gt.id}/clients").status_code == 404
    (row,) = _rows(agent.id)
    assert row.end_reason == "access_changed"
    _assert_dead_at_tenant(hubworld, session)


def test_a_changed_level_ends_the_session_opened_with_the_old_credential(client, hubworld, agent):
    enter(client, hubworld.gt)
    session = contract_session(next(r for r in _rows(agent.id) if r.tenant_id == hubworld.gt.id))
    grant = db.session.scalars(select(AccessGrant).where(AccessGrant.tenant_id == hubworld.gt.id)).one()
    grant.permission_level_id = factories.level(hubworld.gt, "Read only").id  # downgraded in place
    db.session.commit()
    response = client.get(f"/tenants/{hubworld.gt.id}/clients")
    assert response.status_code in (302, 303)
    assert f"/tenants/{hubworld.gt.id}/enter" in response.headers["Location"]
    row = next(r for r in _rows(agent.id) if r.tenant_id == hubworld.gt.id)
    assert row.end_reason == "access_changed"
    _assert_dead_at_tenant(hubworld, session)
