"""CSV export (row for row, formulas neutralised, audited first) and the activity chart (sums, buckets)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from hub.activity.chart import activity_chart, bucket_labels
from hub.activity.filters import ActivityFilter, Scope
from hub.audit.models import AuditEvent
from hub.audit.service import verify_all
from hub.extensions import db
from hub.sync.models import TenantAuditEvent as Event
from tests.hub.activity.conftest import World
from tests.hub.activity.support import BASE_TIME, event_row, ids_where, insert_rows


def _csv(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


def test_export_matches_the_filter_row_for_row_and_is_audited_before_streaming(world: World, client, login_as) -> None:
    user = login_as("agent", hub=world.hub)
    tenant = world.tenants[1]
    query = f"tenant={tenant.id}&staff=acme.alice&from=2024-03-02&per_page=100&cursor=ignored"
    expected = ids_where(Event.hub_id == world.hub.id, Event.tenant_id == tenant.id,
                         Event.on_behalf_of_user_id == "acme.alice",
                         Event.occurred_at >= datetime(2024, 3, 2, tzinfo=UTC))
    # closing the response ends the request (and its session), as a server does after the last chunk
    with client.get(f"/activity/export.csv?{query}", buffered=False) as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        # the audit row is committed before the first byte is read
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
        assert audit.actor_id == user.id and audit.hub_id == world.hub.id
        assert audit.detail == {"page": "activity", "rows": len(expected),
                                "filter": {"tenant_id": tenant.id, "staff": "acme.alice", "date_from": "2024-03-02",
                                           "who": "company"}}
        rows = _csv(response.get_data(as_text=True))
    remote = dict(db.session.execute(select(Event.id, Event.remote_event_id).where(Event.id.in_(expected))).all())
    assert [r["remote_event_id"] for r in rows] == [remote[i] for i in expected]
    assert {r["tenant"] for r in rows} == {tenant.name}
    assert verify_all() == []


def test_export_neutralises_spreadsheet_formulas(world: World, client, login_as) -> None:
    tenant = world.tenants[0]
    payloads = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "plain"]
    insert_rows(event_row(tenant, action="poke", detail=p, user_name=p, platform=p) for p in payloads)
    login_as("hub_admin", hub=world.hub)
    rows = _csv(client.get("/activity/export.csv?action=poke").get_data(as_text=True))
    assert len(rows) == len(payloads)
    details = sorted(r["detail"] for r in rows)
    assert details == sorted(["'" + p for p in payloads[:-1]] + ["plain"])
    assert all(r["billing_user_name"] == r["detail"] == r["platform"] for r in rows)


def test_export_bad_filter_is_a_400_and_not_audited(world: World, client, login_as) -> None:
    login_as("agent", hub=world.hub)
    response = client.get("/activity/export.csv?from=03/02/2024")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export.csv")) == 0


@pytest.mark.parametrize("flt", [
    ActivityFilter(), ActivityFilter(staff="acme.bob"), ActivityFilter(action="view", date_to=date(2024, 3, 4)),
    ActivityFilter(date_from=date(2024, 3, 2), date_to=date(2024, 3, 2)),
])
def test_chart_buckets_sum_to_the_filtered_count(world: World, flt: ActivityFilter) -> None:
    scope = Scope(hub_id=world.hub.id)
    count = db.session.scalar(select(func.count()).select_from(Event).where(*scope.clauses(), *flt.clauses()))
    for by in ("tenant", "staff"):
        chart = activity_chart(scope, flt, by, top=2)
        assert chart is not None and chart.total == count
        assert sum(s.total for s in chart.series) == count
        assert list(chart.buckets) == sorted(chart.buckets)
    if flt.date_from == flt.date_to and flt.date_from is not None:
        assert chart.granularity == "hour" and all(len(b) == 13 for b in chart.buckets)


def test_chart_buckets_are_utc_days_on_both_backends(app, world: World) -> None:
    tenant = world.tenants[0]
    insert_rows([event_row(tenant, action="edge", occurred_at=datetime(2025, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)),
                 event_row(tenant, action="edge", occurred_at=datetime(2025, 1, 2, 0, 0, tzinfo=UTC)),
                 event_row(tenant, action="edge", occurred_at=datetime(2025, 1, 9, 12, 0, tzinfo=UTC))])
    chart = activity_chart(Scope(hub_id=world.hub.id), ActivityFilter(action="edge"), "tenant")
    assert chart.granularity == "day"
    assert chart.buckets == tuple(f"2025-01-0{d}" for d in range(1, 10))
    assert chart.totals == (1, 1, 0, 0, 0, 0, 0, 0, 1)
    assert bucket_labels(BASE_TIME, BASE_TIME.replace(hour=10), "hour") == ["2024-03-01 08", "2024-03-01 09",
                                                                           "2024-03-01 10"]


def test_chart_page_draws_every_series_and_a_data_table(world: World, client, login_as) -> None:
    login_as("agent", hub=world.hub)
    html = client.get("/activity/chart?staff=acme.alice").get_data(as_text=True)
    expected = len(ids_where(Event.hub_id == world.hub.id, Event.on_behalf_of_user_id == "acme.alice"))
    assert f"{expected} events match." in html
    assert html.count("<svg class=\"bars\"") == 2 and "<summary>Data table</summary>" in html
    assert "Clinic A" in html and "Alice Archer" in html


def test_tenant_supplied_text_is_escaped_in_table_and_chart(world: World, client, login_as) -> None:
    evil = "<script>alert(1)</script>"
    insert_rows([event_row(world.tenants[0], action="xss", user_name=evil, detail=evil, platform=evil,
                           os=evil, on_behalf_of_user_id="evil", on_behalf_of_name=evil, entity_id=evil)])
    login_as("agent", hub=world.hub)
    for url in ("/activity?action=xss", "/activity/chart?action=xss", "/activity?staff=evil"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
