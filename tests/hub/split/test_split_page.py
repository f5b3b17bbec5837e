"""The split preview page against the sandbox tenant over real HTTP (client "Okafor, Chi")."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.extensions import db
from tests.forms import submit
from tests.hub.workspace.conftest import Hubworld, enter, page_text

INVOICE = {"service_start": "2026-03-01", "service_end": "2026-03-03", "visits": "3", "total": "1000.00"}


def _url(hubworld: Hubworld, client_id: str | None = None) -> str:
    return f"/tenants/{hubworld.gt.id}/clients/{client_id or hubworld.w.okafor_id}/split"


def _rows(html: str) -> list[list[str]]:
    """The split table's body rows as lists of cell texts."""
    body = html.split('<table class="list split-table">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in rows]


@pytest.fixture
def inside(client: FlaskClient, agent: object, hubworld: Hubworld) -> FlaskClient:
    """The agent's browser, inside Good Therapy through the secondary prompt."""
    enter(client, hubworld.gt)
    return client


def test_form_page_names_the_client_inside_the_tenant_banner(inside: FlaskClient, hubworld: Hubworld) -> None:
    page = inside.get(_url(hubworld))
    html = page_text(page)
    assert page.status_code == 200
    assert "Split preview · Okafor, Chi" in html
    assert 'id="tenant-banner"' in html
    assert 'name="service_start"' in html and 'name="total"' in html
    assert "split-table" not in html


def test_posted_invoice_divides_in_rank_order(inside: FlaskClient, hubworld: Hubworld) -> None:
    response = submit(inside, _url(hubworld), INVOICE)
    html = page_text(response)
    assert response.status_code == 200, html
    rows = _rows(html)
    assert [row[:6] for row in rows] == [
        ["Primary", "Medicaid", "Per Diem", "450.00", "450.00", "no"],
        ["Secondary", "County Agency", "Monthly", "400.00", "400.00", "no"],
        ["Tertiary", "Self", "Remainder", "what is left", "150.00", "no"],
    ]
    assert rows[0][6] == "Per Diem 150.00 × 3 days = 450.00"
    assert re.search(r"<th colspan=\"4\">Total</th><th class=\"portion\">1,000.00</th>", html)
    assert html.count("<rect x=") == 3  # one bar segment per payer with a share
    assert 'style="' not in html.split('id="split-result"', 1)[1]  # the CSP forbids inline styles


def test_capped_payer_and_remainder_taking_nothing(inside: FlaskClient, hubworld: Hubworld) -> None:
    rows = _rows(page_text(submit(inside, _url(hubworld), {**INVOICE, "total": "500.00"})))
    assert [(row[1], row[4], row[5]) for row in rows] == [
        ("Medicaid", "450.00", "no"), ("County Agency", "50.00", "yes"), ("Self", "0.00", "no")]


def test_preview_is_audited_without_amounts(inside: FlaskClient, hubworld: Hubworld) -> None:
    submit(inside, _url(hubworld), {**INVOICE, "total": "1234.56"})
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "split.previewed")).all()
    assert len(events) == 1
    event = events[0]
    assert (event.tenant_id, event.target_type, event.target_id) == (hubworld.gt.id, "client", hubworld.w.okafor_id)
    assert event.outcome == "success"
    flat = repr((event.detail, event.target_id, event.actor_label))
    assert "1234" not in flat and "450" not in flat and "150.00" not in flat


BAD_INPUT = [
    ({"total": "12.345"}, "total", "dollars and cents"),
    ({"total": "-1.00"}, "total", "must not be negative"),
    ({"visits": "many"}, "visits", ""),
    ({"service_end": "2026-02-01"}, "service_end", "must not be before the service start"),
    ({"service_start": "not a date"}, "service_start", ""),
]


def test_bad_input_shows_field_errors_and_computes_nothing(inside: FlaskClient, hubworld: Hubworld) -> None:
    # one tenant session for every case: entering the sandbox is the slow part of these tests
    for data, field, message in BAD_INPUT:
        response = submit(inside, _url(hubworld), {**INVOICE, **data})
        html = page_text(response)
        assert response.status_code == 200, (data, response.status_code)
        block = re.search(rf'<div class="field has-error">\s*<label for="{field}">.*?</div>', html, flags=re.S)
        assert block is not None, (data, html)
        assert 'class="error"' in block.group(0) and message in block.group(0), data
        assert "split-table" not in html, data
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "split.previewed")).first() is None


def test_unknown_client_is_a_clear_page_not_a_500(inside: FlaskClient, hubworld: Hubworld) -> None:
    response = inside.get(_url(hubworld, "999999"))
    assert response.status_code == 404
    assert "no such record" in page_text(response)


def test_without_an_open_tenant_session_the_agent_is_sent_to_enter(
    client: FlaskClient, agent: object, hubworld: Hubworld
) -> None:
    response = client.get(_url(hubworld))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tenants/{hubworld.gt.id}/enter")
