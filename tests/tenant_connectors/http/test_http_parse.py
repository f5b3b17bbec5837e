"""Successful replies are validated strictly into the frozen dataclasses; anything else is a protocol error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenant_connectors.base import (
    AuditPage,
    AuthorizationPeriod,
    ClientPayer,
    Distribution,
    PayerRank,
    PayerStatus,
    SecondaryChallenge,
    TenantProtocolError,
    TenantSession,
    UserType,
)

CHALLENGE_ID = "canary-challenge-c0ffee42"


def _raises_protocol_error(call, *args, **kwargs) -> TenantProtocolError:
    """Run ``call`` expecting a TenantProtocolError with nothing chained onto it."""
    with pytest.raises(TenantProtocolError) as caught:
        call(*args, **kwargs)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    return caught.value


def test_login_answers_a_challenge(connect, recorder, replies):
    connector = connect(recorder((200, replies["challenge"])))
    step = connector.begin_login("gt-acme-full", "pw-12345678")
    assert isinstance(step, SecondaryChallenge)
    assert step.challenge_id == CHALLENGE_ID
    assert step.billing_company.name == "ACME Billing"
    assert step.billing_user.user_type is UserType.BILLING
    assert step.expires_at.tzinfo is not None


def test_secondary_opens_a_session(connect, recorder, replies):
    connector = connect(recorder((200, replies["challenge"]), (200, replies.authenticated())))
    challenge = connector.begin_login("gt-acme-full", "pw-12345678")
    session = connector.complete_secondary(challenge, "acme.alice", "alice-pw-123", totp_code="123456")
    assert isinstance(session, TenantSession)
    assert session.acting_for is not None and session.acting_for.user_id == "acme.alice"
    assert session.acting_for.user_type is UserType.RESTRICTED
    assert session.permissions == frozenset({"clients:read", "payers:read", "payers:write"})
    assert session.seat.charged is False and session.is_proxy


def test_standard_account_logs_straight_in(connect, recorder, replies):
    body = replies.authenticated()
    body["session"]["acting_for"] = None
    body["session"]["seat"] = {"user_type": "standard", "charged": True}
    connector = connect(recorder((200, body)))
    session = connector.begin_login("gt-acme-standard", "pw-12345678")
    assert isinstance(session, TenantSession)
    assert session.acting_for is None and session.seat.charged


def test_secondary_answering_a_challenge_is_a_protocol_error(connect, recorder, replies):
    connector = connect(recorder((200, replies["challenge"])))
    challenge = connector.begin_login("gt-acme-full", "pw-12345678")
    _raises_protocol_error(connector.complete_secondary, challenge, "acme.alice", "alice-pw-123")


def test_client_payers_parse_money_ranks_and_enums(connect, recorder, replies, session):
    weekly = replies["client_payer"] | {
        "client_payer_id": "12", "rank": 2, "distribution": "weekly", "amount": "125.50",
        "week_start_day": 0, "pay_end": "2026-12-31", "status": "hold", "unknown_extra": {"x": 1},
    }  # fmt: skip
    connector = connect(recorder((200, {"items": [replies["client_payer"], weekly], "extra": True})))
    first, second = connector.list_client_payers(session, "3")
    assert isinstance(first, ClientPayer)
    assert first.rank is PayerRank.PRIMARY and first.distribution is Distribution.DIFFERENCE_PERCENT
    assert first.amount == Decimal("80.00") and first.pay_end is None
    assert second.amount == Decimal("125.50") and second.week_start_day == 0
    assert second.pay_end == date(2026, 12, 31) and second.status is PayerStatus.HOLD


def test_other_reply_shapes(connect, recorder, replies, session):
    authorization = {
        "authorization_id": "1",
        "client_id": "5",
        "client_payer_id": "8",
        "payer_id": "3",
        "amount": "1200.00",
        "period": "week",
        "start": "2026-01-01",
        "end": None,
    }
    history = {
        "old_status": None,
        "new_status": "active",
        "effective_date": "2026-01-01",
        "note": "",
        "changed_by": "seed",
        "changed_at": "2026-01-01T00:00:00Z",
    }
    account = {
        "user_id": "gt-acme-standard", "display_name": "GT", "user_type": "standard",
        "billing_company": {"company_id": "acme", "name": "ACME Billing"},
        "permission_group": "Billing - Full", "charged": True,
    }  # fmt: skip
    connector = connect(
        recorder(
            (200, replies["client_page"]),
            (200, {"items": [authorization]}),
            (200, {"items": [history]}),
            (200, {"items": [account]}),
            (200, replies["audit_page"]),
            (200, {"status": "ok", "company": {"company_id": "good-therapy", "name": "Good Therapy, Inc"}}),
        )
    )
    page = connector.list_clients(session, search="Rivera")
    assert page.items[0].display_name == "Rivera, Ana" and page.total == 1
    (auth,) = connector.list_authorizations(session, "5")
    assert auth.amount == Decimal("1200.00") and auth.period is AuthorizationPeriod.WEEK
    (change,) = connector.status_history(session, "5", "8")
    assert change.old_status is None and change.changed_at.tzinfo is not None
    (billing,) = connector.list_billing_accounts(session)
    assert billing.misconfigured and billing.user_type is UserType.STANDARD
    audit = connector.read_audit(session, cursor="c0", limit=10)
    assert isinstance(audit, AuditPage) and audit.has_more and audit.next_cursor == "c1"
    assert audit.items[0].proxy and audit.items[0].source_port == 50211
    connector.ping()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<!doctype html><html><body>Maintenance</body></html>", "text/html"),
        (b'{"items": [{"client_payer_id": "1", ', "application/json"),  # truncated
        (b"", "application/json"),
        (b"not json at all", "application/json"),
        (b'{"items": [], "x": NaN}', "application/json"),
        (b'{"items": []}', "text/plain"),  # right bytes, wrong declared type
        (b'[{"items": []}]', "application/json"),  # an array, not an object
    ],
)
def test_non_json_replies_are_protocol_errors(connect, recorder, session, body, content_type):
    connector = connect(recorder((200, body, {"Content-Type": content_type})))
    _raises_protocol_error(connector.list_client_payers, session, "3")


def test_no_content_where_data_was_due(connect, recorder, session):
    connector = connect(recorder((204, b"")))
    _raises_protocol_error(connector.list_payers, session)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("rank", "1", "items[0].rank"),  # a string is not the integer rank
        ("rank", 6, "items[0].rank"),
        ("rank", True, "items[0].rank"),
        ("amount", 80.0, "items[0].amount"),  # money as a float is refused
        ("amount", 80, "items[0].amount"),
        ("amount", "eighty", "items[0].amount"),
        ("amount", "NaN", "items[0].amount"),
        ("distribution", "Remainder", "items[0].distribution"),  # screen label, not the value
        ("status", "closed", "items[0].status"),
        ("pay_start", "01/02/2026", "items[0].pay_start"),
        ("pay_start", "2026-02-30", "items[0].pay_start"),
        ("pay_start", None, "items[0].pay_start"),
        ("week_start_day", 7, "items[0].week_start_day"),
        ("client_payer_id", 11, "items[0].client_payer_id"),
        ("client_payer_id", "", "items[0].client_payer_id"),
    ],
)
def test_mistyped_fields_are_named(connect, recorder, replies, session, field, value, path):
    item = replies["client_payer"] | {field: value}
    connector = connect(recorder((200, {"items": [item]})))
    error = _raises_protocol_error(connector.list_client_payers, session, "3")
    assert path in str(error)


@pytest.mark.parametrize("field", ["client_payer_id", "rank", "distribution", "status", "pay_start", "payer_name"])
def test_missing_fields_are_named(connect, recorder, replies, session, field):
    item = replies["client_payer"]
    del item[field]
    connector = connect(recorder((200, {"items": [item]})))
    error = _raises_protocol_error(connector.list_client_payers, session, "3")
    assert f"items[0].{field}" in str(error)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda s: s.update(expires_at="2026-11-23T09:00:00"), "session.expires_at"),  # naive
        (lambda s: s.update(expires_at="2026-11-23"), "session.expires_at"),
        (lambda s: s["billing_user"]["company"].pop("name"), "session.billing_user.company.name"),
        (lambda s: s["seat"].update(charged="no"), "session.seat.charged"),
        (lambda s: s.update(permissions="clients:read"), "session.permissions"),
        (lambda s: s["acting_for"].update(user_type="admin"), "session.acting_for.user_type"),
        (lambda s: s.update(token=None), "session.token"),
    ],
)
def test_wrong_session_shapes(connect, recorder, replies, session, mutate, path):
    body = replies.authenticated()
    mutate(body["session"])
    connector = connect(recorder((200, replies["challenge"]), (200, body)))
    challenge = connector.begin_login("gt-acme-full", "pw-12345678")
    error = _raises_protocol_error(connector.complete_secondary, challenge, "acme.alice", "alice-pw-123")
    assert path in str(error)


def test_unknown_login_status_is_a_protocol_error(connect, recorder):
    connector = connect(recorder((200, {"status": "welcome"})))
    assert "status" in str(_raises_protocol_error(connector.begin_login, "gt-acme-full", "pw-12345678"))


def test_audit_page_promising_more_needs_a_cursor(connect, recorder, replies, session):
    page = replies["audit_page"] | {"next_cursor": None}
    connector = connect(recorder((200, page)))
    assert "next_cursor" in str(_raises_protocol_error(connector.read_audit, session))


def test_health_must_say_ok(connect, recorder):
    connector = connect(recorder((200, {"status": "degraded", "company": {"company_id": "x", "name": "X"}})))
    _raises_protocol_error(connector.ping)
