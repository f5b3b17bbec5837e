"""Contract inputs are serialized to the tenant API's JSON exactly, and sent to the right endpoint."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from tenant_connectors.base import (
    ClientInfo,
    ClientPayerChange,
    Distribution,
    NewClientPayer,
    NotFound,
    PayerRank,
    PayerStatus,
    RemainderMove,
    StatusChangeRequest,
    ValidationFailed,
)
from tenant_connectors.http import encode

WEEKLY = NewClientPayer(
    payer_id="7",
    rank=PayerRank.SECONDARY,
    distribution=Distribution.WEEKLY,
    amount=Decimal("125.5"),
    pay_start=date(2026, 1, 5),
    week_start_day=0,
)


def test_new_client_payer():
    assert encode.new_client_payer(WEEKLY) == {
        "payer_id": "7",
        "rank": 2,
        "distribution": "weekly",
        "amount": "125.5",
        "pay_start": "2026-01-05",
        "pay_end": None,
        "week_start_day": 0,
    }


def test_money_is_plain_decimal_text():
    assert encode.money(Decimal("1E+2"), "amount") == "100"
    assert encode.money(Decimal("0.10"), "amount") == "0.10"
    assert encode.money(40, "amount") == "40"
    for bad in (40.5, Decimal("NaN"), Decimal("Infinity"), True):
        with pytest.raises(ValidationFailed) as caught:
            encode.money(bad, "amount")  # type: ignore[arg-type]
        assert "amount" in caught.value.field_errors


def test_change_sends_only_the_keys_it_sets():
    assert encode.client_payer_change(ClientPayerChange()) == {}
    change = ClientPayerChange(rank=PayerRank.PRIMARY, amount=Decimal("12.00"), pay_end=date(2026, 6, 30))
    assert encode.client_payer_change(change) == {"rank": 1, "amount": "12.00", "pay_end": "2026-06-30"}


def test_status_change_request():
    request = StatusChangeRequest(PayerStatus.INACTIVE, date(2026, 3, 1), note="coverage ended")
    assert encode.status_change_request(request) == {
        "status": "inactive",
        "effective_date": "2026-03-01",
        "note": "coverage ended",
    }


def test_remainder_move_with_a_new_payer():
    remainder = NewClientPayer("9", PayerRank.SECONDARY, Distribution.REMAINDER, None, date(2026, 2, 1))
    move = RemainderMove(note="parent pays the rest", effective_date=date(2026, 2, 1), new_payer=remainder)
    assert encode.remainder_move(move) == {
        "note": "parent pays the rest",
        "effective_date": "2026-02-01",
        "new_payer": {
            "payer_id": "9",
            "rank": 2,
            "distribution": "remainder",
            "amount": None,
            "pay_start": "2026-02-01",
            "pay_end": None,
            "week_start_day": None,
        },
        "previous_status": "inactive",
    }


def test_remainder_move_to_an_existing_payer_changing_the_old_one():
    move = RemainderMove(
        note="swap",
        effective_date=date(2026, 2, 1),
        client_payer_id="12",
        previous_distribution=Distribution.VISIT,
        previous_amount=Decimal("20.00"),
    )
    encoded = encode.remainder_move(move)
    assert encoded["client_payer_id"] == "12" and "new_payer" not in encoded
    assert encoded["previous_distribution"] == "visit" and encoded["previous_amount"] == "20.00"


def test_client_info_sends_known_parts():
    assert encode.client_info(None) is None
    assert encode.client_info(ClientInfo(ip_address="10.0.0.8", os="Linux")) == {
        "ip_address": "10.0.0.8",
        "os": "Linux",
    }


def test_requests_on_the_wire(connect, recorder, replies, session):
    payer = replies["client_payer"]
    handler = recorder((201, payer), (200, payer), (200, payer), (200, {"items": [payer]}), (204, b""))
    connector = connect(handler)
    connector.add_client_payer(session, "3", WEEKLY)
    connector.update_client_payer(session, "3", "11", ClientPayerChange(week_start_day=3))
    connector.change_client_payer_status(session, "3", "11", StatusChangeRequest(PayerStatus.ACTIVE, date(2026, 1, 1)))
    connector.move_remainder(
        session, "3", RemainderMove(note="n", effective_date=date(2026, 1, 1), client_payer_id="11")
    )
    connector.logout(session)
    sent = [(r.method, r.url.path, json.loads(r.content) if r.content else None) for r in handler.requests]
    base = "/t/good-therapy/api/v1"
    assert sent == [
        ("POST", f"{base}/clients/3/payers", encode.new_client_payer(WEEKLY)),
        ("PATCH", f"{base}/clients/3/payers/11", {"week_start_day": 3}),
        ("POST", f"{base}/clients/3/payers/11/status",
         {"status": "active", "effective_date": "2026-01-01", "note": ""}),
        ("POST", f"{base}/clients/3/remainder",
         {"note": "n", "effective_date": "2026-01-01", "client_payer_id": "11", "previous_status": "inactive"}),
        ("POST", f"{base}/auth/logout", None),
    ]  # fmt: skip
    assert all(r.headers["Authorization"] == f"Bearer {session.token}" for r in handler.requests)
    assert handler.requests[0].headers["Content-Type"] == "application/json"


def test_login_body_and_query_parameters(connect, recorder, replies, session):
    handler = recorder((200, replies["challenge"]), (200, replies["client_page"]), (200, replies["audit_page"]))
    connector = connect(handler)
    connector.begin_login("gt-acme-full", "pw-12345678", client=ClientInfo(platform="hub"))
    connector.list_clients(session, search="Riv", offset=10, limit=20)
    connector.read_audit(session, cursor="c9", limit=100)
    login, clients, audit = handler.requests
    assert json.loads(login.content) == {"username": "gt-acme-full", "password": "pw-12345678",
                                         "client": {"platform": "hub"}}  # fmt: skip
    assert dict(clients.url.params) == {"offset": "10", "limit": "20", "search": "Riv"}
    assert dict(audit.url.params) == {"limit": "100", "cursor": "c9"}


@pytest.mark.parametrize("bad_id", ["", ".", ".."])
def test_ids_that_would_reshape_the_path_are_not_sent(connect, recorder, session, bad_id):
    handler = recorder((200, {"items": []}))
    with pytest.raises(NotFound):
        connect(handler).list_client_payers(session, bad_id)
    assert handler.calls == 0
