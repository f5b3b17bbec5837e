"""Who reaches the dashboard, and that its page queries are index range scans (no sort, no OFFSET)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from hub.activity import cursor as cursors
from hub.activity.filters import ActivityFilter, Scope
from hub.activity.service import filtered
from hub.extensions import db
from hub.sync.models import TenantAuditEvent as Event
from tests import factories
from tests.hub.activity.conftest import World, page_ids
from tests.hub.activity.support import BASE_TIME

URLS = ["/activity", "/activity/chart", "/activity/export.csv", "/activity/sync/{t}", "/activity/sync/{t}.json"]


@pytest.mark.parametrize("role", ["tenant_admin", "support"])
def test_other_roles_are_refused_everywhere(world: World, client, login_as, role) -> None:
    fields = {"tenant": world.tenants[0]} if role == "tenant_admin" else {}
    login_as(role, hub=world.hub if role != "support" else None, **fields)
    for url in URLS:
        assert client.get(url.format(t=world.tenants[0].id)).status_code == 403, url
    assert client.post(f"/activity/sync/{world.tenants[0].id}").status_code in (400, 403)


def test_anonymous_is_sent_to_login(world: World, client) -> None:
    for url in URLS:
        response = client.get(url.format(t=world.tenants[0].id))
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_another_hubs_tenant_is_not_found_for_sync(world: World, client, login_as) -> None:
    login_as("hub_admin", hub=world.other_hub)
    tenant_id = world.tenants[0].id
    assert client.get(f"/activity/sync/{tenant_id}").status_code == 404
    assert client.get(f"/activity/sync/{tenant_id}.json").status_code == 404
    html = client.get("/activity").get_data(as_text=True)
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post(f"/activity/sync/{tenant_id}", data={"csrf_token": token}).status_code == 404


def test_no_other_hubs_names_in_the_choices(world: World, client, login_as) -> None:
    factories.make_user(role="agent", hub=world.other_hub)
    login_as("agent", hub=world.other_hub)
    html = client.get("/activity").get_data(as_text=True)
    assert "Clinic A" not in html and "Elsewhere" in html
    assert set(page_ids(html)).isdisjoint(
        db.session.scalars(db.select(Event.id).where(Event.hub_id == world.hub.id)))


PLAN_FILTERS = [
    ActivityFilter(), ActivityFilter(tenant_id=-1), ActivityFilter(staff="acme.bob"),
    ActivityFilter(user="gt-acme-full"), ActivityFilter(action="view"),
    ActivityFilter(entity_type="client", entity_id="17"), ActivityFilter(date_from=date(2024, 3, 2)),
]


def _plan(stmt, dialect: str) -> str:
    """The database's plan of ``stmt`` with its real parameters (driver-level, as the ORM sends them)."""
    conn = db.session.connection()
    compiled = stmt.compile(conn)
    processors = compiled._bind_processors
    values = {k: processors[k](v) if k in processors else v for k, v in compiled.construct_params().items()}
    args = tuple(values[k] for k in compiled.positiontup) if compiled.positional else values
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    return "\n".join(str(r[-1]) for r in conn.exec_driver_sql(prefix + compiled.string, args))


@pytest.mark.parametrize("flt", PLAN_FILTERS, ids=lambda f: ",".join(f.describe()) or "none")
@pytest.mark.parametrize("direction", ["first", "older"])
def test_page_queries_are_ordered_index_scans(world: World, flt: ActivityFilter, direction: str) -> None:
    if flt.tenant_id == -1:
        flt = ActivityFilter(tenant_id=world.tenants[0].id)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("ANALYZE tenant_audit_events"))
        # a few hundred rows here: the planner would rightly read them all and sort; switching the
        # alternatives off shows that an ordered index range scan exists for this filter (the plan
        # it picks once the table holds millions of rows and LIMIT 51 makes a sort costly)
        for option in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.session.execute(text(f"SET LOCAL {option} = off"))
    stmt = filtered(Scope(hub_id=world.hub.id), flt).order_by(Event.occurred_at.desc(), Event.id.desc()).limit(51)
    if direction == "older":
        from hub.activity.service import _after

        stmt = stmt.where(_after(cursors.Position("older", BASE_TIME.replace(day=5), 10**6)))
    plan = _plan(stmt, dialect)
    if dialect == "sqlite":
        assert "USING INDEX ix_tae_" in plan and "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Scan Backward" in plan and "ix_tae_" in plan and "Sort" not in plan, plan
    db.session.rollback()
