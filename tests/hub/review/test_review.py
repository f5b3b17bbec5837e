"""The tenant-admin review: their tenant's third-party events only, by any URL or filter; the seat check."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.review.models import SeatCheck, SeatCheckRun
from hub.sync.models import TenantAuditEvent as Event
from tests import factories
from tests.forms import login, submit
from tests.hub.activity.conftest import World, page_ids, walk
from tests.hub.activity.support import event_row, ids_where, insert_rows, sandbox_tenant

CURSOR = re.compile(r"cursor=([^&\"]+)")


def _own(world: World, tenant_index: int = 0, *extra) -> list[int]:
    tenant = world.tenants[tenant_index]
    return ids_where(Event.hub_id == world.hub.id, Event.tenant_id == tenant.id,
                     Event.billing_company_id.is_not(None), *extra)


@pytest.mark.parametrize("params", [{}, {"staff": "acme.bob"}, {"action": "view", "from": "2024-03-02"},
                                    {"user": "gt-acme-readonly", "per_page": "100"}])
def test_review_pages_through_exactly_the_tenants_third_party_events(world: World, client, login_as, params) -> None:
    login_as("tenant_admin", hub=world.hub, tenant=world.tenants[0])
    expected = ids_where(*[c for c in _reference(world, params)])
    ids, _ = walk(client, "/review?" + urlencode(params))
    assert ids == expected and ids
    # another tenant asked for by parameter: ignored, still only their own
    ids_other, _ = walk(client, "/review?" + urlencode({**params, "tenant": world.tenants[1].id}))
    assert ids_other == expected


def _reference(world: World, params: dict[str, str]) -> list:
    from datetime import UTC, datetime

    where = [Event.hub_id == world.hub.id, Event.tenant_id == world.tenants[0].id,
             Event.billing_company_id.is_not(None)]
    for name, column in (("staff", Event.on_behalf_of_user_id), ("user", Event.user_id), ("action", Event.action)):
        if name in params:
            where.append(column == params[name])
    if "from" in params:
        where.append(Event.occurred_at >= datetime.fromisoformat(params["from"]).replace(tzinfo=UTC))
    return where


def test_the_tenants_own_staff_logins_are_not_third_party(world: World, client, login_as) -> None:
    login_as("tenant_admin", hub=world.hub, tenant=world.tenants[0])
    ids, _ = walk(client, "/review?per_page=200")
    assert not set(ids) & set(ids_where(Event.tenant_id == world.tenants[0].id, Event.billing_company_id.is_(None)))
    assert set(ids) == set(_own(world))


def test_hub_billing_company_narrows_the_review(world: World, client, login_as) -> None:
    world.hub.billing_company_ref = "acme"
    insert_rows([event_row(world.tenants[0], action="zenith-only", billing_company_id="zenith")])
    login_as("tenant_admin", hub=world.hub, tenant=world.tenants[0])
    html = client.get("/review?action=zenith-only").get_data(as_text=True)
    assert page_ids(html) == []


def test_cursors_of_another_tenant_admin_or_the_dashboard_are_refused(world: World, app, client, login_as) -> None:
    def cursor_seen_by(role: str, url: str, **fields) -> str:
        other = app.test_client()
        user = factories.make_user(role=role, hub=world.hub, **fields)
        db.session.commit()
        login(other, user.email, factories.DEFAULT_PASSWORD)
        return CURSOR.search(other.get(url).get_data(as_text=True)).group(1)

    foreign = cursor_seen_by("tenant_admin", "/review", tenant=world.tenants[1])
    dashboard = cursor_seen_by("agent", "/activity")
    login_as("tenant_admin", hub=world.hub, tenant=world.tenants[0])
    own = CURSOR.search(client.get("/review").get_data(as_text=True)).group(1)
    assert client.get(f"/review?cursor={own}").status_code == 200
    for cursor in (foreign, dashboard):
        response = client.get(f"/review?cursor={cursor}")
        assert response.status_code == 400 and page_ids(response.get_data(as_text=True)) == []


def test_a_tenant_admin_reaches_nothing_else(world: World, client, login_as) -> None:
    login_as("tenant_admin", hub=world.hub, tenant=world.tenants[0])
    own = world.tenants[0].id
    for url in ("/activity", "/activity/chart", "/activity/export.csv", f"/activity/sync/{own}",
                f"/activity/sync/{own}.json", f"/activity/sync/{world.tenants[1].id}.json"):
        assert client.get(url).status_code == 403, url
    rows = client.get(f"/review/export.csv?tenant={world.tenants[1].id}").get_data(as_text=True).splitlines()
    assert len(rows) - 1 == len(_own(world))
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
    assert audit.tenant_id == own and audit.detail["rows"] == len(_own(world)) and audit.detail["page"] == "review"
    html = client.get("/review/chart").get_data(as_text=True)
    assert html.count('<svg class="bars"') == 1 and "Activity per staff member" in html
    assert "Clinic B" not in html and "Clinic B" not in client.get("/review").get_data(as_text=True)


def test_a_tenant_admin_without_a_tenant_is_refused(world: World, client, login_as) -> None:
    login_as("tenant_admin", hub=world.hub)
    assert client.get("/review").status_code == 403
    assert client.get("/review/export.csv").status_code == 403


@pytest.mark.parametrize("role", ["agent", "hub_admin"])
def test_the_review_is_for_tenant_admins_only(world: World, client, login_as, role) -> None:
    login_as(role, hub=world.hub)
    for url in ("/review", "/review/chart", "/review/export.csv"):
        assert client.get(url).status_code == 403


def test_seat_check_flags_the_standard_billing_account(app, client, login_as, sandbox) -> None:
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub)
    login_as("tenant_admin", hub=hub, tenant=tenant)
    first = client.get("/review").get_data(as_text=True)
    assert "No check has been run yet." in first
    assert f"checks on its own every {app.config['SEAT_CHECK_INTERVAL_HOURS']:g} hours" in first
    response = submit(client, "/review/seat-check", {}, form_url="/review", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Seat check done: 1 of 4 billing-company accounts are charged." in html
    rows = {r.user_id: r for r in db.session.scalars(select(SeatCheck).where(SeatCheck.tenant_id == tenant.id))}
    assert {u for u, r in rows.items() if r.charged} == {"gt-acme-standard"}
    assert rows["gt-acme-standard"].user_type == "standard"
    assert {"gt-acme-full", "gt-acme-readonly", "gt-zenith"} <= set(rows)
    assert re.search(r'data-user-id="gt-acme-standard" class="misconfigured"', html)
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seat_check.run")).one()
    assert audit.outcome == "success" and audit.detail == {"accounts": 4, "charged": 1, "error_code": None}
    assert sandbox.world.billing_full[1] not in html  # the credential never shows


def test_seat_check_failures_are_shown_and_audited(app, client, login_as, sandbox) -> None:
    app.config.update(TENANT_CONNECT_TIMEOUT=1.0, TENANT_READ_TIMEOUT=1.0, TENANT_TOTAL_TIMEOUT=2.0)
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub)
    bare = sandbox_tenant(sandbox, hub, slug="calm-waters", sync_account=False)
    sandbox.set_faults("good-therapy", error_rate=1.0)
    login_as("tenant_admin", hub=hub, tenant=tenant)
    html = submit(client, "/review/seat-check", {}, form_url="/review", follow_redirects=True).get_data(as_text=True)
    sandbox.set_faults("good-therapy")
    assert "could not be reached" in html and 'id="seat-error"' in html
    run = db.session.scalars(select(SeatCheckRun).where(SeatCheckRun.tenant_id == tenant.id)).one()
    assert run.outcome == "failed" and run.error_code == "tenant_server_error" and run.rows == []

    other = app.test_client()
    admin = factories.make_user(role="tenant_admin", hub=hub, tenant=bare)
    db.session.commit()
    login(other, admin.email, factories.DEFAULT_PASSWORD)
    html = submit(other, "/review/seat-check", {}, form_url="/review", follow_redirects=True).get_data(as_text=True)
    assert "no service account for this tenant" in html
    outcomes = sorted(db.session.scalars(select(AuditEvent.outcome).where(AuditEvent.action == "seat_check.run")))
    assert outcomes == ["failure", "failure"]


def test_seat_check_needs_csrf_and_the_role(world: World, client, login_as) -> None:
    login_as("tenant_admin", hub=world.hub, tenant=world.tenants[0])
    assert client.post("/review/seat-check").status_code == 400
    assert db.session.scalars(select(SeatCheckRun)).first() is None


def test_events_of_standard_billing_accounts_are_flagged(world: World, client, login_as) -> None:
    insert_rows([event_row(world.tenants[0], action="login", user_id="gt-acme-standard", user_type="standard",
                           user_name="<b>ACME (standard!)</b>", on_behalf_of_user_id=None, proxy=False)])
    login_as("tenant_admin", hub=world.hub, tenant=world.tenants[0])
    html = client.get("/review").get_data(as_text=True)
    table = html.split('id="direct-logins"', 1)[1]
    assert "gt-acme-standard" in table and "&lt;b&gt;ACME (standard!)&lt;/b&gt;" in table
