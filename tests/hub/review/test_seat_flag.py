"""The seat check and the sync pass flag a tenant whose billing-company account is charged as a seat.

The flag is the tenant's health (``misconfigured``), which the agents' and hub admins' tenant lists
show; a clean audit sync does not clear it, only a seat check (or tenant login) that sees the seats.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import create_engine, select, update

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.review.service import run_seat_check
from hub.sync.accounts import set_sync_account
from hub.sync.worker import sync_pass
from hub.tenants.models import HealthStatus, Tenant
from tenant_connectors.sandbox.models import User as SandboxUser
from tests import factories
from tests.forms import login, submit
from tests.hub.activity.support import sandbox_tenant


def _tenant(tenant_id: int) -> Tenant:
    db.session.expire_all()
    return db.session.get(Tenant, tenant_id)


def test_a_charged_account_of_the_hubs_company_flags_the_tenant(app, client, login_as, sandbox) -> None:
    hub = factories.make_hub(billing_company_ref="acme")
    tenant = sandbox_tenant(sandbox, hub)
    login_as("tenant_admin", hub=hub, tenant=tenant)
    submit(client, "/review/seat-check", {}, form_url="/review")
    flagged = _tenant(tenant.id)
    assert flagged.health_status == HealthStatus.MISCONFIGURED
    assert flagged.last_error_code == "billing_seat_charged" and "gt-acme-standard" in flagged.last_error_message
    # the agents' tenant list shows it
    agent = factories.make_user(role="agent", hub=hub)
    factories.grant(flagged, "Full", user=agent)
    db.session.commit()
    browser = app.test_client()
    login(browser, agent.email, factories.DEFAULT_PASSWORD)
    page = browser.get("/tenants?health=misconfigured").get_data(as_text=True)
    assert f'data-tenant-id="{tenant.id}"' in page and "health-misconfigured" in page


def test_another_companys_charged_account_is_not_this_hubs_problem(app, sandbox) -> None:
    hub = factories.make_hub(billing_company_ref="zenith")
    tenant = sandbox_tenant(sandbox, hub)
    run = run_seat_check(tenant, actor=None, actor_label="test")
    assert run.outcome == "ok" and run.charged == 1  # the snapshot still lists it
    assert _tenant(tenant.id).health_status == HealthStatus.OK
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seat_check.run")).one()
    assert event.actor_label == "test"


def test_the_audit_sync_keeps_the_flag_and_a_clean_seat_check_clears_it(app, sandbox) -> None:
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub)
    run_seat_check(tenant, actor=None)
    assert _tenant(tenant.id).health_status == HealthStatus.MISCONFIGURED
    [result] = sync_pass(current_app._get_current_object(), tenant_ids=[tenant.id]).results
    assert result.status == "ok"
    after_sync = _tenant(tenant.id)
    assert after_sync.health_status == HealthStatus.MISCONFIGURED and after_sync.last_contact_at is not None
    # the tenant fixes the account (a Billing user now): the next seat check clears the flag
    engine = create_engine(sandbox.database_url)
    with engine.begin() as conn:
        conn.execute(update(SandboxUser).where(SandboxUser.user_id == "gt-acme-standard").values(user_type="billing"))
    engine.dispose()
    run_seat_check(_tenant(tenant.id), actor=None)
    assert _tenant(tenant.id).health_status == HealthStatus.OK


def test_a_sync_login_charged_as_a_seat_flags_the_tenant(app, sandbox) -> None:
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub, sync_account=False)
    user_id, secret = sandbox.world.billing_standard
    # the misconfigured account stored as the hub's sync login (any level: the tenant decides the seat)
    standard = factories.make_credential(tenant, "Read only", remote_user_id=user_id, secret=secret)
    set_sync_account(tenant=tenant, credential=standard, restricted_user_id=sandbox.world.restricted_alice[0],
                     restricted_secret=sandbox.world.restricted_alice[1])
    db.session.commit()
    [result] = sync_pass(current_app._get_current_object(), tenant_ids=[tenant.id]).results
    assert result.status == "ok"  # the audit report is still readable
    flagged = _tenant(tenant.id)
    assert flagged.health_status == HealthStatus.MISCONFIGURED and flagged.last_error_code == "billing_seat_charged"
