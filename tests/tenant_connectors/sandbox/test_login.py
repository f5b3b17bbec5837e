"""Two-part login, TOTP, lockout, sessions and permissions of the sandbox tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.seed import TestWorld
from tenant_connectors.sandbox.testing import SandboxServer
from tests.tenant_connectors.sandbox.conftest import GT, bearer, totp_now


def _begin(client: FlaskClient, creds: tuple[str, str]) -> Any:
    return client.post(f"{GT}/auth/login", json={"username": creds[0], "password": creds[1]})


def _secondary(client: FlaskClient, challenge_id: str, creds: tuple[str, str], **extra: Any) -> Any:
    body = {"challenge_id": challenge_id, "username": creds[0], "password": creds[1], **extra}
    return client.post(f"{GT}/auth/secondary", json=body)


def test_billing_login_asks_for_secondary_naming_the_billing_company(
    client: FlaskClient, sandbox_world: TestWorld
) -> None:
    reply = _begin(client, sandbox_world.billing_full)
    assert reply.status_code == 200
    body = reply.json
    assert body["status"] == "secondary_required"
    assert body["challenge"]["billing_company"] == {"company_id": "acme", "name": "ACME Billing"}
    assert body["challenge"]["billing_user"]["user_id"] == "gt-acme-full"
    assert body["challenge"]["billing_user"]["user_type"] == "billing"


def test_secondary_opens_proxy_session(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge = _begin(client, sandbox_world.billing_full).json["challenge"]
    reply = _secondary(client, challenge["challenge_id"], sandbox_world.restricted_alice)
    assert reply.status_code == 200
    session = reply.json["session"]
    assert session["acting_for"]["user_id"] == "acme.alice"
    assert session["acting_for"]["user_type"] == "restricted"
    assert session["acting_for"]["company"]["company_id"] == "acme"
    assert session["billing_user"]["user_id"] == "gt-acme-full"
    assert session["seat"] == {"user_type": "billing", "charged": False}
    assert set(session["permissions"]) == set(sandbox_world.full_permissions)
    assert session["tenant"] == {"company_id": "good-therapy", "name": "Good Therapy, Inc"}
    me = client.get(f"{GT}/auth/session", headers=bearer(session))
    assert me.status_code == 200 and me.json == session


def test_challenge_is_single_use(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    assert _secondary(client, challenge_id, sandbox_world.restricted_alice).status_code == 200
    again = _secondary(client, challenge_id, sandbox_world.restricted_alice)
    assert again.status_code == 401 and again.json["error"]["code"] == "challenge_expired"


def test_challenge_expires_after_five_minutes(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    clock.advance(301)
    reply = _secondary(client, challenge_id, sandbox_world.restricted_alice)
    assert reply.json["error"]["code"] == "challenge_expired"


def test_challenge_id_as_bearer_says_secondary_required(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    reply = client.get(f"{GT}/clients", headers={"Authorization": f"Bearer {challenge_id}"})
    assert reply.status_code == 401 and reply.json["error"]["code"] == "secondary_required"


def test_restricted_user_of_another_billing_company_refused(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    reply = _secondary(client, challenge_id, sandbox_world.zenith_zoe)
    assert reply.status_code == 401 and reply.json["error"]["code"] == "invalid_credentials"


def test_zenith_billing_user_accepts_zenith_restricted(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge = _begin(client, sandbox_world.billing_zenith).json["challenge"]
    assert challenge["billing_company"]["company_id"] == "zenith"
    assert _secondary(client, challenge["challenge_id"], sandbox_world.restricted_alice).status_code == 401
    ok = _secondary(client, challenge["challenge_id"], sandbox_world.zenith_zoe)
    assert ok.status_code == 200 and ok.json["session"]["acting_for"]["user_id"] == "zenith.zoe"


def test_non_restricted_billing_company_user_refused(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    reply = _secondary(client, challenge_id, sandbox_world.acme_standard_carol)
    assert reply.status_code == 401 and reply.json["error"]["code"] == "invalid_credentials"


def test_misconfigured_standard_account_logs_straight_in_and_is_charged(
    client: FlaskClient, sandbox_world: TestWorld
) -> None:
    reply = _begin(client, sandbox_world.billing_standard)
    assert reply.json["status"] == "authenticated"
    session = reply.json["session"]
    assert session["acting_for"] is None
    assert session["seat"] == {"user_type": "standard", "charged": True}


def test_totp_required_then_invalid_then_ok(client: FlaskClient, sandbox_world: TestWorld) -> None:
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    missing = _secondary(client, challenge_id, sandbox_world.restricted_bob)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "totp_required"
    good = totp_now(sandbox_world)
    wrong = "000000" if good != "000000" else "111111"
    invalid = _secondary(client, challenge_id, sandbox_world.restricted_bob, totp_code=wrong)
    assert invalid.json["error"]["code"] == "totp_invalid"
    ok = _secondary(client, challenge_id, sandbox_world.restricted_bob, totp_code=good)
    assert ok.status_code == 200 and ok.json["session"]["acting_for"]["user_id"] == "acme.bob"


def test_totp_follows_the_sandbox_clock(client: FlaskClient, sandbox_world: TestWorld) -> None:
    clock.advance(3600)
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    code = totp_now(sandbox_world)
    assert _secondary(client, challenge_id, sandbox_world.restricted_bob, totp_code=code).status_code == 200


def test_unknown_user_and_wrong_password_look_the_same(client: FlaskClient, sandbox_world: TestWorld) -> None:
    unknown = _begin(client, ("nobody", "whatever-123"))
    wrong = _begin(client, (sandbox_world.billing_full[0], "wrong-password"))
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json == wrong.json


def test_lockout_after_nine_failures_and_unlock(
    client: FlaskClient, sandbox: SandboxServer, sandbox_world: TestWorld
) -> None:
    user, password = sandbox_world.billing_full
    for _ in range(9):
        assert _begin(client, (user, "wrong-password")).json["error"]["code"] == "invalid_credentials"
    # locked: a wrong password still looks like any wrong password, the right one says "locked"
    assert _begin(client, (user, "wrong-password")).json["error"]["code"] == "invalid_credentials"
    assert _begin(client, (user, password)).json["error"]["code"] == "locked"
    sandbox.unlock("good-therapy", user)
    assert _begin(client, (user, password)).json["status"] == "secondary_required"


def test_success_resets_the_failure_counter(client: FlaskClient, sandbox_world: TestWorld) -> None:
    user, password = sandbox_world.billing_full
    for _ in range(8):
        _begin(client, (user, "wrong-password"))
    assert _begin(client, (user, password)).status_code == 200
    for _ in range(8):
        _begin(client, (user, "wrong-password"))
    assert _begin(client, (user, password)).status_code == 200


def test_restricted_account_locks_too(client: FlaskClient, sandbox: SandboxServer, sandbox_world: TestWorld) -> None:
    challenge_id = _begin(client, sandbox_world.billing_full).json["challenge"]["challenge_id"]
    alice, password = sandbox_world.restricted_alice
    for _ in range(9):
        assert _secondary(client, challenge_id, (alice, "nope-nope")).json["error"]["code"] == "invalid_credentials"
    assert _secondary(client, challenge_id, (alice, password)).json["error"]["code"] == "locked"
    sandbox.unlock("acme", alice)
    assert _secondary(client, challenge_id, (alice, password)).status_code == 200


def test_token_expires_by_sandbox_clock_and_company_ttl(
    client: FlaskClient, sandbox: SandboxServer, login: Callable[..., dict[str, Any]]
) -> None:
    sandbox.set_settings("good-therapy", token_ttl_seconds=60)
    session = login()
    assert client.get(f"{GT}/clients", headers=bearer(session)).status_code == 200
    sandbox.advance_clock(61)
    reply = client.get(f"{GT}/clients", headers=bearer(session))
    assert reply.status_code == 401 and reply.json["error"]["code"] == "session_expired"


def test_default_ttl_is_thirty_minutes(client: FlaskClient, login: Callable[..., dict[str, Any]]) -> None:
    session = login()
    clock.advance(29 * 60)
    assert client.get(f"{GT}/auth/session", headers=bearer(session)).status_code == 200
    clock.advance(61)
    assert client.get(f"{GT}/auth/session", headers=bearer(session)).status_code == 401


def test_logout_ends_the_session(client: FlaskClient, login: Callable[..., dict[str, Any]]) -> None:
    session = login()
    assert client.post(f"{GT}/auth/logout", headers=bearer(session)).status_code == 204
    reply = client.get(f"{GT}/auth/session", headers=bearer(session))
    assert reply.json["error"]["code"] == "session_expired"


def test_token_of_one_tenant_is_unknown_to_another(client: FlaskClient, login: Callable[..., dict[str, Any]]) -> None:
    session = login()
    reply = client.get("/t/calm-waters/api/v1/clients", headers=bearer(session))
    assert reply.status_code == 401


def test_missing_or_garbage_bearer(client: FlaskClient) -> None:
    assert client.get(f"{GT}/clients").json["error"]["code"] == "session_expired"
    assert client.get(f"{GT}/clients", headers={"Authorization": "Bearer x"}).status_code == 401


def test_read_only_group_is_denied_writes_naming_the_permission(
    client: FlaskClient, login: Callable[..., dict[str, Any]], sandbox_world: TestWorld
) -> None:
    session = login(billing=sandbox_world.billing_readonly)
    assert set(session["permissions"]) == set(sandbox_world.readonly_permissions)
    assert client.get(f"{GT}/clients", headers=bearer(session)).status_code == 200
    reply = client.post(
        f"{GT}/clients/{sandbox_world.chen_id}/payers/{sandbox_world.chen_self_cp}/status",
        json={"status": "hold", "effective_date": "2026-03-01", "note": "x"},
        headers=bearer(session),
    )
    assert reply.status_code == 403
    assert reply.json["error"]["code"] == "permission_denied"
    assert "payers:write" in reply.json["error"]["message"]
    denied = client.get(f"{GT}/billing-accounts", headers=bearer(session))
    assert denied.status_code == 403 and "users:read" in denied.json["error"]["message"]
