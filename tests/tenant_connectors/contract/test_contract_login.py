"""Two-part login, every way it can be refused, lockout, token expiry and logout."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from tenant_connectors.base import (
    AuthenticationFailed,
    SecondaryChallenge,
    SessionExpired,
    TenantSession,
    TotpRequired,
    UserType,
)

from .helpers import (
    ALICE,
    BOB,
    BOB_TOTP_SECRET,
    CALM_WATERS,
    CAROL,
    CW_FULL,
    GT_FULL,
    GT_STANDARD,
    GT_ZENITH,
    ZOE,
    begin,
    open_session,
    totp_code,
)


def _refused(call, *args, **kwargs) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        call(*args, **kwargs)
    return caught.value


def test_two_part_login_happy_path(connector):
    challenge = begin(connector, GT_FULL)
    assert challenge.billing_company.name == "ACME Billing"
    assert challenge.billing_user.user_id == "gt-acme-full"
    assert challenge.billing_user.user_type is UserType.BILLING
    assert challenge.expires_at > datetime.now(UTC)

    session = connector.complete_secondary(challenge, *ALICE)
    assert session.acting_for is not None
    assert session.acting_for.user_id == "acme.alice"
    assert session.acting_for.user_type is UserType.RESTRICTED
    assert session.acting_for.company.name == "ACME Billing"
    assert session.billing_user.user_id == "gt-acme-full"
    assert session.seat.charged is False and session.seat.user_type is UserType.BILLING
    assert session.tenant.name == "Good Therapy, Inc"
    assert session.allows("payers:write") and session.is_proxy
    assert session.expires_at > datetime.now(UTC)

    again = connector.current_session(session.token)
    assert again.acting_for == session.acting_for and again.billing_user == session.billing_user
    assert connector.list_clients(session).total >= 3


def test_wrong_billing_password_and_unknown_user_look_the_same(connector):
    wrong = _refused(connector.begin_login, GT_FULL[0], "not-the-password")
    unknown = _refused(connector.begin_login, "gt-nobody", "not-the-password")
    assert type(wrong) is AuthenticationFailed and type(unknown) is AuthenticationFailed
    assert wrong.reason == unknown.reason == "invalid_credentials"


def test_wrong_restricted_password(connector):
    challenge = begin(connector, GT_FULL)
    error = _refused(connector.complete_secondary, challenge, ALICE[0], "not-alices-password")
    assert type(error) is AuthenticationFailed and error.reason == "invalid_credentials"


def test_challenge_is_single_use(connector):
    challenge = begin(connector, GT_FULL)
    connector.complete_secondary(challenge, *ALICE)
    error = _refused(connector.complete_secondary, challenge, *ALICE)
    assert error.reason == "challenge_expired"


def test_challenge_expires(connector, sandbox):
    challenge = begin(connector, GT_FULL)
    sandbox.advance_clock(6 * 60)
    error = _refused(connector.complete_secondary, challenge, *ALICE)
    assert error.reason == "challenge_expired"


def test_made_up_challenge_is_refused(connector):
    real = begin(connector, GT_FULL)
    fake = SecondaryChallenge("no-such-challenge", real.billing_company, real.billing_user, real.expires_at)
    assert _refused(connector.complete_secondary, fake, *ALICE).reason == "challenge_expired"


def test_totp_missing_wrong_and_right(connector):
    with pytest.raises(TotpRequired) as missing:
        connector.complete_secondary(begin(connector, GT_FULL), *BOB)
    assert missing.value.reason == "totp_required"

    right_now = {totp_code(BOB_TOTP_SECRET, time.time() + step * 30) for step in (-2, -1, 0, 1, 2)}
    wrong_code = next(c for c in ("000000", "111111", "222222") if c not in right_now)
    with pytest.raises(TotpRequired) as wrong:
        connector.complete_secondary(begin(connector, GT_FULL), *BOB, totp_code=wrong_code)
    assert wrong.value.reason == "totp_invalid"

    session = open_session(connector, GT_FULL, BOB, totp=BOB_TOTP_SECRET)
    assert session.acting_for is not None and session.acting_for.user_id == "acme.bob"


def test_misconfigured_standard_account_logs_straight_in(connector):
    step = connector.begin_login(*GT_STANDARD)
    assert isinstance(step, TenantSession)
    assert step.acting_for is None and not step.is_proxy
    assert step.seat.charged is True and step.seat.user_type is UserType.STANDARD
    assert step.billing_user.user_id == "gt-acme-standard"


@pytest.mark.parametrize("intruder", [ZOE, CAROL], ids=["other-billing-company", "standard-user"])
def test_only_restricted_users_of_the_named_billing_company(connector, intruder):
    challenge = begin(connector, GT_FULL)
    error = _refused(connector.complete_secondary, challenge, *intruder)
    assert type(error) is AuthenticationFailed and error.reason == "invalid_credentials"


def test_other_billing_company_has_its_own_billing_user(connector):
    challenge = begin(connector, GT_ZENITH)
    assert challenge.billing_company.name == "Zenith Billing"
    session = connector.complete_secondary(challenge, *ZOE)
    assert session.acting_for is not None and session.acting_for.user_id == "zenith.zoe"
    assert _refused(connector.complete_secondary, begin(connector, GT_ZENITH), *ALICE).reason == "invalid_credentials"


def test_billing_user_locks_after_nine_failures(connector, sandbox):
    for _ in range(9):
        assert _refused(connector.begin_login, GT_FULL[0], "wrong-password-1").reason == "invalid_credentials"
    # a wrong password still reads as a wrong password; only the right one learns of the lock
    assert _refused(connector.begin_login, GT_FULL[0], "wrong-password-1").reason == "invalid_credentials"
    assert _refused(connector.begin_login, *GT_FULL).reason == "locked"
    sandbox.unlock("good-therapy", GT_FULL[0])
    assert isinstance(connector.begin_login(*GT_FULL), SecondaryChallenge)


def test_restricted_user_locks_after_nine_failures(connector, sandbox):
    for _ in range(9):
        error = _refused(connector.complete_secondary, begin(connector, GT_FULL), ALICE[0], "wrong-password-1")
        assert error.reason == "invalid_credentials"
    assert _refused(connector.complete_secondary, begin(connector, GT_FULL), *ALICE).reason == "locked"
    sandbox.unlock("acme", ALICE[0])
    assert open_session(connector, GT_FULL, ALICE).acting_for is not None


def test_token_expires_by_the_tenant_clock(connector, sandbox):
    session = open_session(connector, GT_FULL, ALICE)
    connector.list_payers(session)
    sandbox.advance_clock(31 * 60)  # default lifetime 30 minutes
    with pytest.raises(SessionExpired):
        connector.list_payers(session)
    with pytest.raises(SessionExpired):
        connector.current_session(session.token)


def test_token_lifetime_is_configurable(connector, sandbox):
    sandbox.set_settings("good-therapy", token_ttl_seconds=60)
    session = open_session(connector, GT_FULL, ALICE)
    assert session.expires_at <= datetime.now(UTC) + timedelta(seconds=90)
    sandbox.advance_clock(30)
    connector.list_payers(session)
    sandbox.advance_clock(45)
    with pytest.raises(SessionExpired):
        connector.list_payers(session)


def test_logout_ends_the_token(connector):
    session = open_session(connector, GT_FULL, ALICE)
    connector.logout(session)
    with pytest.raises(SessionExpired):
        connector.list_clients(session)
    with pytest.raises(SessionExpired):
        connector.current_session(session.token)


def test_token_of_one_tenant_is_worthless_at_another(connector_factory):
    good_therapy = connector_factory("good-therapy")
    calm_waters = connector_factory(CALM_WATERS)
    gt_session = open_session(good_therapy, GT_FULL, ALICE)
    cw_session = open_session(calm_waters, CW_FULL, ALICE)
    assert cw_session.tenant.company_id != gt_session.tenant.company_id
    with pytest.raises(SessionExpired):
        calm_waters.list_clients(gt_session)
    assert calm_waters.list_clients(cw_session).total >= 1


def test_no_secret_in_logs_or_errors_over_real_http(connector, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    session = open_session(connector, GT_FULL, BOB, totp=BOB_TOTP_SECRET)
    connector.list_clients(session)
    errors = [_refused(connector.begin_login, GT_FULL[0], "wrong-Secret-canary-1")]
    errors.append(_refused(connector.complete_secondary, begin(connector, GT_FULL), BOB[0], BOB[1], totp_code="000000"))
    connector.logout(session)
    errors.append(_refused(connector.list_clients, session))
    secrets = [GT_FULL[1], BOB[1], "wrong-Secret-canary-1", session.token]
    logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records)
    assert "tenant_connectors.http" in logged  # the connector did log its calls
    shown = logged + "".join(f"{e!s} {e!r} {e.__context__!r} {e.__cause__!r}" for e in errors) + repr(session)
    assert [s for s in secrets if s in shown] == []
