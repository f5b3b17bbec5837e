"""Helpers for the sandbox tests: a Flask test client and login shortcuts over the test world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.seed import TestWorld
from tenant_connectors.sandbox.testing import SandboxServer
from tenant_connectors.sandbox.totp import totp_code

GT = "/t/good-therapy/api/v1"
CW = "/t/calm-waters/api/v1"


@pytest.fixture
def client(sandbox: SandboxServer) -> FlaskClient:
    """A Flask test client of the sandbox app (REMOTE_PORT set so audit rows carry a port)."""
    test_client = sandbox.app.test_client()
    test_client.environ_base.update({"REMOTE_PORT": "50123", "HTTP_USER_AGENT": "pytest-sandbox/1.0"})
    return test_client


def totp_now(world: TestWorld) -> str:
    """Bob's current TOTP code by the sandbox clock."""
    return totp_code(world.bob_totp_secret, clock.now())


@pytest.fixture
def login(client: FlaskClient, sandbox_world: TestWorld) -> Callable[..., dict[str, Any]]:
    """Two-part login; returns the session JSON (``base`` picks the tenant)."""

    def _login(
        billing: tuple[str, str] | None = None,
        restricted: tuple[str, str] | None = None,
        base: str = GT,
    ) -> dict[str, Any]:
        billing = billing or sandbox_world.billing_full
        restricted = restricted or sandbox_world.restricted_alice
        first = client.post(f"{base}/auth/login", json={"username": billing[0], "password": billing[1]})
        assert first.status_code == 200, first.json
        body = first.json
        assert body is not None
        if body["status"] == "authenticated":
            return body["session"]
        second = client.post(
            f"{base}/auth/secondary",
            json={
                "challenge_id": body["challenge"]["challenge_id"],
                "username": restricted[0],
                "password": restricted[1],
            },
        )
        assert second.status_code == 200, second.json
        return second.json["session"]

    return _login


def bearer(session: dict[str, Any]) -> dict[str, str]:
    """Authorization header for a session JSON."""
    return {"Authorization": f"Bearer {session['token']}"}
