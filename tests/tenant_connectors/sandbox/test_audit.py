"""The sandbox's Audit Report: a row per call with both identities, and cursor paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from flask.testing import FlaskClient

from tenant_connectors.sandbox.seed import TestWorld
from tenant_connectors.sandbox.testing import SandboxServer
from tests.tenant_connectors.sandbox.conftest import GT, bearer


def _all_events(client: FlaskClient, headers: dict[str, str], limit: int = 500) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"{GT}/audit{query}", headers=headers).json
        events += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return events
    raise AssertionError("paging did not terminate")


def test_every_call_is_audited_with_both_identities(
    client: FlaskClient, login: Callable[..., dict[str, Any]], sandbox_world: TestWorld
) -> None:
    login_body = {
        "username": sandbox_world.billing_full[0],
        "password": sandbox_world.billing_full[1],
        "client": {"ip_address": "203.0.113.9", "platform": "Firefox", "os": "macOS"},
    }
    challenge = client.post(f"{GT}/auth/login", json=login_body).json["challenge"]
    session = client.post(
        f"{GT}/auth/secondary",
        json={"challenge_id": challenge["challenge_id"], "username": "acme.alice", "password": "alice-Passw0rd!"},
    ).json["session"]
    headers = bearer(session)
    client.get(f"{GT}/clients/{sandbox_world.chen_id}", headers=headers)
    client.post(
        f"{GT}/clients/{sandbox_world.chen_id}/payers/{sandbox_world.chen_self_cp}/status",
        json={"status": "hold", "effective_date": "2026-03-01", "note": "x"},
        headers=headers,
    )
    client.post(f"{GT}/auth/login", json={"username": "gt-acme-full", "password": "wrong-one"})
    events = _all_events(client, headers)
    mine = [e for e in events if e["on_behalf_of_user_id"] == "acme.alice"]
    actions = [e["action"] for e in mine]
    assert actions[:3] == ["proxy_login", "view", "status_change"]
    first_step = next(e for e in events if e["user_id"] == "gt-acme-full" and e["action"] == "login")
    assert first_step["detail"].startswith("secondary_required") and "client_ip=203.0.113.9" in first_step["detail"]
    proxy_login = mine[0]
    assert proxy_login["user_id"] == "gt-acme-full" and proxy_login["user_type"] == "billing"
    assert proxy_login["billing_company"] == {"company_id": "acme", "name": "ACME Billing"}
    assert proxy_login["proxy"] is True and proxy_login["on_behalf_of_name"] == "Alice Archer"
    assert proxy_login["platform"] == "Firefox" and proxy_login["os"] == "macOS"
    assert proxy_login["ip_address"] == "127.0.0.1" and proxy_login["source_port"] == 50123
    view = mine[1]
    assert (view["entity_type"], view["entity_id"]) == ("client", sandbox_world.chen_id)
    assert view["platform"] == "Firefox"  # the session keeps the login's client details
    refused = mine[2]
    assert refused["detail"] and "refused: validation_failed" in refused["detail"]
    failed = [e for e in events if e["action"] == "login_failed"]
    assert failed and failed[-1]["user_id"] == "gt-acme-full" and failed[-1]["on_behalf_of_user_id"] is None


def test_failures_and_permission_refusals_are_audited(
    client: FlaskClient, login: Callable[..., dict[str, Any]], sandbox_world: TestWorld
) -> None:
    client.post(f"{GT}/auth/login", json={"username": "ghost", "password": "nope-nope"})
    ro = login(billing=sandbox_world.billing_readonly)
    client.get(f"{GT}/billing-accounts", headers=bearer(ro))
    client.post(f"{GT}/auth/logout", headers=bearer(ro))
    client.get(f"{GT}/clients", headers={"Authorization": "Bearer stale"})
    full = login()
    events = _all_events(client, bearer(full))
    ghost = [e for e in events if e["user_id"] == "ghost"]
    assert ghost[0]["action"] == "login_failed" and ghost[0]["user_type"] is None
    denied = [e for e in events if e["detail"] and "permission_denied" in e["detail"]]
    assert denied[0]["user_id"] == "gt-acme-readonly" and denied[0]["on_behalf_of_user_id"] == "acme.alice"
    assert any(e["action"] == "logout" and e["user_id"] == "gt-acme-readonly" for e in events)
    assert any(e["detail"] and "session_expired" in e["detail"] and e["user_id"] is None for e in events)


def test_standard_login_is_not_proxy(
    client: FlaskClient, login: Callable[..., dict[str, Any]], sandbox_world: TestWorld
) -> None:
    std = login(billing=sandbox_world.billing_standard)
    events = _all_events(client, bearer(std))
    row = next(e for e in events if e["user_id"] == "gt-acme-standard" and e["action"] == "login")
    assert row["proxy"] is False and row["on_behalf_of_user_id"] is None
    assert row["billing_company"]["company_id"] == "acme"


def test_paging_terminates_and_never_repeats_or_skips(
    client: FlaskClient, sandbox: SandboxServer, login: Callable[..., dict[str, Any]]
) -> None:
    headers = bearer(login())
    sandbox.add_audit_noise("good-therapy", 250)
    first = _all_events(client, headers, limit=40)
    ids = [int(e["event_id"]) for e in first]
    assert ids == sorted(set(ids)) and len(ids) >= 250
    # a second sync from the last cursor sees exactly the rows written since (its own reads)
    page = client.get(f"{GT}/audit?limit=1000", headers=headers).json
    all_ids = [int(e["event_id"]) for e in page["items"]]
    assert all_ids == list(range(all_ids[0], all_ids[-1] + 1))


def test_paging_while_rows_are_added(
    client: FlaskClient, sandbox: SandboxServer, login: Callable[..., dict[str, Any]]
) -> None:
    headers = bearer(login())
    seen: list[int] = []
    cursor = None
    for round_ in range(30):
        if round_ % 3 == 0:
            sandbox.add_audit_noise("good-therapy", 7)
        query = "?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"{GT}/audit{query}", headers=headers).json
        seen += [int(e["event_id"]) for e in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(set(seen))
    assert seen == list(range(seen[0], seen[-1] + 1))  # no gap: nothing skipped


def test_audit_over_real_http_records_source_port(sandbox: SandboxServer, sandbox_world: TestWorld) -> None:
    base = sandbox.tenant_url("good-therapy")
    with httpx.Client(headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64) Chrome/120.0"}) as http:
        user, password = sandbox_world.billing_standard
        token = http.post(f"{base}/auth/login", json={"username": user, "password": password}).json()["session"][
            "token"
        ]
        page = http.get(f"{base}/audit?limit=1000", headers={"Authorization": f"Bearer {token}"}).json()
    row = page["items"][-1]
    assert row["action"] == "login" and isinstance(row["source_port"], int) and row["source_port"] > 0
    assert (row["platform"], row["os"]) == ("Chrome", "Windows 10")


def test_bad_cursor_is_400(client: FlaskClient, login: Callable[..., dict[str, Any]]) -> None:
    reply = client.get(f"{GT}/audit?cursor=!!!", headers=bearer(login()))
    assert reply.status_code == 400 and reply.json["error"]["code"] == "bad_request"
