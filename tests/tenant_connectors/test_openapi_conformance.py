"""Property-based check (schemathesis) that the sandbox tenant honours tenant_connectors/http/openapi.yaml.

Every operation is called against a live :class:`SandboxServer` with a real bearer token of the
test world (full permissions), so generated requests reach the payer rules; every reply must be
documented (status, content type, schema) and none may be a 5xx (faults are off).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.pipeline import state
from tenant_connectors.sandbox.seed import TestWorld, seed_test_world
from tenant_connectors.sandbox.testing import SandboxServer

SPEC = Path(__file__).resolve().parents[2] / "tenant_connectors" / "http" / "openapi.yaml"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

#: operations whose positive cases must all succeed with the full-permission session
ALWAYS_OK = {"/payers", "/billing-accounts", "/auth/session", "/health"}

schema = schemathesis.openapi.from_path(str(SPEC))
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=20)
# explicit examples plus property-based fuzzing; the coverage phase would multiply the run time
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxServer, TestWorld]]:
    """One sandbox server for the whole module (hypothesis reuses it across examples)."""
    clock.reset()
    path = tmp_path_factory.mktemp("conformance") / "sandbox.sqlite3"
    server = SandboxServer(f"sqlite:///{path}")
    world = seed_test_world(state(server.app).engine)
    with server:
        server.set_settings("good-therapy", token_ttl_seconds=3600)
        yield server, world


def full_token(server: SandboxServer, world: TestWorld) -> str:
    """A fresh proxy session token (gt-acme-full on behalf of acme.alice)."""
    base = server.tenant_url("good-therapy")
    first = httpx.post(f"{base}/auth/login", json=dict(zip(("username", "password"), world.billing_full, strict=True)))
    challenge_id = first.json()["challenge"]["challenge_id"]
    user, password = world.restricted_alice
    second = httpx.post(
        f"{base}/auth/secondary", json={"challenge_id": challenge_id, "username": user, "password": password}
    )
    return second.json()["session"]["token"]


@pytest.fixture(scope="module")
def token(live: tuple[SandboxServer, TestWorld]) -> str:
    """The token shared by the read and write operations."""
    return full_token(*live)


@pytest.fixture(scope="module")
def http_session() -> Iterator[requests.Session]:
    """A keep-alive HTTP session for the generated calls."""
    with requests.Session() as session:
        yield session


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_sandbox_conforms_to_openapi(
    case: Any, live: tuple[SandboxServer, TestWorld], token: str, http_session: requests.Session
) -> None:
    """Every documented operation: no 5xx, documented status and content type, reply matches its schema."""
    server, world = live
    # logout would end the shared session; give it a session of its own
    bearer = full_token(server, world) if case.operation.path == "/auth/logout" else token
    response = case.call_and_validate(
        base_url=server.tenant_url("good-therapy"),
        session=http_session,
        headers={"Authorization": f"Bearer {bearer}"},
        checks=CHECKS,
    )
    if case.operation.path in ALWAYS_OK:
        # guards against a vacuous run: the token must really open the tenant
        assert response.status_code == 200, response.text
