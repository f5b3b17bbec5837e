"""Failed replies become the contract's typed errors: every envelope code and every status class."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenant_connectors.base import (
    AuthenticationFailed,
    ClientPayerChange,
    Distribution,
    NewClientPayer,
    NotFound,
    PayerRank,
    PermissionDenied,
    SecondaryAuthenticationRequired,
    SessionExpired,
    TenantProtocolError,
    TenantServerError,
    TotpRequired,
    ValidationFailed,
)

TENANT = "tenant.example:8443/t/good-therapy/api/v1"


@pytest.mark.parametrize(
    ("status", "code", "error_type", "reason"),
    [
        (401, "invalid_credentials", AuthenticationFailed, "invalid_credentials"),
        (401, "locked", AuthenticationFailed, "locked"),
        (401, "challenge_expired", AuthenticationFailed, "challenge_expired"),
        (401, "totp_required", TotpRequired, "totp_required"),
        (401, "totp_invalid", TotpRequired, "totp_invalid"),
        (401, "session_expired", SessionExpired, "session_expired"),
        # no challenge in the reply: the half-finished login cannot continue, a new login is needed
        (401, "secondary_required", SessionExpired, "secondary_required"),
    ],
)
def test_authentication_codes(connect, recorder, replies, session, status, code, error_type, reason):
    connector = connect(recorder((status, replies.error(code))))
    with pytest.raises(error_type) as caught:
        connector.list_payers(session)
    assert type(caught.value) is error_type
    assert caught.value.reason == reason
    assert caught.value.tenant == TENANT


def test_secondary_required_with_challenge_carries_it(connect, recorder, replies, session):
    body = replies.error("secondary_required")
    body["error"]["challenge"] = replies["challenge"]["challenge"]
    connector = connect(recorder((401, body)))
    with pytest.raises(SecondaryAuthenticationRequired) as caught:
        connector.list_payers(session)
    assert caught.value.challenge.billing_company.name == "ACME Billing"
    assert caught.value.challenge.billing_user.user_id == "gt-acme-full"


def test_login_failures_are_raised_from_begin_login(connect, recorder, replies):
    connector = connect(recorder((401, replies.error("invalid_credentials", "wrong user or password"))))
    with pytest.raises(AuthenticationFailed) as caught:
        connector.begin_login("gt-acme-full", "not-the-Passw0rd")
    assert caught.value.reason == "invalid_credentials"
    assert "wrong user or password" in str(caught.value)


def test_permission_denied_names_the_permission(connect, recorder, replies, session):
    connector = connect(recorder((403, replies.error("permission_denied", "permission group lacks payers:write"))))
    with pytest.raises(PermissionDenied) as caught:
        connector.update_client_payer(session, "3", "11", _change())
    assert caught.value.permission == "payers:write"


def test_not_found(connect, recorder, replies, session):
    connector = connect(recorder((404, replies.error("not_found", "no such client"))))
    with pytest.raises(NotFound):
        connector.get_client(session, "999")


def test_validation_failed_keeps_field_errors(connect, recorder, replies, session):
    fields = {"distribution": ["a second active Remainder payer is not allowed"], "amount": ["required"]}
    connector = connect(recorder((422, replies.error("validation_failed", "payer rules", fields))))
    with pytest.raises(ValidationFailed) as caught:
        connector.update_client_payer(session, "3", "11", _change())
    assert caught.value.field_errors == {
        "distribution": ("a second active Remainder payer is not allowed",),
        "amount": ("required",),
    }


def test_bad_request_is_a_validation_failure(connect, recorder, replies, session):
    connector = connect(recorder((400, replies.error("bad_request", "limit must be 1..200"))))
    with pytest.raises(ValidationFailed, match=r"limit must be 1\.\.200"):
        connector.list_clients(session, limit=500)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_trouble_is_a_server_error(connect, recorder, replies, session, status):
    connector = connect(recorder((status, replies.error("server_error", "boom"))))
    with pytest.raises(TenantServerError) as caught:
        connector.add_client_payer(session, "3", _new_payer())
    assert caught.value.status_code == status
    assert caught.value.tenant == TENANT


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_without_envelope_keeps_status_class(connect, recorder, session, status):
    connector = connect(recorder((status, b"<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"})))
    with pytest.raises(TenantServerError) as caught:
        connector.logout(session)
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b"<html>Not Found</html>"),
        (401, b""),
        (403, b'{"detail": "nope"}'),
        (422, b'{"error": "just a string"}'),
        (409, b'{"error": {"code": "conflict", "message": "?"}}'),  # unknown code
        (418, b'{"error": {"code": 7}}'),
    ],
)
def test_client_error_without_known_envelope_is_a_protocol_error(connect, recorder, session, status, body):
    connector = connect(recorder((status, body)))
    with pytest.raises(TenantProtocolError) as caught:
        connector.list_payers(session)
    assert str(status) in str(caught.value)
    assert caught.value.tenant == TENANT


def test_tenant_message_is_shortened_and_cleaned(connect, recorder, replies, session):
    message = "line one\nline two\x00" + "x" * 500
    connector = connect(recorder((404, replies.error("not_found", message))))
    with pytest.raises(NotFound) as caught:
        connector.get_client(session, "3")
    text = str(caught.value)
    assert "\n" not in text and "\x00" not in text
    assert len(text) < 300


def _change() -> ClientPayerChange:
    return ClientPayerChange(week_start_day=2)


def _new_payer() -> NewClientPayer:
    return NewClientPayer("2", PayerRank.PRIMARY, Distribution.VISIT, Decimal("40.00"), date(2026, 1, 1))
