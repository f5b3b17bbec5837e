"""Unit tests of the pure payer rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenant_connectors.base import Distribution, NewClientPayer, PayerRank, PayerStatus
from tenant_connectors.payer_rules import (
    PayerRuleError,
    RankedPayer,
    check_amount,
    check_new_payer,
    check_payer_set,
    check_status_change,
    check_week_start_day,
    format_amount,
    parse_decimal,
    plan_rank_insert,
)

A, OFF, H = PayerStatus.ACTIVE, PayerStatus.INACTIVE, PayerStatus.HOLD
R, PD = Distribution.REMAINDER, Distribution.PER_DIEM


def p(key: str, rank: int, dist: Distribution = PD, status: PayerStatus = A) -> RankedPayer:
    return RankedPayer(key, rank, dist, status)


@pytest.mark.parametrize("text", ["125.50", "0.01", "80", "  3.5 "])
def test_parse_decimal_accepts_plain_decimals(text: str) -> None:
    assert parse_decimal(text) == Decimal(text.strip())


@pytest.mark.parametrize("value", [125.5, 3, None, "abc", "1e3", "NaN", "Infinity", "1.234", "+5", ""])
def test_parse_decimal_refuses_floats_numbers_and_odd_strings(value: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(value)


def test_format_amount_two_places() -> None:
    assert format_amount(Decimal("80")) == "80.00"
    assert format_amount(Decimal("0.5")) == "0.50"


def test_amount_rules() -> None:
    assert check_amount(R, None) == []
    assert check_amount(R, Decimal(1)) == ["a Remainder payer takes no amount"]
    assert check_amount(PD, None)
    assert check_amount(PD, Decimal(0)) == ["must be greater than 0"]
    assert check_amount(PD, Decimal("-1"))
    assert check_amount(Distribution.DIFFERENCE_PERCENT, Decimal("100")) == []
    assert check_amount(Distribution.DIFFERENCE_PERCENT, Decimal("100.01")) == ["a Difference % is at most 100"]
    assert check_amount(Distribution.DIFFERENCE_AMOUNT, Decimal("250.00")) == []


def test_week_start_day_rules() -> None:
    assert check_week_start_day(Distribution.WEEKLY, None)
    assert check_week_start_day(Distribution.WEEKLY, 7)
    assert check_week_start_day(Distribution.WEEKLY, 0) == []
    assert check_week_start_day(Distribution.WEEKLY, 6) == []
    assert check_week_start_day(Distribution.MONTHLY, 2) == ["only Weekly payers have a week start day"]


def test_new_payer_dates() -> None:
    new = NewClientPayer("1", PayerRank.PRIMARY, PD, Decimal(10), date(2026, 2, 1), date(2026, 1, 1))
    assert check_new_payer(new) == {"pay_end": ["pay_end must not be before pay_start"]}


def test_new_primary_pushes_everyone_down_until_a_gap() -> None:
    payers = [p("a", 1), p("b", 2), p("c", 4, R)]
    assert plan_rank_insert(payers, 1) == {"a": 2, "b": 3}
    assert plan_rank_insert(payers, 3) == {}
    assert plan_rank_insert(payers, 4) == {"c": 5}


def test_push_past_quinary_refused() -> None:
    payers = [p(str(r), r) for r in range(1, 6)]
    with pytest.raises(PayerRuleError) as info:
        plan_rank_insert(payers, 2)
    assert "rank" in info.value.fields


def test_inactive_payers_do_not_block_ranks() -> None:
    payers = [p("a", 1, status=OFF), p("b", 2)]
    assert plan_rank_insert(payers, 1) == {}


def test_moving_payer_frees_its_own_rank() -> None:
    payers = [p("a", 1), p("b", 2), p("c", 3)]
    assert plan_rank_insert(payers, 1, moving_key="c") == {"a": 2, "b": 3}


def test_payer_set_needs_exactly_one_active_remainder() -> None:
    assert check_payer_set([]) == {}
    assert check_payer_set([p("a", 1, R)]) == {}
    assert "distribution" in check_payer_set([p("a", 1)])
    assert "distribution" in check_payer_set([p("a", 1, R), p("b", 2, R)])
    assert check_payer_set([p("a", 1, R), p("b", 2, R, OFF)]) == {}
    assert "distribution" in check_payer_set([p("a", 1, R, H)])


def test_payer_set_ranks_unique_and_at_most_five() -> None:
    assert "rank" in check_payer_set([p("a", 1, R), p("b", 1)])
    assert check_payer_set([p("a", 1, R), p("b", 1, status=OFF)]) == {}
    six = [p("r", 1, R)] + [p(str(k), k) for k in range(2, 7)]
    assert "rank" in check_payer_set(six)


def test_status_change_rules() -> None:
    assert check_status_change(A, H, "", is_active_remainder=False) == {
        "note": ["a note is required when a payer leaves Active"]
    }
    assert check_status_change(A, H, "waiting on card", is_active_remainder=False) == {}
    assert "status" in check_status_change(A, OFF, "done", is_active_remainder=True)
    assert "status" in check_status_change(H, H, "x", is_active_remainder=False)
    assert check_status_change(H, A, "", is_active_remainder=False) == {}
