"""Workspace fixtures: a hub whose tenants are the sandbox's, an agent granted a level, and helpers
that drive the enter flow like a browser."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.accounts.models import Hub, User
from hub.extensions import db
from hub.tenants.connectors import close_connectors
from hub.tenants.models import Tenant
from tenant_connectors.sandbox.testing import SandboxServer
from tests import factories
from tests.forms import csrf_token_from, submit

ALICE = ("acme.alice", "alice-Passw0rd!")
BOB = ("acme.bob", "bob-Passw0rd!")
BOB_TOTP = "JBSWY3DPEHPK3PXP"
FULL_SECRET = "gt-full-Secret1!"
READONLY_SECRET = "gt-ro-Secret1!"
STANDARD_SECRET = "gt-std-Secret1!"
CW_SECRET = "cw-full-Secret1!"


@dataclass
class Hubworld:
    """The hub side of the test world: its hub, the sandbox's two tenants and their credentials."""

    hub: Hub
    gt: Tenant
    cw: Tenant
    sandbox: SandboxServer

    @property
    def w(self) -> Any:
        """The sandbox's seeded names and ids."""
        return self.sandbox.world


@pytest.fixture
def hubworld(app: Flask, sandbox: SandboxServer) -> Iterator[Hubworld]:
    """Good Therapy (Full + Read only credentials) and Calm Waters (Full) registered in a new hub."""
    hub = factories.make_hub()
    gt = factories.make_tenant(hub, name="Good Therapy, Inc", base_url=sandbox.tenant_url("good-therapy"))
    cw = factories.make_tenant(hub, name="Calm Waters Clinic", base_url=sandbox.tenant_url("calm-waters"))
    factories.make_credential(gt, "Full", remote_user_id="gt-acme-full", secret=FULL_SECRET)
    factories.make_credential(gt, "Read only", remote_user_id="gt-acme-readonly", secret=READONLY_SECRET)
    factories.make_credential(cw, "Full", remote_user_id="cw-acme-full", secret=CW_SECRET)
    db.session.commit()
    yield Hubworld(hub, gt, cw, sandbox)
    close_connectors(app)


@pytest.fixture
def agent(login_as: Callable[..., Any], hubworld: Hubworld) -> User:
    """Alice, logged in, with the Full level on both tenants."""
    user = login_as("agent", hub=hubworld.hub, restricted_user_id=ALICE[0])
    factories.grant(hubworld.gt, "Full", user=user)
    factories.grant(hubworld.cw, "Full", user=user)
    db.session.commit()
    return user


def begin_enter(client: FlaskClient, tenant: Tenant) -> TestResponse:
    """Press "Enter" for ``tenant`` on the dashboard."""
    page = client.get("/tenants")
    assert page.status_code == 200, page.status_code
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(f"/tenants/{tenant.id}/enter", data={"csrf_token": token})


def answer_secondary(client: FlaskClient, tenant: Tenant, username: str, password: str,
                     totp_code: str | None = None) -> TestResponse:
    """Fill the secondary prompt."""
    data = {"username": username, "password": password}
    if totp_code is not None:
        data["totp_code"] = totp_code
    return submit(client, f"/tenants/{tenant.id}/secondary", data)


def enter(client: FlaskClient, tenant: Tenant, credentials: tuple[str, str] = ALICE) -> TestResponse:
    """The whole enter flow through the secondary prompt; asserts it lands in the tenant."""
    first = begin_enter(client, tenant)
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/tenants/{tenant.id}/secondary"), \
        (first.status_code, first.headers.get("Location"))
    done = answer_secondary(client, tenant, *credentials)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/tenants/{tenant.id}/clients"), \
        (done.status_code, done.headers.get("Location"))
    return done


def totp_now(secret: str) -> str:
    """The current RFC 6238 code (pyotp refuses the sandbox's short 80-bit demo secret)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def page_text(response: TestResponse) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)
