"""The agent dashboard: right rows, search, filter, paging, bounded SQL with 1,000 tenants."""

from __future__ import annotations

from sqlalchemy import insert, select

from hub.extensions import db
from hub.tenants.models import AccessGrant, HealthStatus, PermissionLevel, Tenant
from tests import factories
from tests.hub.workspace.conftest import page_text
from tests.sql import count_sql


def _many_tenants(hub, user, n: int, start: int = 0) -> None:
    known = set(db.session.scalars(select(Tenant.id)))
    db.session.execute(insert(Tenant), [
        {"hub_id": hub.id, "name": f"Tenant {i:04d}", "base_url": "http://127.0.0.1:9/t/x/api/v1",
         "connector": "http", "notes": "", "active": True,
         "health_status": HealthStatus.UNAVAILABLE if i % 10 == 0 else HealthStatus.OK}
        for i in range(start, start + n)])
    ids = [t for t in db.session.scalars(select(Tenant.id).where(Tenant.hub_id == hub.id,
                                                                 Tenant.name.like("Tenant 0%"))) if t not in known]
    db.session.execute(insert(PermissionLevel), [{"tenant_id": t, "name": "Full", "weight": 1, "description": ""}
                                                 for t in ids])
    levels = db.session.execute(select(PermissionLevel.id, PermissionLevel.tenant_id)
                                .where(PermissionLevel.tenant_id.in_(ids))).all()
    db.session.execute(insert(AccessGrant), [
        {"hub_id": hub.id, "tenant_id": t, "permission_level_id": lv, "user_id": user.id} for lv, t in levels])
    db.session.commit()


def test_thousand_tenants_right_rows_bounded_queries(client, login_as):
    hub = factories.make_hub()
    user = login_as("agent", hub=hub)
    other = factories.make_tenant(factories.make_hub(), name="Tenant 9999 elsewhere")  # another hub's
    not_granted = factories.make_tenant(hub, name="Tenant 8888 not granted")
    db.session.commit()
    assert other.id and not_granted.id
    _many_tenants(hub, user, 3)
    client.get("/tenants")  # warm up (session touch, template compile)
    with count_sql() as small:
        client.get("/tenants")
    _many_tenants(hub, user, 997, start=3)
    client.get("/tenants")  # the same warm-up: the commit above expired the test's identity map
    with count_sql() as big:
        page = client.get("/tenants")
    html = page_text(page)
    assert page.status_code == 200
    assert "1000 tenants" in html and "Page 1 of 40" in html
    assert "Tenant 0000" in html and "Tenant 0025" not in html
    assert "9999" not in html and "8888" not in html
    assert big["statements"] == small["statements"] and big["statements"] <= 8, (small["sql"], big["sql"])
    found = page_text(client.get("/tenants?q=tenant 0999"))
    assert "1 tenant<" in found.replace("1 tenant\n", "1 tenant<") or "<p>1 tenant</p>" in found
    assert "Tenant 0999" in found
    unavailable = page_text(client.get("/tenants?health=unavailable"))
    assert "100 tenants" in unavailable and "Tenant 0010" in unavailable and "Tenant 0011" not in unavailable
    second = page_text(client.get("/tenants?page=2"))
    assert "Tenant 0025" in second and "Tenant 0024" not in second
    assert client.get("/tenants?page=junk&q=%25_%5C").status_code == 200


def test_dashboard_shows_level_health_and_open_session(client, hubworld, agent):
    from tests.hub.workspace.conftest import enter

    enter(client, hubworld.gt)
    html = page_text(client.get("/tenants"))
    gt_row = html[html.index(f'data-tenant-id="{hubworld.gt.id}"'):]
    gt_row = gt_row[:gt_row.index("</tr>")]
    assert "Full" in gt_row and ">ok<" in gt_row and ">open<" in gt_row
    cw_row = html[html.index(f'data-tenant-id="{hubworld.cw.id}"'):]
    assert "Enter" in cw_row[:cw_row.index("</tr>")]


def _measure(client, url: str) -> dict:
    client.get(url)  # warm-up: session touch, template compile, the test's identity map expired by commits
    with count_sql() as sent:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    sent["html"] = page_text(response)
    return sent


def test_tenants_page_sql_does_not_grow_with_the_agents_tenants(client, login_as):
    hub = factories.make_hub()
    user = login_as("agent", hub=hub)
    _many_tenants(hub, user, 5)
    small = _measure(client, "/tenants")
    _many_tenants(hub, user, 55, start=5)
    big = _measure(client, "/tenants")
    assert "5 tenants" in small["html"] and "60 tenants" in big["html"] and "Page 1 of 3" in big["html"]
    # the same statements with the same parameters: no per-tenant query, no id list of every tenant
    assert (big["statements"], big["parameters"]) == (small["statements"], small["parameters"]), \
        (small["sql"], big["sql"])


def test_tenant_page_switcher_lists_open_sessions_not_every_tenant(client, hubworld, agent):
    from tests.hub.workspace.conftest import enter

    enter(client, hubworld.gt)
    enter(client, hubworld.cw)
    url = f"/tenants/{hubworld.cw.id}/clients"
    small = _measure(client, url)
    _many_tenants(hubworld.hub, agent, 60)
    big = _measure(client, url)
    switcher = big["html"][big["html"].index('name="tenant_id"'):]
    switcher = switcher[:switcher.index("</select>")]
    assert switcher.count("<option") == 2, switcher
    assert "Good Therapy, Inc" in switcher and "Calm Waters Clinic" in switcher and "Tenant 0" not in switcher
    assert 'id="find-tenant"' in big["html"]  # every other tenant is one search away
    assert (big["statements"], big["parameters"]) == (small["statements"], small["parameters"]), \
        (small["sql"], big["sql"])
