"""Clients, payers and their rules, authorizations, permissions and seat flags through the contract."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenant_connectors.base import (
    AuthorizationPeriod,
    ClientPayerChange,
    Distribution,
    NewClientPayer,
    NotFound,
    PayerRank,
    PayerStatus,
    PermissionDenied,
    RemainderMove,
    StatusChangeRequest,
    TenantSession,
    UserType,
    ValidationFailed,
)

from .helpers import (
    ALICE,
    GT_FULL,
    GT_READONLY,
    active_remainders,
    by_payer,
    client_id,
    open_session,
    payer_id,
    today,
)


@pytest.fixture
def session(connector) -> TenantSession:
    """Alice acting through the Full Billing user of Good Therapy."""
    return open_session(connector, GT_FULL, ALICE)


def test_clients_and_payers_of_the_test_world(connector, session):
    assert {p.name for p in connector.list_payers(session)} >= {
        "Self", "Blue Shield", "Medicaid", "County Agency", "Jordan Parent",
    }  # fmt: skip
    rivera = client_id(connector, session, "Rivera")
    assert connector.get_client(session, rivera).display_name == "Rivera, Ana"
    payers = connector.list_client_payers(session, rivera)
    assert [(p.payer_name, p.rank, p.distribution) for p in payers] == [
        ("Blue Shield", PayerRank.PRIMARY, Distribution.DIFFERENCE_PERCENT),
        ("Self", PayerRank.SECONDARY, Distribution.REMAINDER),
    ]
    assert payers[0].amount == Decimal("80")
    assert len(active_remainders(payers)) == 1


def test_unknown_client_is_not_found(connector, session):
    with pytest.raises(NotFound):
        connector.get_client(session, "999999")
    with pytest.raises(NotFound):
        connector.list_client_payers(session, "999999")


def test_read_only_group_may_read_but_not_write(connector, session):
    readonly = open_session(connector, GT_READONLY, ALICE)
    assert not readonly.allows("payers:write")
    chen = client_id(connector, readonly, "Chen")
    before = connector.list_client_payers(readonly, chen)
    new = NewClientPayer(payer_id(connector, readonly, "Medicaid"), PayerRank.PRIMARY, Distribution.VISIT,
                         Decimal("40.00"), today())  # fmt: skip
    with pytest.raises(PermissionDenied) as caught:
        connector.add_client_payer(readonly, chen, new)
    assert caught.value.permission == "payers:write"
    with pytest.raises(PermissionDenied):
        connector.list_billing_accounts(readonly)
    assert connector.list_client_payers(session, chen) == before


def test_second_active_remainder_is_refused(connector, session):
    rivera = client_id(connector, session, "Rivera")
    before = connector.list_client_payers(session, rivera)
    parent = NewClientPayer(payer_id(connector, session, "Jordan Parent"), PayerRank.TERTIARY,
                            Distribution.REMAINDER, None, today())  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        connector.add_client_payer(session, rivera, parent)
    assert caught.value.field_errors.get("distribution")
    assert connector.list_client_payers(session, rivera) == before  # nothing partial stored


def test_new_primary_pushes_the_others_down(connector, session):
    rivera = client_id(connector, session, "Rivera")
    medicaid = NewClientPayer(payer_id(connector, session, "Medicaid"), PayerRank.PRIMARY, Distribution.PER_DIEM,
                              Decimal("100.00"), today())  # fmt: skip
    added = connector.add_client_payer(session, rivera, medicaid)
    assert added.rank is PayerRank.PRIMARY and added.amount == Decimal("100.00")
    assert added.status is PayerStatus.ACTIVE
    payers = connector.list_client_payers(session, rivera)
    assert [(p.payer_name, p.rank) for p in payers if p.status is PayerStatus.ACTIVE] == [
        ("Medicaid", PayerRank.PRIMARY),
        ("Blue Shield", PayerRank.SECONDARY),
        ("Self", PayerRank.TERTIARY),
    ]
    assert [p.payer_name for p in active_remainders(payers)] == ["Self"]


def test_update_changes_only_what_is_given(connector, session):
    okafor = client_id(connector, session, "Okafor")
    (medicaid,) = by_payer(connector.list_client_payers(session, okafor), "Medicaid")
    changed = connector.update_client_payer(session, okafor, medicaid.client_payer_id,
                                            ClientPayerChange(amount=Decimal("175.25")))  # fmt: skip
    assert changed.amount == Decimal("175.25")
    assert (changed.rank, changed.distribution, changed.pay_start) == (
        medicaid.rank, medicaid.distribution, medicaid.pay_start,
    )  # fmt: skip


def test_leaving_active_needs_a_note_and_is_kept_in_history(connector, session):
    okafor = client_id(connector, session, "Okafor")
    (county,) = by_payer(connector.list_client_payers(session, okafor), "County Agency")
    with pytest.raises(ValidationFailed):
        connector.change_client_payer_status(session, okafor, county.client_payer_id,
                                             StatusChangeRequest(PayerStatus.HOLD, today()))  # fmt: skip
    note = "agency funding under review"
    held = connector.change_client_payer_status(session, okafor, county.client_payer_id,
                                                StatusChangeRequest(PayerStatus.HOLD, today(), note=note))  # fmt: skip
    assert held.status is PayerStatus.HOLD
    history = connector.status_history(session, okafor, county.client_payer_id)
    last = history[-1]
    assert (last.old_status, last.new_status, last.note, last.effective_date) == (
        PayerStatus.ACTIVE, PayerStatus.HOLD, note, today(),
    )  # fmt: skip
    assert last.changed_by and last.changed_at.tzinfo is not None
    assert history[0].new_status is PayerStatus.ACTIVE  # the entry made when the payer was added


def test_remainder_payer_cannot_simply_leave_active(connector, session):
    okafor = client_id(connector, session, "Okafor")
    (remainder,) = active_remainders(connector.list_client_payers(session, okafor))
    leave = StatusChangeRequest(PayerStatus.INACTIVE, today(), note="parent pays")
    with pytest.raises(ValidationFailed):
        connector.change_client_payer_status(session, okafor, remainder.client_payer_id, leave)
    assert active_remainders(connector.list_client_payers(session, okafor)) == [remainder]


def test_move_remainder_from_self_to_a_parent(connector, session):
    chen = client_id(connector, session, "Chen")
    (old,) = active_remainders(connector.list_client_payers(session, chen))
    assert old.payer_name == "Self"
    note = "Jordan Parent pays what is left"
    parent = NewClientPayer(payer_id(connector, session, "Jordan Parent"), PayerRank.SECONDARY,
                            Distribution.REMAINDER, None, today())  # fmt: skip
    moved = connector.move_remainder(session, chen, RemainderMove(note=note, effective_date=today(), new_payer=parent))
    for payers in (moved, connector.list_client_payers(session, chen)):
        (remainder,) = active_remainders(payers)
        assert remainder.payer_name == "Jordan Parent"
        (self_payer,) = by_payer(payers, "Self")
        assert self_payer.status is PayerStatus.INACTIVE
    last = connector.status_history(session, chen, old.client_payer_id)[-1]
    assert (last.old_status, last.new_status, last.note) == (PayerStatus.ACTIVE, PayerStatus.INACTIVE, note)


def test_authorizations(connector, session):
    okafor = client_id(connector, session, "Okafor")
    (medicaid,) = by_payer(connector.list_client_payers(session, okafor), "Medicaid")
    (authorization,) = connector.list_authorizations(session, okafor)
    assert authorization.amount == Decimal("1200.00")
    assert authorization.period is AuthorizationPeriod.WEEK
    assert authorization.payer_id == payer_id(connector, session, "Medicaid")
    assert authorization.client_payer_id == medicaid.client_payer_id
    assert authorization.client_id == okafor
    assert connector.list_authorizations(session, client_id(connector, session, "Chen")) == ()


def test_billing_accounts_flag_the_misconfigured_seat(connector, session):
    accounts = {a.user_id: a for a in connector.list_billing_accounts(session)}
    standard = accounts["gt-acme-standard"]
    assert standard.charged and standard.misconfigured and standard.user_type is UserType.STANDARD
    for user_id in ("gt-acme-full", "gt-acme-readonly", "gt-zenith"):
        assert accounts[user_id].user_type is UserType.BILLING and not accounts[user_id].charged
    assert accounts["gt-acme-full"].billing_company is not None
    assert accounts["gt-acme-full"].billing_company.name == "ACME Billing"
    assert accounts["gt-acme-readonly"].permission_group == "Billing - Read only"
