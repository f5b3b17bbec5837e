""""Who": the dashboard shows our billing company's events unless asked for everyone's, everywhere alike.

A tenant's audit report holds every user's events, the clinic's own staff's too (the sync stores
them all); the dashboard's purpose is what the billing company did where.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, text

from hub.activity.filters import ActivityFilter, Scope
from hub.activity.service import filtered
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.sync.models import TenantAuditEvent as Event
from tests import factories
from tests.forms import login
from tests.hub.activity.conftest import World, page_ids, walk
from tests.hub.activity.support import event_row, ids_where, insert_rows
from tests.hub.activity.test_access_and_plans import _plan

CLINIC = {"user_id": "gt.nurse", "user_name": "Nina Nurse", "user_type": "standard", "proxy": False,
          "on_behalf_of_user_id": None, "on_behalf_of_name": None, "billing_company_id": None,
          "billing_company_name": None}
ZENITH = {"user_id": "gt-zenith", "user_name": "Zenith Billing", "billing_company_id": "zenith",
          "billing_company_name": "Zenith Billing", "on_behalf_of_user_id": "zen.zoe", "on_behalf_of_name": "Zoe Z"}


@pytest.fixture
def mixed(world: World) -> World:
    """The world plus events only the clinic's staff, and only another billing company, did."""
    insert_rows([event_row(world.tenants[0], action="clinic_only", entity_type="note", **CLINIC),
                 event_row(world.tenants[1], action="clinic_only", **CLINIC),
                 event_row(world.tenants[0], action="zenith_only", entity_type="invoice", **ZENITH)])
    return world


def _expected(world: World, who: str, ref: str | None, *extra) -> list[int]:
    where = [Event.hub_id == world.hub.id, *extra]
    if who != "everyone":
        where.append(Event.billing_company_id == ref if ref else Event.billing_company_id.is_not(None))
    return ids_where(*where)


def _options(html: str, name: str) -> list[str]:
    block = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', html, re.S)
    assert block is not None, name
    return re.findall(r'<option value="([^"]*)"', block.group(1))


@pytest.mark.parametrize("ref", [None, "acme"])
@pytest.mark.parametrize("who", ["", "company", "everyone"])
def test_page_chart_and_export_show_exactly_whos_events(mixed: World, client, login_as, who, ref) -> None:
    mixed.hub.billing_company_ref = ref
    db.session.commit()
    login_as("agent", hub=mixed.hub)
    params = {"who": who} if who else {}
    expected = _expected(mixed, who, ref)
    clinic = set(ids_where(Event.hub_id == mixed.hub.id, Event.billing_company_id.is_(None)))
    assert clinic and (clinic <= set(expected)) == (who == "everyone")
    zenith = set(ids_where(Event.billing_company_id == "zenith"))
    assert (zenith <= set(expected)) == (who == "everyone" or ref is None)

    ids, urls = walk(client, "/activity?" + urlencode({**params, "per_page": "200"}))
    assert ids == expected
    if who == "everyone":
        assert all("who=everyone" in url for url in urls[1:])  # the pager keeps the choice
    chart = client.get("/activity/chart?" + urlencode(params)).get_data(as_text=True)
    assert f"{len(expected)} events match." in chart
    with client.get("/activity/export.csv?" + urlencode(params), buffered=False) as response:
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    remote = dict(db.session.execute(select(Event.id, Event.remote_event_id)).all())
    assert [r["remote_event_id"] for r in rows] == [remote[i] for i in expected]
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
    assert audit.detail["filter"]["who"] == (who or "company") and audit.detail["rows"] == len(expected)


def test_who_combines_with_the_other_filters(mixed: World, client, login_as) -> None:
    login_as("agent", hub=mixed.hub)
    tenant = mixed.tenants[0]
    for who in ("company", "everyone"):
        ids, _ = walk(client, f"/activity?tenant={tenant.id}&action=clinic_only&who={who}")
        assert ids == _expected(mixed, who, None, Event.tenant_id == tenant.id, Event.action == "clinic_only")
    assert walk(client, f"/activity?tenant={tenant.id}&action=clinic_only")[0] == []


def test_the_select_offers_both_and_defaults_to_our_billing_company(mixed: World, client, login_as) -> None:
    login_as("hub_admin", hub=mixed.hub)
    html = client.get("/activity").get_data(as_text=True)
    assert _options(html, "who") == ["company", "everyone"]
    assert '<option value="company" selected>Our billing company</option>' in html
    assert "Everyone, including the clinic&#39;s staff" in html
    html = client.get("/activity/chart?who=everyone").get_data(as_text=True)
    assert '<option value="everyone" selected>' in html


def test_the_staff_chart_names_the_clinics_users_only_for_everyone(mixed: World, client, login_as) -> None:
    login_as("agent", hub=mixed.hub)
    ours = client.get("/activity/chart?action=clinic_only&who=everyone").get_data(as_text=True)
    assert "No staff member (the clinic&#39;s own users, direct logins)" in ours
    login_events = client.get("/activity/chart?action=login").get_data(as_text=True)
    assert "the clinic&#39;s own users" not in login_events


def test_the_choices_follow_who(mixed: World, client, login_as) -> None:
    mixed.hub.billing_company_ref = "acme"
    db.session.commit()
    login_as("agent", hub=mixed.hub)
    ours = client.get("/activity").get_data(as_text=True)
    everyone = client.get("/activity?who=everyone").get_data(as_text=True)
    assert "clinic_only" not in _options(ours, "action") and "clinic_only" in _options(everyone, "action")
    assert "zenith_only" not in _options(ours, "action") and "zenith_only" in _options(everyone, "action")
    assert "note" not in _options(ours, "entity_type") and "note" in _options(everyone, "entity_type")
    assert "zen.zoe" not in _options(ours, "staff") and "zen.zoe" in _options(everyone, "staff")
    assert "acme.bob" in _options(ours, "staff")


@pytest.mark.parametrize("url", ["/activity", "/activity/chart", "/activity/export.csv"])
def test_an_unknown_who_is_a_field_error(mixed: World, client, login_as, url) -> None:
    login_as("agent", hub=mixed.hub)
    response = client.get(f"{url}?who=clinic")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose whose events to show." in html
    assert page_ids(html) == []


@pytest.mark.parametrize("ref", [None, "acme"])
def test_the_default_page_reads_the_billing_company_index(world: World, ref) -> None:
    dialect = db.session.get_bind().dialect.name
    scope = Scope(hub_id=world.hub.id, billing_company_ref=ref)
    stmt = filtered(scope, ActivityFilter(company_ref=ref)).order_by(Event.occurred_at.desc(), Event.id.desc())
    if dialect == "sqlite":
        # without statistics SQLite rates every (hub_id, occurred_at, id) index alike: an ordered
        # index scan either way; with them (ANALYZE) it picks the smaller, billing-company one
        plan = _plan(stmt.limit(51), dialect)
        assert "USING INDEX ix_tae_hub_" in plan and "TEMP B-TREE" not in plan, plan
        db.session.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE tenant_audit_events"))
        for option in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):  # see test_access_and_plans
            db.session.execute(text(f"SET LOCAL {option} = off"))
    plan = _plan(stmt.limit(51), dialect)
    assert "ix_tae_hub_company_time" in plan, plan
    assert ("TEMP B-TREE" not in plan) if dialect == "sqlite" else ("Sort" not in plan), plan
    db.session.rollback()


def test_the_review_has_no_who_and_ignores_it(mixed: World, client, login_as) -> None:
    login_as("tenant_admin", hub=mixed.hub, tenant=mixed.tenants[0])
    html = client.get("/review").get_data(as_text=True)
    assert 'id="f-who"' not in html
    own = walk(client, "/review?per_page=200")[0]
    assert own == ids_where(Event.tenant_id == mixed.tenants[0].id, Event.billing_company_id.is_not(None))
    assert walk(client, "/review?per_page=200&who=everyone")[0] == own
    assert client.get("/review?who=nonsense").status_code == 200  # not a field of this page
    client.get("/review/export.csv?who=everyone").get_data()
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
    assert "who" not in audit.detail["filter"] and audit.detail["rows"] == len(own)


def test_a_tenant_admin_is_offered_only_their_tenants_values(mixed: World, app, client, login_as) -> None:
    insert_rows([event_row(mixed.tenants[1], action="b_only", entity_type="b_entity",
                           on_behalf_of_user_id="acme.b", on_behalf_of_name="Only In B")])
    login_as("tenant_admin", hub=mixed.hub, tenant=mixed.tenants[0])
    html = client.get("/review").get_data(as_text=True)
    assert "b_only" not in _options(html, "action") and "b_entity" not in _options(html, "entity_type")
    assert "acme.b" not in _options(html, "staff") and "Only In B" not in html
    # third-party values only, as before: the clinic's and the other company's are not offered either
    assert "clinic_only" not in _options(html, "action") and "acme.alice" in _options(html, "staff")

    other = app.test_client()
    admin = factories.make_user(role="tenant_admin", hub=mixed.hub, tenant=mixed.tenants[1])
    db.session.commit()
    login(other, admin.email, factories.DEFAULT_PASSWORD)
    html = other.get("/review").get_data(as_text=True)
    assert "b_only" in _options(html, "action") and "acme.b" in _options(html, "staff")
