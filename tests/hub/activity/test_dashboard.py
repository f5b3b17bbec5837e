"""The dashboard's pages: every filter returns exactly the rows of a direct query, page after page."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pytest
from sqlalchemy import and_

from hub.sync.models import TenantAuditEvent as Event
from tests.hub.activity.conftest import PREV, World, page_ids, walk
from tests.hub.activity.support import BASE_TIME, ids_where


def _clauses(world: World, params: dict[str, str]) -> list:
    """The reference WHERE clauses of a filter, written independently of the service.

    Without ``who=everyone`` only the billing company's events match (the hub names no company
    here, so any billing company's): the clinic's own staff's events are left out.
    """
    where = [Event.hub_id == world.hub.id]
    if params.get("who") != "everyone":
        where.append(Event.billing_company_id.is_not(None))
    columns = {"tenant": Event.tenant_id, "staff": Event.on_behalf_of_user_id, "user": Event.user_id,
               "action": Event.action, "entity_type": Event.entity_type, "entity_id": Event.entity_id}
    for name, column in columns.items():
        if name in params:
            value = params[name]
            where.append(column == (int(value) if name == "tenant" else value))
    if "from" in params:
        where.append(Event.occurred_at >= _utc(date.fromisoformat(params["from"]), 0))
    if "to" in params:
        where.append(Event.occurred_at <= _utc(date.fromisoformat(params["to"]), 1))
    return where


def _utc(day: date, end: int):
    from datetime import UTC, datetime, time

    return datetime.combine(day, time(23, 59, 59, 999999) if end else time(0), tzinfo=UTC)


FILTERS = [
    {},
    {"tenant": "T1"},
    {"staff": "acme.bob"},
    {"user": "gt-acme-readonly"},
    {"action": "view"},
    {"entity_type": "client"},
    {"entity_type": "client", "entity_id": "17"},
    {"from": "2024-03-03", "to": "2024-03-05"},
    {"to": "2024-03-02"},
    {"tenant": "T0", "staff": "acme.alice"},
    {"staff": "acme.dan", "action": "update", "per_page": "100"},
    {"tenant": "T2", "user": "gt-acme-full", "entity_type": "client", "from": "2024-03-02"},
    {"tenant": "T1", "staff": "acme.bob", "user": "gt-acme-full", "action": "proxy_login",
     "from": "2024-03-01", "to": "2024-03-09", "per_page": "200"},
    {"who": "company"},
    {"who": "everyone"},
    {"who": "everyone", "tenant": "T1"},
    {"who": "everyone", "user": "gt.admin", "action": "view"},
    {"who": "everyone", "from": "2024-03-03", "to": "2024-03-05", "per_page": "100"},
]


def _resolve(world: World, params: dict[str, str]) -> dict[str, str]:
    return {k: (str(world.tenants[int(v[1])].id) if k == "tenant" else v) for k, v in params.items()}


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: "+".join(p) or "none")
def test_every_filter_pages_through_exactly_the_matching_rows(world: World, client, login_as, params) -> None:
    login_as("agent", hub=world.hub)
    params = _resolve(world, params)
    expected = ids_where(*_clauses(world, params))
    assert expected, "the fixture should give every filter some rows"
    ids, urls = walk(client, "/activity?" + urlencode(params))
    assert ids == expected  # right order, no gap, no duplicate
    per_page = int(params.get("per_page", 50))
    assert len(urls) == max(1, -(-len(expected) // per_page))


def test_newer_links_walk_back_to_the_newest_page(world: World, client, login_as) -> None:
    login_as("hub_admin", hub=world.hub)
    ids, urls = walk(client, "/activity?staff=acme.alice")
    html = client.get(urls[-1]).get_data(as_text=True)
    seen = page_ids(html)
    while (match := PREV.search(html)) is not None:
        html = client.get(match.group(1).replace("&amp;", "&")).get_data(as_text=True)
        seen = page_ids(html) + seen
    assert seen[: len(ids)][:50] == ids[:50]
    assert page_ids(html) == ids[:50]  # back at the top: a full newest page


def test_ties_on_occurred_at_are_ordered_by_id(world: World, client, login_as) -> None:
    login_as("agent", hub=world.hub)
    ids, _ = walk(client, "/activity?per_page=50&who=everyone")
    assert len(set(ids)) == len(ids)
    expected = ids_where(Event.hub_id == world.hub.id)
    tied = ids_where(Event.hub_id == world.hub.id, Event.occurred_at == BASE_TIME)
    assert len(tied) == 4 and ids == expected and ids[-4:] == tied


def test_another_hubs_events_never_show(world: World, client, login_as) -> None:
    login_as("hub_admin", hub=world.other_hub)
    ids, _ = walk(client, "/activity?per_page=200&who=everyone")
    assert ids == ids_where(Event.hub_id == world.other_hub.id) and len(ids) == 40
    # this hub's tenant is not a choice there: a field error, not rows
    response = client.get(f"/activity?tenant={world.tenants[0].id}")
    assert response.status_code == 400
    assert "Choose one of the hub&#39;s tenants." in response.get_data(as_text=True)
    assert page_ids(response.get_data(as_text=True)) == []
    assert not set(ids) & set(ids_where(and_(Event.hub_id == world.hub.id)))


@pytest.mark.parametrize(("query", "field"), [
    ("from=2024-13-01", "from"), ("to=yesterday", "to"), ("from=2024-03-05&to=2024-03-01", "to"),
    ("per_page=10", "per_page"), ("per_page=5000", "per_page"), ("per_page=%C2%B2", "per_page"),
    ("tenant=abc", "tenant"), ("tenant=99999999999", "tenant"), ("user=" + "x" * 201, "user"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_bad_values_give_400_with_the_reason(world: World, client, login_as, query, field) -> None:
    login_as("agent", hub=world.hub)
    urls = [f"/activity?{query}"] + ([f"/activity/chart?{query}"] if field != "cursor" else [])
    for url in urls:
        response = client.get(url)
        assert response.status_code == 400, url
        html = response.get_data(as_text=True)
        assert 'class="error" id="err-' + field in html or (field == "cursor" and 'role="alert"' in html)
        assert page_ids(html) == []


def test_tampered_or_foreign_cursors_are_refused(world: World, client, login_as, app) -> None:
    login_as("agent", hub=world.hub)
    html = client.get("/activity").get_data(as_text=True)
    cursor = html.split("cursor=", 1)[1].split('"', 1)[0]
    assert client.get(f"/activity?cursor={cursor}").status_code == 200
    for bad in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "x" + cursor, cursor[5:], "a" * 401):
        assert client.get(f"/activity?cursor={bad}").status_code == 400
    # signed with another key (another deployment) or for another scope: refused too
    from hub.activity import cursor as cursors

    forged = cursors.encode("older", BASE_TIME, 10, scope_key=f"{world.other_hub.id}:*:0")
    assert client.get(f"/activity?cursor={forged}").status_code == 400
    with app.test_request_context():
        app.config["SECRET_KEY"], key = "another-secret-key-0123456789abcdef", app.config["SECRET_KEY"]
        foreign = cursors.encode("older", BASE_TIME, 10, scope_key=f"{world.hub.id}:*:0")
        app.config["SECRET_KEY"] = key
    assert client.get(f"/activity?cursor={foreign}").status_code == 400


def test_rows_show_both_identities_and_the_connection(world: World, client, login_as) -> None:
    login_as("agent", hub=world.hub)
    html = client.get("/activity?staff=acme.bob&per_page=50").get_data(as_text=True)
    row = html.split('data-event-id="', 2)[1].split("</tr>", 1)[0]
    for text in ("ACME Billing (", "Bob Baker", "(acme.bob)", "ACME Billing", "proxy", "10.1.2.3 : 5",
                 "Chrome / Linux"):
        assert text in row, text
    assert "Dates are calendar days in UTC" in html
