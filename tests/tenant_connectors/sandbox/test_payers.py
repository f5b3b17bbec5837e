"""Client payer rules as the sandbox tenant enforces them over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tenant_connectors.sandbox.seed import TestWorld
from tests.tenant_connectors.sandbox.conftest import GT, bearer


@pytest.fixture
def api(client: FlaskClient, login: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    """Call the Good Therapy API as gt-acme-full on behalf of acme.alice."""
    headers = bearer(login())

    def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return client.open(f"{GT}{path}", method=method, json=body, headers=headers)

    return _call


def _payers(api: Callable[..., Any], client_id: str) -> list[dict[str, Any]]:
    reply = api("GET", f"/clients/{client_id}/payers")
    assert reply.status_code == 200
    return reply.json["items"]


def _active_remainders(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in items if p["distribution"] == "remainder" and p["status"] == "active"]


def new_payer(world: TestWorld, name: str, rank: int, distribution: str, amount: str | None, **extra: Any) -> dict:
    return {
        "payer_id": world.payer_id(name),
        "rank": rank,
        "distribution": distribution,
        "amount": amount,
        "pay_start": "2026-03-01",
        **extra,
    }


def test_seeded_payers_in_rank_order(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    items = _payers(api, sandbox_world.okafor_id)
    assert [(p["payer_name"], p["rank"], p["distribution"], p["amount"]) for p in items] == [
        ("Medicaid", 1, "per_diem", "150.00"),
        ("County Agency", 2, "monthly", "400.00"),
        ("Self", 3, "remainder", None),
    ]


def test_new_primary_pushes_others_down(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    reply = api(
        "POST", f"/clients/{sandbox_world.rivera_id}/payers", new_payer(sandbox_world, "Medicaid", 1, "visit", "95.50")
    )
    assert reply.status_code == 201
    assert reply.json["rank"] == 1 and reply.json["amount"] == "95.50" and reply.json["status"] == "active"
    ranks = {p["payer_name"]: p["rank"] for p in _payers(api, sandbox_world.rivera_id)}
    assert ranks == {"Medicaid": 1, "Blue Shield": 2, "Self": 3}


def test_push_past_quinary_refused(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    cid = sandbox_world.okafor_id
    assert (
        api("POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "Blue Shield", 4, "visit", "10")).status_code
        == 201
    )
    assert (
        api("POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "Jordan Parent", 5, "visit", "10")).status_code
        == 201
    )
    reply = api("POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "Blue Shield", 1, "visit", "10"))
    assert reply.status_code == 422 and "rank" in reply.json["error"]["fields"]
    assert len(_payers(api, cid)) == 5


def test_second_remainder_refused(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    reply = api(
        "POST",
        f"/clients/{sandbox_world.chen_id}/payers",
        new_payer(sandbox_world, "Jordan Parent", 2, "remainder", None),
    )
    assert reply.status_code == 422
    assert reply.json["error"]["code"] == "validation_failed"
    assert "distribution" in reply.json["error"]["fields"]


@pytest.mark.parametrize(
    ("distribution", "amount", "extra", "field"),
    [
        ("per_diem", None, {}, "amount"),
        ("per_diem", "0", {}, "amount"),
        ("per_diem", "-5.00", {}, "amount"),
        ("visit", 12.5, {}, "amount"),
        ("visit", "12.345", {}, "amount"),
        ("difference_percent", "100.01", {}, "amount"),
        ("weekly", "50.00", {}, "week_start_day"),
        ("weekly", "50.00", {"week_start_day": 7}, "week_start_day"),
        ("monthly", "50.00", {"week_start_day": 1}, "week_start_day"),
        ("monthly", "50.00", {"pay_end": "2026-02-01"}, "pay_end"),
        ("monthly", "50.00", {"pay_start": "2026-13-01"}, "pay_start"),
        ("bogus", "50.00", {}, "distribution"),
        ("monthly", "50.00", {"rank": 9}, "rank"),
        ("monthly", "50.00", {"payer_id": "99999"}, "payer_id"),
    ],
)
def test_field_validation(
    api: Callable[..., Any], sandbox_world: TestWorld, distribution: str, amount: Any, extra: dict, field: str
) -> None:
    body = {**new_payer(sandbox_world, "Medicaid", 1, distribution, amount), **extra}
    reply = api("POST", f"/clients/{sandbox_world.chen_id}/payers", body)
    assert reply.status_code == 422, reply.json
    assert field in reply.json["error"]["fields"]
    assert len(_payers(api, sandbox_world.chen_id)) == 1


def test_weekly_with_start_day_and_percent_100_accepted(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    cid = sandbox_world.chen_id
    weekly = api(
        "POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "County Agency", 1, "weekly", "50", week_start_day=0)
    )
    assert weekly.status_code == 201 and weekly.json["week_start_day"] == 0 and weekly.json["amount"] == "50.00"
    pct = api("POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "Blue Shield", 1, "difference_percent", "100"))
    assert pct.status_code == 201


def test_status_change_needs_note_and_keeps_history(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    path = f"/clients/{sandbox_world.okafor_id}/payers/{sandbox_world.okafor_county_cp}"
    no_note = api("POST", f"{path}/status", {"status": "hold", "effective_date": "2026-03-01"})
    assert no_note.status_code == 422 and "note" in no_note.json["error"]["fields"]
    held = api("POST", f"{path}/status", {"status": "hold", "effective_date": "2026-03-01", "note": "card expired"})
    assert held.status_code == 200 and held.json["status"] == "hold"
    back = api("POST", f"{path}/status", {"status": "active", "effective_date": "2026-03-05"})
    assert back.status_code == 200
    history = api("GET", f"{path}/history").json["items"]
    assert [(h["old_status"], h["new_status"]) for h in history] == [
        (None, "active"),
        ("active", "hold"),
        ("hold", "active"),
    ]
    assert history[1]["note"] == "card expired" and history[1]["effective_date"] == "2026-03-01"
    assert history[1]["changed_by"] == "acme.alice via gt-acme-full"
    assert history[1]["changed_at"].endswith("+00:00")


def test_remainder_cannot_leave_active_or_change_distribution(
    api: Callable[..., Any], sandbox_world: TestWorld
) -> None:
    path = f"/clients/{sandbox_world.chen_id}/payers/{sandbox_world.chen_self_cp}"
    reply = api("POST", f"{path}/status", {"status": "inactive", "effective_date": "2026-03-01", "note": "gone"})
    assert reply.status_code == 422 and "status" in reply.json["error"]["fields"]
    patch = api("PATCH", path, {"distribution": "visit", "amount": "10.00"})
    assert patch.status_code == 422 and "distribution" in patch.json["error"]["fields"]
    assert len(_active_remainders(_payers(api, sandbox_world.chen_id))) == 1


def test_patch_changes_only_given_keys(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    path = f"/clients/{sandbox_world.okafor_id}/payers/{sandbox_world.okafor_medicaid_cp}"
    reply = api("PATCH", path, {"amount": "175.25", "pay_end": "2026-12-31"})
    assert reply.status_code == 200
    assert (reply.json["amount"], reply.json["pay_end"], reply.json["distribution"]) == (
        "175.25",
        "2026-12-31",
        "per_diem",
    )
    to_remainder = api("PATCH", path, {"distribution": "remainder"})
    assert to_remainder.status_code == 422 and "distribution" in to_remainder.json["error"]["fields"]


def test_patch_rank_pushes_down(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    path = f"/clients/{sandbox_world.okafor_id}/payers/{sandbox_world.okafor_self_cp}"
    assert api("PATCH", path, {"rank": 1}).status_code == 200
    ranks = {p["payer_name"]: p["rank"] for p in _payers(api, sandbox_world.okafor_id)}
    assert ranks == {"Self": 1, "Medicaid": 2, "County Agency": 3}


def test_move_remainder_to_new_payer_inactivates_old(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    cid = sandbox_world.chen_id
    move = {
        "note": "parent pays the rest",
        "effective_date": "2026-04-01",
        "new_payer": new_payer(sandbox_world, "Jordan Parent", 1, "remainder", None),
    }
    reply = api("POST", f"/clients/{cid}/remainder", move)
    assert reply.status_code == 200, reply.json
    items = reply.json["items"]
    remainders = _active_remainders(items)
    assert [p["payer_name"] for p in remainders] == ["Jordan Parent"]
    old = next(p for p in items if p["client_payer_id"] == sandbox_world.chen_self_cp)
    assert old["status"] == "inactive"
    history = api("GET", f"/clients/{cid}/payers/{sandbox_world.chen_self_cp}/history").json["items"]
    assert history[-1]["new_status"] == "inactive" and history[-1]["note"] == "parent pays the rest"


def test_move_remainder_to_existing_payer_changing_old(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    cid = sandbox_world.rivera_id
    move = {
        "note": "self pays a flat copay",
        "effective_date": "2026-04-01",
        "client_payer_id": sandbox_world.rivera_blue_shield_cp,
        "previous_distribution": "visit",
        "previous_amount": "25.00",
    }
    reply = api("POST", f"/clients/{cid}/remainder", move)
    assert reply.status_code == 200, reply.json
    by_id = {p["client_payer_id"]: p for p in reply.json["items"]}
    assert by_id[sandbox_world.rivera_blue_shield_cp]["distribution"] == "remainder"
    assert by_id[sandbox_world.rivera_blue_shield_cp]["amount"] is None
    assert (by_id[sandbox_world.rivera_self_cp]["distribution"], by_id[sandbox_world.rivera_self_cp]["amount"]) == (
        "visit",
        "25.00",
    )
    assert len(_active_remainders(reply.json["items"])) == 1


@pytest.mark.parametrize(
    ("move", "field"),
    [
        ({"note": "x", "effective_date": "2026-04-01"}, "client_payer_id"),
        ({"note": "", "effective_date": "2026-04-01", "client_payer_id": "PLACEHOLDER"}, "note"),
        (
            {
                "note": "x",
                "effective_date": "2026-04-01",
                "client_payer_id": "PLACEHOLDER",
                "previous_status": "active",
            },
            "previous_status",
        ),
        (
            {
                "note": "x",
                "effective_date": "2026-04-01",
                "client_payer_id": "PLACEHOLDER",
                "previous_distribution": "visit",
            },
            "previous_amount",
        ),
    ],
)
def test_bad_remainder_moves_change_nothing(
    api: Callable[..., Any], sandbox_world: TestWorld, move: dict[str, Any], field: str
) -> None:
    cid = sandbox_world.rivera_id
    if move.get("client_payer_id") == "PLACEHOLDER":
        move = {**move, "client_payer_id": sandbox_world.rivera_blue_shield_cp}
    before = _payers(api, cid)
    reply = api("POST", f"/clients/{cid}/remainder", move)
    assert reply.status_code == 422 and field in reply.json["error"]["fields"], reply.json
    assert _payers(api, cid) == before


def test_move_remainder_is_atomic_when_a_rule_breaks(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    # Okafor: adding two payers fills ranks 1..5; a new Remainder at rank 1 would push one past Quinary
    cid = sandbox_world.okafor_id
    api("POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "Blue Shield", 4, "visit", "10"))
    api("POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "Jordan Parent", 5, "visit", "10"))
    before = _payers(api, cid)
    move = {
        "note": "x",
        "effective_date": "2026-04-01",
        "previous_distribution": "visit",
        "previous_amount": "5",
        "new_payer": new_payer(sandbox_world, "Jordan Parent", 1, "remainder", None),
    }
    reply = api("POST", f"/clients/{cid}/remainder", move)
    assert reply.status_code == 422
    assert _payers(api, cid) == before


def test_reactivating_into_a_taken_rank_refused(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    cid = sandbox_world.okafor_id
    path = f"/clients/{cid}/payers/{sandbox_world.okafor_county_cp}"
    api("POST", f"{path}/status", {"status": "inactive", "effective_date": "2026-03-01", "note": "ended"})
    added = api("POST", f"/clients/{cid}/payers", new_payer(sandbox_world, "Blue Shield", 2, "visit", "10"))
    assert added.status_code == 201
    reply = api("POST", f"{path}/status", {"status": "active", "effective_date": "2026-03-02"})
    assert reply.status_code == 422 and "rank" in reply.json["error"]["fields"]


def test_unknown_client_and_payer_are_404(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    assert api("GET", "/clients/99999/payers").json["error"]["code"] == "not_found"
    assert api("GET", "/clients/abc").status_code == 404
    cw_client = sandbox_world.cw_client_ids[0]
    assert api("GET", f"/clients/{cw_client}").status_code == 404  # another tenant's client
    reply = api("GET", f"/clients/{sandbox_world.chen_id}/payers/{sandbox_world.okafor_self_cp}/history")
    assert reply.status_code == 404


def test_clients_search_and_paging(api: Callable[..., Any]) -> None:
    page = api("GET", "/clients?search=oka").json
    assert page["total"] == 1 and page["items"][0]["last_name"] == "Okafor"
    page = api("GET", "/clients?offset=1&limit=1").json
    assert (page["total"], page["offset"], page["limit"], len(page["items"])) == (3, 1, 1, 1)
    assert api("GET", "/clients?limit=0").status_code == 400
    assert api("GET", "/clients?limit=201").json["error"]["code"] == "bad_request"


def test_authorizations_and_directory(api: Callable[..., Any], sandbox_world: TestWorld) -> None:
    auths = api("GET", f"/clients/{sandbox_world.okafor_id}/authorizations").json["items"]
    assert auths[0]["amount"] == "1200.00" and auths[0]["period"] == "week"
    assert auths[0]["client_payer_id"] == sandbox_world.okafor_medicaid_cp
    names = {p["name"]: p["payer_type"] for p in api("GET", "/payers").json["items"]}
    assert names == {
        "Self": "self",
        "Blue Shield": "insurance",
        "Medicaid": "insurance",
        "County Agency": "agency",
        "Jordan Parent": "individual",
    }


def test_billing_accounts_flag_misconfigured(api: Callable[..., Any]) -> None:
    items = {a["user_id"]: a for a in api("GET", "/billing-accounts").json["items"]}
    assert set(items) == {"gt-acme-full", "gt-acme-readonly", "gt-zenith", "gt-acme-standard"}
    assert items["gt-acme-standard"]["charged"] is True and items["gt-acme-standard"]["user_type"] == "standard"
    assert items["gt-acme-full"]["charged"] is False
    assert items["gt-acme-readonly"]["permission_group"] == "Billing - Read only"
    assert items["gt-zenith"]["billing_company"] == {"company_id": "zenith", "name": "Zenith Billing"}
