"""Every failure of entering or using a tenant shows a clear message and leaves the hub usable."""

from __future__ import annotations

import socket
import threading
import time

from sqlalchemy import select

from hub.extensions import db
from hub.tenants.models import BillingCredential, HealthStatus, Tenant
from hub.workspace.models import PendingTenantLogin, TenantSessionRecord
from tests import factories
from tests.hub.workspace.conftest import (
    ALICE,
    BOB,
    BOB_TOTP,
    answer_secondary,
    begin_enter,
    enter,
    page_text,
    totp_now,
)


def _health(tenant: Tenant) -> str:
    db.session.expire_all()
    return str(db.session.get(Tenant, tenant.id).health_status)


def _flash_after(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return page_text(client.get(response.headers["Location"]))


def _open_rows() -> list[TenantSessionRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(TenantSessionRecord).where(TenantSessionRecord.ended_at.is_(None))))


def test_wrong_billing_secret_marks_tenant_auth_failed(client, hubworld, agent):
    from hub.tenants.service import replace_secret

    credential = db.session.scalars(select(BillingCredential).where(
        BillingCredential.tenant_id == hubworld.gt.id, BillingCredential.remote_user_id == "gt-acme-full")).one()
    replace_secret(credential, "not-the-secret-1!", actor=None)
    db.session.commit()
    text = _flash_after(client, begin_enter(client, hubworld.gt))
    assert "stored Billing credential was refused" in text and "ask your hub admin" in text
    assert _health(hubworld.gt) == HealthStatus.AUTH_FAILED
    assert client.get("/tenants").status_code == 200
    enter(client, hubworld.cw)  # other tenants unaffected


def test_wrong_restricted_password_then_right_one(client, hubworld, agent):
    begin_enter(client, hubworld.gt)
    wrong = answer_secondary(client, hubworld.gt, ALICE[0], "wrong-Passw0rd!")
    html = page_text(wrong)
    assert wrong.status_code == 200
    assert "ACME Billing did not accept this User ID and password" in html
    assert "wrong-Passw0rd!" not in html  # the password field is never echoed
    pw = html.index('name="password"')
    assert 'class="error"' in html[pw:pw + 400]
    assert _health(hubworld.gt) != HealthStatus.AUTH_FAILED  # the agent's typo is not the tenant's fault
    done = answer_secondary(client, hubworld.gt, *ALICE)
    assert done.headers["Location"].endswith("/clients")


def test_totp_asked_for_then_wrong_then_right(client, login_as, hubworld):
    bob = login_as("agent", hub=hubworld.hub, restricted_user_id=BOB[0])
    factories.grant(hubworld.gt, "Full", user=bob)
    db.session.commit()
    begin_enter(client, hubworld.gt)
    first = answer_secondary(client, hubworld.gt, *BOB)
    assert "enter the code from your authenticator app" in page_text(first)
    assert 'name="totp_code"' in page_text(first)
    no_code = answer_secondary(client, hubworld.gt, *BOB)
    assert "Enter the code from your authenticator app." in page_text(no_code)
    code = totp_now(BOB_TOTP)
    wrong = answer_secondary(client, hubworld.gt, *BOB, totp_code="000000" if code != "000000" else "111111")
    assert "That two-factor code was not accepted" in page_text(wrong)
    right = answer_secondary(client, hubworld.gt, *BOB, totp_code=totp_now(BOB_TOTP))
    assert right.headers["Location"].endswith("/clients")


def test_locked_restricted_account(client, hubworld, agent):
    begin_enter(client, hubworld.gt)
    for _ in range(9):
        answer_secondary(client, hubworld.gt, ALICE[0], "wrong-Passw0rd!")
    locked = answer_secondary(client, hubworld.gt, *ALICE)
    assert "is locked" in page_text(locked) and "administrator" in page_text(locked)
    assert client.get("/tenants").status_code == 200


def test_challenge_expired(client, hubworld, agent):
    begin_enter(client, hubworld.gt)
    hubworld.sandbox.advance_clock(6 * 60)
    response = answer_secondary(client, hubworld.gt, *ALICE)
    assert "expired before it was answered" in _flash_after(client, response)
    assert db.session.scalars(select(PendingTenantLogin)).first() is None


def test_expired_token_sends_back_to_enter(client, hubworld, agent):
    enter(client, hubworld.gt)
    hubworld.sandbox.advance_clock(3 * 3600)
    response = client.get(f"/tenants/{hubworld.gt.id}/clients")
    assert response.headers["Location"].endswith(f"/tenants/{hubworld.gt.id}/enter")
    assert "ended or expired" in page_text(client.get(response.headers["Location"]))
    assert _open_rows() == []
    assert _health(hubworld.gt) == HealthStatus.OK  # expiry is not the tenant's fault


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tenant_down(client, hubworld, agent):
    hubworld.gt.base_url = f"http://127.0.0.1:{_closed_port()}/t/good-therapy/api/v1"
    db.session.commit()
    text = _flash_after(client, begin_enter(client, hubworld.gt))
    assert "unavailable right now" in text
    assert _health(hubworld.gt) == HealthStatus.UNAVAILABLE
    assert "unavailable" in page_text(client.get("/tenants"))


def test_slow_tenant_times_out_and_malformed_is_a_protocol_error(app, client, hubworld, agent):
    enter(client, hubworld.gt)  # at normal timeouts: the logins hash passwords, slow on a busy machine
    app.config.update(TENANT_READ_TIMEOUT=0.5, TENANT_TOTAL_TIMEOUT=1.5)
    hubworld.sandbox.set_faults("good-therapy", latency_ms=3000)
    started = time.monotonic()
    slow = client.get(f"/tenants/{hubworld.gt.id}/clients")
    assert time.monotonic() - started < 2.5
    assert slow.status_code == 504 and "did not answer in time" in page_text(slow)
    assert _health(hubworld.gt) == HealthStatus.UNAVAILABLE
    hubworld.sandbox.set_faults("good-therapy", malformed_rate=1.0)
    broken = client.get(f"/tenants/{hubworld.gt.id}/clients")
    assert broken.status_code == 502 and "cannot read" in page_text(broken)
    assert _health(hubworld.gt) == HealthStatus.PROTOCOL_ERROR
    hubworld.sandbox.set_faults("good-therapy")
    assert client.get(f"/tenants/{hubworld.gt.id}/clients").status_code == 200  # the session survived
    assert _health(hubworld.gt) == HealthStatus.OK


def test_hanging_tenant_does_not_hold_up_another(app, client, hubworld, agent):
    enter(client, hubworld.gt)
    enter(client, hubworld.cw)
    app.config.update(TENANT_READ_TIMEOUT=1.0, TENANT_TOTAL_TIMEOUT=2.0)
    hubworld.sandbox.set_faults("good-therapy", hang=True)
    cookies = {c.key: c.value for c in client._cookies.values()}
    results: dict[str, tuple[int, float]] = {}

    def fetch(name: str, tenant_id: int) -> None:
        other = app.test_client()
        for key, value in cookies.items():
            other.set_cookie(key, value, domain="hub.test")
        started = time.monotonic()
        response = other.get(f"/tenants/{tenant_id}/clients")
        results[name] = (response.status_code, time.monotonic() - started)

    hung = threading.Thread(target=fetch, args=("gt", hubworld.gt.id))
    hung.start()
    time.sleep(0.2)
    fetch("cw", hubworld.cw.id)
    assert hung.is_alive()  # the hung tenant's request is still waiting ...
    assert results["cw"][0] == 200 and results["cw"][1] < 2.0  # ... while the other tenant answered
    hung.join(timeout=10)
    status, elapsed = results["gt"]
    assert status == 504 and elapsed < 3.0
    hubworld.sandbox.set_faults("good-therapy")


def test_standard_billing_account_warns_on_every_page(client, hubworld, login_as):
    from tests.hub.workspace.conftest import STANDARD_SECRET

    url = hubworld.sandbox.tenant_url("good-therapy")
    tenant = factories.make_tenant(hubworld.hub, name="GT standard", base_url=url)
    factories.make_credential(tenant, "Full", remote_user_id="gt-acme-standard", secret=STANDARD_SECRET)
    user = login_as("agent", hub=hubworld.hub, restricted_user_id=ALICE[0])
    factories.grant(tenant, "Full", user=user)
    db.session.commit()
    straight_in = begin_enter(client, tenant)
    assert straight_in.headers["Location"].endswith(f"/tenants/{tenant.id}/clients")  # no secondary prompt
    for url in (f"/tenants/{tenant.id}/clients", f"/tenants/{tenant.id}/clients/{hubworld.w.rivera_id}"):
        assert "charged Standard seat" in page_text(client.get(url))
    assert _health(tenant) == HealthStatus.MISCONFIGURED
