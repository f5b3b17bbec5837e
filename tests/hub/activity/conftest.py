"""Activity fixtures: a hub with three tenants and a few hundred synced events, and a second hub."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from hub.accounts.models import Hub
from hub.extensions import db
from hub.tenants.models import Tenant
from tests import factories
from tests.hub.activity.support import insert_rows, varied_rows

ROW_ID = re.compile(r'data-event-id="(\d+)"')
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
PREV = re.compile(r'<a rel="prev" href="([^"]+)"')


@dataclass
class World:
    """This hub with its tenants, and another hub with one tenant of its own."""

    hub: Hub
    tenants: list[Tenant]
    other_hub: Hub
    other_tenant: Tenant


@pytest.fixture
def world(app) -> World:
    """430 events over three tenants of one hub (ties of four per timestamp) and 40 in another hub."""
    hub = factories.make_hub()
    tenants = [factories.make_tenant(hub, name=f"Clinic {c}") for c in "ABC"]
    other_hub = factories.make_hub()
    other_tenant = factories.make_tenant(other_hub, name="Elsewhere")
    db.session.commit()
    insert_rows(varied_rows(tenants, 430))
    insert_rows(varied_rows([other_tenant], 40))
    return World(hub, tenants, other_hub, other_tenant)


def page_ids(html: str) -> list[int]:
    """Event ids of a rendered page, in order."""
    return [int(i) for i in ROW_ID.findall(html)]


def walk(client: FlaskClient, url: str) -> tuple[list[int], list[str]]:
    """Follow "Older" links from ``url`` to the end; every id in order, and the page URLs visited."""
    ids: list[int] = []
    urls = [url]
    while True:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        ids += page_ids(html)
        match = NEXT.search(html)
        if match is None:
            return ids, urls
        url = match.group(1).replace("&amp;", "&")
        urls.append(url)
        assert len(urls) < 200, "pagination does not end"
