"""Fault injection, JSON errors everywhere and the control API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from flask.testing import FlaskClient

from tenant_connectors.sandbox.seed import TestWorld
from tenant_connectors.sandbox.testing import SandboxServer
from tests.tenant_connectors.sandbox.conftest import CW, GT, bearer


def test_error_rate_one_gives_5xx_and_changes_nothing(
    client: FlaskClient, sandbox: SandboxServer, login: Callable[..., dict[str, Any]], sandbox_world: TestWorld
) -> None:
    headers = bearer(login())
    before = client.get(f"{GT}/audit?limit=1000", headers=headers).json["items"]
    sandbox.set_faults("good-therapy", error_rate=1.0, seed=1)
    statuses = set()
    for _ in range(12):
        reply = client.post(
            f"{GT}/clients/{sandbox_world.chen_id}/payers/{sandbox_world.chen_self_cp}/status",
            json={"status": "hold", "effective_date": "2026-03-01", "note": "x"},
            headers=headers,
        )
        statuses.add(reply.status_code)
        assert reply.status_code in (500, 503)
    assert client.get(f"{GT}/health").status_code in (500, 503)
    assert statuses == {500, 503}
    assert client.get(f"{CW}/health").status_code == 200  # other tenants unaffected
    sandbox.set_faults("good-therapy")
    after = client.get(f"{GT}/audit?limit=1000", headers=headers).json["items"]
    assert len(after) == len(before) + 1  # only the first audit read; injected calls never reached the tenant


def test_malformed_rate_gives_varied_garbage_with_200(client: FlaskClient, sandbox: SandboxServer) -> None:
    sandbox.set_faults("good-therapy", malformed_rate=1.0, seed=7)
    bodies = set()
    for _ in range(20):
        reply = client.get(f"{GT}/health")
        assert reply.status_code == 200
        bodies.add(reply.get_data(as_text=True))
        try:
            parsed = json.loads(reply.get_data(as_text=True))
        except ValueError:
            continue
        assert parsed != {"status": "ok", "company": {"company_id": "good-therapy", "name": "Good Therapy, Inc"}}
    assert len(bodies) >= 3


def test_latency_is_added(client: FlaskClient, sandbox: SandboxServer) -> None:
    sandbox.set_faults("good-therapy", latency_ms=150)
    started = time.monotonic()
    assert client.get(f"{GT}/health").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_hang_blocks_until_cleared(sandbox: SandboxServer) -> None:
    sandbox.set_faults("good-therapy", hang=True)
    results: list[int] = []

    def call() -> None:
        results.append(httpx.get(f"{sandbox.tenant_url('good-therapy')}/health", timeout=30).status_code)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive() and not results
    sandbox.set_faults("good-therapy")
    thread.join(timeout=5)
    assert results == [200]


def test_server_stops_promptly_with_a_hung_request(tmp_path: Any) -> None:
    from tenant_connectors.sandbox.pipeline import state
    from tenant_connectors.sandbox.seed import seed_test_world

    server = SandboxServer(f"sqlite:///{tmp_path / 'hang.sqlite3'}")
    seed_test_world(state(server.app).engine)
    errors: list[BaseException] = []
    with server:
        server.set_faults("good-therapy", hang=True)

        def call() -> None:
            try:
                httpx.get(f"{server.tenant_url('good-therapy')}/health", timeout=30)
            except httpx.HTTPError as exc:  # the connection may be cut at shutdown
                errors.append(exc)

        thread = threading.Thread(target=call)
        thread.start()
        time.sleep(0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 3
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_errors_are_json_envelopes(client: FlaskClient) -> None:
    for reply, status, code in [
        (client.get("/t/good-therapy/api/v1/nothing-here"), 404, "not_found"),
        (client.get("/t/no-such-company/api/v1/health"), 404, "not_found"),
        (client.delete(f"{GT}/health"), 405, "method_not_allowed"),
        (client.post(f"{GT}/auth/login", data="{not json", content_type="application/json"), 400, "bad_request"),
        (client.post(f"{GT}/auth/login", json=["a"]), 400, "bad_request"),
        (client.post(f"{GT}/auth/login", json={"username": "x"}), 400, "bad_request"),
    ]:
        assert reply.status_code == status
        assert reply.is_json and reply.json["error"]["code"] == code
        assert set(reply.json["error"]) == {"code", "message"}


def test_control_api(client: FlaskClient, sandbox: SandboxServer) -> None:
    listing = client.get("/_sandbox/companies").json["items"]
    kinds = {c["slug"]: (c["kind"], c["base_url"]) for c in listing}
    assert kinds["acme"] == ("billing_company", None)
    assert kinds["good-therapy"][0] == "customer" and kinds["good-therapy"][1].endswith("/t/good-therapy/api/v1")
    assert client.put("/_sandbox/companies/good-therapy/faults", json={"error_rate": 2}).status_code == 400
    assert client.put("/_sandbox/companies/nope/faults", json={}).status_code == 404
    assert client.post("/_sandbox/clock", json={}).status_code == 400
    moved = client.post("/_sandbox/clock", json={"advance_seconds": 120}).json
    assert moved["offset_seconds"] == 120
    assert client.post("/_sandbox/clock", json={"reset": True}).json["offset_seconds"] == 0
    assert client.post("/_sandbox/companies/good-therapy/users/nobody/unlock").status_code == 404
