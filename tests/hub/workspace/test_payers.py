"""Clients and payers inside a tenant, against the sandbox over real HTTP."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants.connectors import connector_for
from hub.workspace.models import TenantSessionRecord
from hub.workspace.records import contract_session
from tenant_connectors.base import Distribution, PayerRank, PayerStatus
from tests import factories
from tests.forms import submit
from tests.hub.workspace.conftest import ALICE, enter, page_text


def _session(agent):
    db.session.expire_all()
    row = db.session.scalars(select(TenantSessionRecord).where(
        TenantSessionRecord.user_id == agent.id, TenantSessionRecord.ended_at.is_(None))).first()
    return contract_session(row)


def _payers(hubworld, agent, client_id):
    return connector_for(hubworld.gt).list_client_payers(_session(agent), client_id)


def _by_name(payers, name):
    return next(p for p in payers if p.payer_name == name)


def _url(hubworld, client_id, rest=""):
    return f"/tenants/{hubworld.gt.id}/clients/{client_id}{rest}"


def _new_payer(hubworld, name, rank, distribution, amount="", **extra):
    return {"payer": hubworld.w.payer_id(name), "rank": str(rank), "distribution": distribution,
            "amount": amount, "week_start_day": "", "pay_start": "2026-02-01", "pay_end": "", **extra}


def test_whole_flow_full_level(client, hubworld, agent):
    enter(client, hubworld.gt)
    listing = page_text(client.get(f"/tenants/{hubworld.gt.id}/clients?q=okafor"))
    assert "Okafor, Chi" in listing and "Rivera, Ana" not in listing
    okafor = hubworld.w.okafor_id
    detail = client.get(_url(hubworld, okafor))
    html = page_text(detail)
    assert detail.status_code == 200 and detail.headers["Cache-Control"] == "no-store"
    # rank order with labels, distribution and amounts; the authorization under its payer
    assert html.index("Medicaid") < html.index("County Agency") < html.index(">Self<")
    assert "Per Diem" in html and "$150.00" in html and "Monthly" in html and "Remainder" in html
    assert "$1,200.00 per week" in html
    response = submit(client, _url(hubworld, okafor, "/payers/new"),
                      _new_payer(hubworld, "Jordan Parent", 4, "visit", "25.00"))
    assert response.status_code == 302, page_text(response)
    added = _by_name(_payers(hubworld, agent, okafor), "Jordan Parent")
    assert added.rank is PayerRank.QUATERNARY and added.distribution is Distribution.VISIT
    assert "Jordan Parent" in page_text(client.get(_url(hubworld, okafor)))


def test_read_only_level_gets_a_clear_refusal_on_writes(client, login_as, hubworld):
    user = login_as("agent", hub=hubworld.hub, restricted_user_id=ALICE[0])
    factories.grant(hubworld.gt, "Read only", user=user)
    db.session.commit()
    enter(client, hubworld.gt)
    rivera = hubworld.w.rivera_id
    assert "Blue Shield" in page_text(client.get(_url(hubworld, rivera)))
    response = submit(client, _url(hubworld, rivera, "/payers/new"),
                      _new_payer(hubworld, "Jordan Parent", 3, "per_diem", "10.00"))
    assert response.status_code == 403
    assert "permission level in this tenant does not allow" in page_text(response)
    assert "payers:write" in page_text(response)
    # the hub stays usable
    assert client.get(_url(hubworld, rivera)).status_code == 200
    assert client.get("/tenants").status_code == 200


def test_second_remainder_is_refused_before_the_tenant_is_called(client, hubworld, agent):
    enter(client, hubworld.gt)
    chen = hubworld.w.chen_id
    second_remainder = _new_payer(hubworld, "Jordan Parent", 2, "remainder")
    response = submit(client, _url(hubworld, chen, "/payers/new"), second_remainder)
    html = page_text(response)
    assert response.status_code == 200
    assert "already has an active Remainder payer" in html
    assert 'class="field has-error"' in html
    assert len(_payers(hubworld, agent, chen)) == 1
    # amount rules too: a Difference % above 100, a Weekly without its week start day
    bad = submit(client, _url(hubworld, chen, "/payers/new"),
                 _new_payer(hubworld, "Blue Shield", 1, "difference_percent", "120"))
    assert "a Difference % is at most 100" in page_text(bad)
    weekly = submit(client, _url(hubworld, chen, "/payers/new"), _new_payer(hubworld, "Blue Shield", 2, "weekly", "50"))
    assert "week start day" in page_text(weekly)
    dates = submit(client, _url(hubworld, chen, "/payers/new"),
                   _new_payer(hubworld, "Blue Shield", 2, "visit", "5", pay_end="2026-01-01"))
    assert "pay_end must not be before pay_start" in page_text(dates)
    assert len(_payers(hubworld, agent, chen)) == 1


def test_tenant_refusal_is_shown_at_the_field(client, hubworld, agent, monkeypatch):
    from hub.workspace import payers

    enter(client, hubworld.gt)
    monkeypatch.setattr(payers, "check_new", lambda current, new: ({}, []))  # the hub's check "misses" it
    chen = hubworld.w.chen_id
    second_remainder = _new_payer(hubworld, "Jordan Parent", 2, "remainder")
    response = submit(client, _url(hubworld, chen, "/payers/new"), second_remainder)
    html = page_text(response)
    assert response.status_code == 200
    # the tenant's 422 message sits next to the distribution field
    dist = html.index('name="distribution"')
    assert 'class="error"' in html[dist:dist + 2000]
    assert len(_payers(hubworld, agent, chen)) == 1


def test_new_primary_shows_rank_moves_before_saving(client, hubworld, agent):
    enter(client, hubworld.gt)
    rivera = hubworld.w.rivera_id
    data = _new_payer(hubworld, "Jordan Parent", 1, "per_diem", "10.00")
    preview = submit(client, _url(hubworld, rivera, "/payers/new"), data)
    html = page_text(preview)
    assert preview.status_code == 200
    assert "Blue Shield: Primary &rarr; Secondary" in html or "Blue Shield: Primary → Secondary" in html
    assert "Self: Secondary" in html and "Tertiary" in html
    before = _payers(hubworld, agent, rivera)
    assert len(before) == 2  # nothing saved yet
    confirmed = submit(client, _url(hubworld, rivera, "/payers/new"), {**data, "confirm": "yes"},
                       form_url=None)
    # the confirmation page's own form carries confirm=yes; posting it saves
    assert confirmed.status_code == 302, page_text(confirmed)
    after = {p.payer_name: p.rank for p in _payers(hubworld, agent, rivera)}
    assert after == {"Jordan Parent": PayerRank.PRIMARY, "Blue Shield": PayerRank.SECONDARY,
                     "Self": PayerRank.TERTIARY}


def test_status_change_needs_a_note_and_keeps_history(client, hubworld, agent):
    enter(client, hubworld.gt)
    rivera, cp = hubworld.w.rivera_id, hubworld.w.rivera_blue_shield_cp
    url = _url(hubworld, rivera, f"/payers/{cp}/status")
    form_url = _url(hubworld, rivera, f"/payers/{cp}")
    no_note = submit(client, url, {"status": "hold", "effective_date": "2026-03-01", "note": ""}, form_url=form_url)
    assert no_note.status_code == 422
    assert "a note is required when a payer leaves Active" in page_text(no_note)
    done = submit(client, url, {"status": "hold", "effective_date": "2026-03-01", "note": "waiting for card"},
                  form_url=form_url)
    assert done.status_code == 302
    page = page_text(client.get(form_url))
    assert "waiting for card" in page and "Hold" in page
    assert _by_name(_payers(hubworld, agent, rivera), "Blue Shield").status is PayerStatus.HOLD
    # the Remainder payer cannot simply leave Active
    self_cp = hubworld.w.rivera_self_cp
    refused = submit(client, _url(hubworld, rivera, f"/payers/{self_cp}/status"),
                     {"status": "inactive", "effective_date": "2026-03-01", "note": "x"},
                     form_url=_url(hubworld, rivera, f"/payers/{self_cp}"))
    assert "make another payer the Remainder first" in page_text(refused)


def test_edit_checks_rules_and_audits_field_names_only(client, hubworld, agent):
    enter(client, hubworld.gt)
    rivera, cp = hubworld.w.rivera_id, hubworld.w.rivera_blue_shield_cp
    url = _url(hubworld, rivera, f"/payers/{cp}/edit")
    base = {"rank": "1", "distribution": "difference_percent", "week_start_day": "", "pay_start": "2026-01-01",
            "pay_end": ""}
    too_much = submit(client, url, {**base, "amount": "150"})
    assert "a Difference % is at most 100" in page_text(too_much)
    to_remainder = submit(client, url, {**base, "distribution": "remainder", "amount": ""})
    assert "Make this payer the Remainder payer" in page_text(to_remainder)
    ok = submit(client, url, {**base, "amount": "70.00"})
    assert ok.status_code == 302, page_text(ok)
    assert str(_by_name(_payers(hubworld, agent, rivera), "Blue Shield").amount) == "70.00"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client_payer.updated")).one()
    assert event.detail["fields"] == ["amount"] and event.tenant_id == hubworld.gt.id
    assert "70" not in json.dumps(event.detail)


@pytest.mark.parametrize("action", ["inactive", "change"])
def test_make_this_payer_the_remainder_in_one_step(client, hubworld, agent, action):
    enter(client, hubworld.gt)
    okafor, county = hubworld.w.okafor_id, hubworld.w.okafor_county_cp
    url = _url(hubworld, okafor, f"/payers/{county}/remainder")
    page = client.get(url)
    assert "The current Remainder payer is <strong>Self</strong>" in page_text(page)
    data = {"previous_action": action, "previous_distribution": "", "previous_amount": "",
            "note": "parent pays the rest", "effective_date": "2026-03-01"}
    if action == "change":
        missing = submit(client, url, data)
        assert "new distribution" in page_text(missing)
        data.update(previous_distribution="visit", previous_amount="15.00")
    done = submit(client, url, data)
    assert done.status_code == 302, page_text(done)
    after = _payers(hubworld, agent, okafor)
    remainders = [p for p in after if p.is_remainder]
    assert [p.payer_name for p in remainders] == ["County Agency"]
    old = _by_name(after, "Self")
    if action == "inactive":
        assert old.status is PayerStatus.INACTIVE
    else:
        assert old.status is PayerStatus.ACTIVE and old.distribution is Distribution.VISIT
    html = page_text(client.get(_url(hubworld, okafor)))
    row = html[html.index(f'data-client-payer-id="{county}"'):]
    assert "Remainder" in row[:row.index("</tr>")]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client_payer.remainder_moved")).one()
    assert event.detail["previous_client_payer_id"] == hubworld.w.okafor_self_cp
    assert "15" not in json.dumps(event.detail)
