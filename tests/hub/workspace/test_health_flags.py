"""An agent's successful entry never clears a ``misconfigured`` flag: only a clean seat check does.

A login (or a call) with one Billing credential says nothing about the tenant's other billing-company
accounts, whether the flag came from a seat check or from another credential's login; and since every
source raises the same code, not even the credential that raised it clears it by now asking for the
secondary prompt (see :mod:`hub.tenants.health`).
"""

from __future__ import annotations

from sqlalchemy import create_engine, select, update

from hub import clock
from hub.extensions import db
from hub.review.service import run_seat_check
from hub.sync.accounts import set_sync_account
from hub.tenants.models import BillingCredential, HealthStatus, Tenant
from hub.workspace.models import PendingTenantLogin
from tenant_connectors.sandbox.models import User as SandboxUser
from tests import factories
from tests.forms import csrf_token_from, login
from tests.hub.workspace.conftest import (
    ALICE,
    READONLY_SECRET,
    STANDARD_SECRET,
    answer_secondary,
    begin_enter,
    enter,
    page_text,
)


def _tenant(tenant_id: int) -> Tenant:
    db.session.expire_all()
    return db.session.get(Tenant, tenant_id)


def _credential(tenant: Tenant, remote_user_id: str) -> BillingCredential:
    return db.session.scalars(select(BillingCredential).where(
        BillingCredential.tenant_id == tenant.id, BillingCredential.remote_user_id == remote_user_id)).one()


def _sunrise(hubworld) -> Tenant:
    """Good Therapy registered again, its Full credential the Standard-typed account (as the demo's Sunrise)."""
    tenant = factories.make_tenant(hubworld.hub, name="Sunrise", base_url=hubworld.sandbox.tenant_url("good-therapy"))
    factories.make_credential(tenant, "Full", remote_user_id="gt-acme-standard", secret=STANDARD_SECRET)
    factories.make_credential(tenant, "Read only", remote_user_id="gt-acme-readonly", secret=READONLY_SECRET)
    db.session.commit()
    return tenant


def test_a_seat_check_flag_survives_an_agents_entry_and_calls(client, hubworld, agent):
    gt = hubworld.gt
    set_sync_account(tenant=gt, credential=_credential(gt, "gt-acme-full"), restricted_user_id=ALICE[0],
                     restricted_secret=ALICE[1])
    db.session.commit()
    run_seat_check(gt, actor=None, actor_label="test")  # finds gt-acme-standard charged
    flagged = _tenant(gt.id)
    assert flagged.health_status == HealthStatus.MISCONFIGURED and flagged.last_contact_at is None
    message = flagged.last_error_message

    first = begin_enter(client, gt)  # Alice's Full credential is a proper Billing account: the prompt
    assert first.headers["Location"].endswith(f"/tenants/{gt.id}/secondary")
    assert db.session.scalars(select(PendingTenantLogin)).first() is not None
    assert _tenant(gt.id).health_status == HealthStatus.MISCONFIGURED
    answer_secondary(client, gt, *ALICE)
    entered = _tenant(gt.id)
    assert entered.health_status == HealthStatus.MISCONFIGURED
    assert (entered.last_error_code, entered.last_error_message) == ("billing_seat_charged", message)
    assert entered.last_contact_at is not None  # the login is still recorded as contact

    clock.advance(60)  # past the workspace's touch interval
    assert client.get(f"/tenants/{gt.id}/clients").status_code == 200
    assert _tenant(gt.id).health_status == HealthStatus.MISCONFIGURED
    assert "health-misconfigured" in page_text(client.get("/tenants?health=misconfigured"))


def test_another_credentials_flag_survives_a_proper_login(app, client, hubworld, login_as):
    sunrise = _sunrise(hubworld)
    carol = login_as("agent", hub=hubworld.hub, restricted_user_id=ALICE[0])
    factories.grant(sunrise, "Full", user=carol)
    bob = factories.make_user(role="agent", hub=hubworld.hub, restricted_user_id=ALICE[0])
    factories.grant(sunrise, "Read only", user=bob)
    db.session.commit()
    straight_in = begin_enter(client, sunrise)  # the Standard-typed Full login: no prompt, a charged seat
    assert straight_in.headers["Location"].endswith(f"/tenants/{sunrise.id}/clients")
    assert _tenant(sunrise.id).health_status == HealthStatus.MISCONFIGURED

    browser = app.test_client()
    login(browser, bob.email, factories.DEFAULT_PASSWORD)
    enter(browser, sunrise)  # the Read only login is a proper Billing account: through the prompt

    flagged = _tenant(sunrise.id)
    assert flagged.health_status == HealthStatus.MISCONFIGURED and flagged.last_error_code == "billing_seat_charged"
    assert "charged Standard seat" in flagged.last_error_message


def test_a_fixed_account_is_cleared_by_the_next_seat_check_not_by_a_login(client, hubworld, login_as):
    sunrise = _sunrise(hubworld)
    agent = login_as("agent", hub=hubworld.hub, restricted_user_id=ALICE[0])
    factories.grant(sunrise, "Full", user=agent)
    db.session.commit()
    begin_enter(client, sunrise)
    assert _tenant(sunrise.id).health_status == HealthStatus.MISCONFIGURED
    page = client.get(f"/tenants/{sunrise.id}/clients")
    client.post(f"/tenants/{sunrise.id}/leave", data={"csrf_token": csrf_token_from(page_text(page))})
    # the tenant makes the account a Billing user: the same credential now asks for the prompt
    engine = create_engine(hubworld.sandbox.database_url)
    with engine.begin() as conn:
        conn.execute(update(SandboxUser).where(SandboxUser.user_id == "gt-acme-standard").values(user_type="billing"))
    engine.dispose()
    enter(client, sunrise)
    assert _tenant(sunrise.id).health_status == HealthStatus.MISCONFIGURED

    set_sync_account(tenant=sunrise, credential=_credential(sunrise, "gt-acme-readonly"),
                     restricted_user_id=ALICE[0], restricted_secret=ALICE[1])
    db.session.commit()
    run = run_seat_check(_tenant(sunrise.id), actor=None, actor_label="test")
    assert run.outcome == "failed"  # the Read only group may not list users: nothing judged, flag kept
    assert _tenant(sunrise.id).health_status == HealthStatus.MISCONFIGURED
    set_sync_account(tenant=sunrise, credential=_credential(sunrise, "gt-acme-standard"),
                     restricted_user_id=ALICE[0], restricted_secret=ALICE[1])
    db.session.commit()
    run = run_seat_check(_tenant(sunrise.id), actor=None, actor_label="test")
    assert run.outcome == "ok" and run.charged == 0
    assert _tenant(sunrise.id).health_status == HealthStatus.OK
