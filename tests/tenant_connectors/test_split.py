"""The split engine: worked examples per distribution, date edges, and hypothesis properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenant_connectors.base import ClientPayer, Distribution, PayerRank, PayerStatus
from tenant_connectors.split import (
    AmbiguousRemainderError,
    Exclusion,
    InvalidInvoiceError,
    Invoice,
    SplitError,
    months_touched,
    split_invoice,
    weeks_touched,
)

D = Decimal
OPEN_START = date(2000, 1, 1)


def payer(
    key: str,
    rank: int,
    distribution: Distribution,
    amount: str | None = None,
    *,
    status: PayerStatus = PayerStatus.ACTIVE,
    pay_start: date = OPEN_START,
    pay_end: date | None = None,
    week_start_day: int | None = None,
) -> ClientPayer:
    """A client payer with sensible defaults (open-ended pay dates, Active)."""
    if distribution is Distribution.WEEKLY and week_start_day is None:
        week_start_day = 0
    return ClientPayer(
        client_payer_id=key, client_id="c1", payer_id=f"p-{key}", payer_name=key.title(),
        rank=PayerRank(rank), distribution=distribution, amount=None if amount is None else D(amount),
        week_start_day=week_start_day, pay_start=pay_start, pay_end=pay_end, status=status,
    )


def invoice(start: date, end: date, total: str, visits: int = 0) -> Invoice:
    return Invoice(service_start=start, service_end=end, visits=visits, total=D(total))


def portions(result) -> dict[str, Decimal]:
    return {p.payer.client_payer_id: p.portion for p in result.portions}


SELF = payer("self", 3, Distribution.REMAINDER)


# --------------------------------------------------------------------------- worked examples


def test_okafor_example_per_diem_monthly_remainder() -> None:
    """The sandbox's Okafor: Medicaid 150/day, County 400/month, Self the rest."""
    payers = [
        SELF,
        payer("medicaid", 1, Distribution.PER_DIEM, "150.00"),
        payer("county", 2, Distribution.MONTHLY, "400.00"),
    ]
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 3), "1000.00"), payers)
    assert [p.payer.client_payer_id for p in result.portions] == ["medicaid", "county", "self"]
    assert portions(result) == {"medicaid": D("450.00"), "county": D("400.00"), "self": D("150.00")}
    assert result.portions[0].explanation == "Per Diem 150.00 × 3 days = 450.00"
    assert result.portions[1].explanation == "Monthly 400.00 × 1 month = 400.00"
    assert result.portions[2].explanation == "Remainder: what is left = 150.00"
    assert result.unassigned == D("0.00")
    assert not any(p.capped for p in result.portions)


def test_cap_at_what_is_left() -> None:
    payers = [payer("medicaid", 1, Distribution.PER_DIEM, "150.00"),
              payer("county", 2, Distribution.MONTHLY, "400.00"), SELF]
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 3), "500.00"), payers)
    assert portions(result) == {"medicaid": D("450.00"), "county": D("50.00"), "self": D("0.00")}
    county = result.portions[1]
    assert county.capped and county.allowance == D("400.00")
    assert county.explanation.endswith("capped at the 50.00 left")


def test_visit() -> None:
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 31), "1000.00", visits=4),
                           [payer("v", 1, Distribution.VISIT, "75.50"), SELF])
    assert portions(result) == {"v": D("302.00"), "self": D("698.00")}
    assert result.portions[0].explanation == "Visit 75.50 × 4 visits = 302.00"


def test_visit_with_no_visits_allows_nothing() -> None:
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "10.00"),
                           [payer("v", 1, Distribution.VISIT, "75.50"), SELF])
    assert portions(result) == {"v": D("0.00"), "self": D("10.00")}


def test_difference_percent_rounds_half_up_on_the_total() -> None:
    # 33.33% of 100.05 = 33.346665 -> 33.35 ; 12.5% of 0.20 = 0.025 -> 0.03 (half-up, not banker's)
    r1 = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "100.05"),
                       [payer("d", 1, Distribution.DIFFERENCE_PERCENT, "33.33"), SELF])
    assert portions(r1) == {"d": D("33.35"), "self": D("66.70")}
    assert r1.portions[0].explanation == "Difference % 33.33% of 100.05 = 33.35"
    r2 = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "0.20"),
                       [payer("d", 1, Distribution.DIFFERENCE_PERCENT, "12.5"), SELF])
    assert portions(r2)["d"] == D("0.03")


def test_difference_percent_is_of_the_total_not_of_what_is_left() -> None:
    payers = [payer("a", 1, Distribution.DIFFERENCE_AMOUNT, "60.00"),
              payer("b", 2, Distribution.DIFFERENCE_PERCENT, "50"), SELF]
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "100.00"), payers)
    assert portions(result) == {"a": D("60.00"), "b": D("40.00"), "self": D("0.00")}
    assert result.portions[1].allowance == D("50.00") and result.portions[1].capped


def test_difference_amount() -> None:
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 9), "80.00"),
                           [payer("d", 1, Distribution.DIFFERENCE_AMOUNT, "25.00"), SELF])
    assert portions(result) == {"d": D("25.00"), "self": D("55.00")}
    assert result.portions[0].explanation == "Difference $ 25.00"


def test_weekly_counts_iso_weeks_touched() -> None:
    # Sun 2026-03-01 .. Mon 2026-03-02 touches two ISO weeks
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 2), "1000.00"),
                           [payer("w", 1, Distribution.WEEKLY, "100.00"), SELF])
    assert portions(result)["w"] == D("200.00")
    assert result.portions[0].explanation == "Weekly 100.00 × 2 weeks = 200.00"


def test_weekly_honours_the_payers_week_start_day() -> None:
    # weeks starting Sunday (6): Sun 1 .. Mon 2 March is one week
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 2), "1000.00"),
                           [payer("w", 1, Distribution.WEEKLY, "100.00", week_start_day=6), SELF])
    assert portions(result)["w"] == D("100.00")


def test_weekly_across_the_year_boundary() -> None:
    # Mon 2025-12-29 .. Sun 2026-01-04 is ISO week 2026-W01: one week
    assert weeks_touched(date(2025, 12, 29), date(2026, 1, 4)) == 1
    assert weeks_touched(date(2025, 12, 28), date(2026, 1, 5)) == 3


def test_monthly_across_month_and_year_boundaries() -> None:
    assert months_touched(date(2026, 1, 31), date(2026, 2, 1)) == 2
    assert months_touched(date(2025, 12, 31), date(2026, 1, 1)) == 2
    assert months_touched(date(2026, 2, 1), date(2026, 2, 28)) == 1


def test_leap_day_is_a_per_diem_day() -> None:
    result = split_invoice(invoice(date(2028, 2, 27), date(2028, 3, 1), "1000.00"),
                           [payer("p", 1, Distribution.PER_DIEM, "10.00"), SELF])
    assert portions(result)["p"] == D("40.00")  # 27, 28, 29 Feb and 1 Mar


def test_pay_dates_partly_outside_the_service_period_count_only_covered_days() -> None:
    payers = [
        payer("p", 1, Distribution.PER_DIEM, "10.00", pay_start=date(2026, 3, 5), pay_end=date(2026, 3, 7)),
        payer("m", 2, Distribution.MONTHLY, "100.00", pay_end=date(2026, 3, 31)),
        SELF,
    ]
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 4, 30), "1000.00"), payers)
    assert portions(result) == {"p": D("30.00"), "m": D("100.00"), "self": D("870.00")}


def test_inactive_and_non_covering_payers_are_excluded_with_reasons() -> None:
    payers = [
        payer("hold", 1, Distribution.PER_DIEM, "10.00", status=PayerStatus.HOLD),
        payer("old", 2, Distribution.PER_DIEM, "10.00", pay_end=date(2026, 2, 28)),
        payer("later", 3, Distribution.PER_DIEM, "10.00", pay_start=date(2026, 3, 2)),
        payer("inactive_self", 4, Distribution.REMAINDER, status=PayerStatus.INACTIVE),
        payer("self", 5, Distribution.REMAINDER),
    ]
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "50.00"), payers)
    assert portions(result) == {"self": D("50.00")}
    reasons = {e.payer.client_payer_id: e.reason for e in result.excluded}
    assert reasons == {"hold": Exclusion.NOT_ACTIVE, "old": Exclusion.NOT_COVERING,
                       "later": Exclusion.NOT_COVERING, "inactive_self": Exclusion.NOT_ACTIVE}
    assert result.excluded[0].explanation == "Hold: only Active payers are billed"


def test_remainder_goes_last_whatever_its_rank() -> None:
    payers = [payer("self", 1, Distribution.REMAINDER), payer("ins", 2, Distribution.DIFFERENCE_AMOUNT, "30.00")]
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "100.00"), payers)
    assert [p.payer.client_payer_id for p in result.portions] == ["ins", "self"]
    assert portions(result) == {"ins": D("30.00"), "self": D("70.00")}


def test_no_remainder_reports_the_leftover_as_unassigned() -> None:
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "100.00"),
                           [payer("ins", 1, Distribution.DIFFERENCE_AMOUNT, "30.00")])
    assert result.remainder is None
    assert result.unassigned == D("70.00")
    assert result.assigned + result.unassigned == D("100.00")


def test_two_active_remainders_are_an_error() -> None:
    with pytest.raises(AmbiguousRemainderError):
        split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "1.00"),
                      [payer("a", 1, Distribution.REMAINDER), payer("b", 2, Distribution.REMAINDER)])


def test_missing_or_negative_amount_allows_nothing() -> None:
    payers = [payer("none", 1, Distribution.PER_DIEM), payer("neg", 2, Distribution.VISIT, "-5"), SELF]
    result = split_invoice(invoice(date(2026, 3, 1), date(2026, 3, 1), "10.00", visits=2), payers)
    assert portions(result) == {"none": D("0.00"), "neg": D("0.00"), "self": D("10.00")}
    assert "no valid amount" in result.portions[0].explanation


def test_total_is_normalised_to_cents() -> None:
    inv = invoice(date(2026, 3, 1), date(2026, 3, 1), "5")
    assert str(inv.total) == "5.00"
    assert str(invoice(date(2026, 3, 1), date(2026, 3, 1), "-0").total) == "0.00"
    assert str(split_invoice(inv, [SELF]).portions[0].portion) == "5.00"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"total": D("10.005")}, "total"),
        ({"total": D("-0.01")}, "total"),
        ({"total": D("NaN")}, "total"),
        ({"total": D("Infinity")}, "total"),
        ({"visits": -1}, "visits"),
        ({"visits": True}, "visits"),
        ({"service_end": date(2026, 2, 28)}, "service_end"),
    ],
)
def test_invalid_invoices_are_refused(kwargs: dict, field: str) -> None:
    base = {"service_start": date(2026, 3, 1), "service_end": date(2026, 3, 1), "visits": 0, "total": D("1.00")}
    with pytest.raises(InvalidInvoiceError) as caught:
        Invoice(**{**base, **kwargs})
    assert caught.value.field == field
    assert isinstance(caught.value, SplitError) and isinstance(caught.value, ValueError)


# --------------------------------------------------------------------------- properties

DAY0 = date(2023, 1, 1)
money = st.integers(min_value=0, max_value=5_000_000).map(lambda c: Decimal(c).scaleb(-2))
some_day = st.integers(min_value=0, max_value=4 * 366).map(lambda n: DAY0 + timedelta(days=n))


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    start = draw(some_day)
    end = start + timedelta(days=draw(st.integers(min_value=0, max_value=120)))
    return Invoice(start, end, draw(st.integers(min_value=0, max_value=60)), draw(money))


@st.composite
def client_payers(draw: st.DrawFn) -> list[ClientPayer]:
    kinds = [d for d in Distribution if d is not Distribution.REMAINDER]
    ranks = draw(st.permutations(list(PayerRank)))
    count = draw(st.integers(min_value=0, max_value=5))
    payers = []
    for i in range(count):
        distribution = draw(st.sampled_from(kinds))
        if distribution is Distribution.DIFFERENCE_PERCENT:
            amount = draw(st.integers(min_value=1, max_value=10_000).map(lambda c: Decimal(c).scaleb(-2)))
        else:
            amount = draw(st.integers(min_value=1, max_value=200_000).map(lambda c: Decimal(c).scaleb(-2)))
        pay_start = draw(some_day)
        pay_end = draw(st.none() | some_day.filter(lambda d, s=pay_start: d >= s))
        payers.append(ClientPayer(
            client_payer_id=f"cp{i}", client_id="c", payer_id=f"p{i}", payer_name=f"P{i}", rank=ranks[i],
            distribution=distribution, amount=amount,
            week_start_day=draw(st.integers(0, 6)) if distribution is Distribution.WEEKLY else None,
            pay_start=pay_start, pay_end=pay_end,
            status=draw(st.sampled_from(list(PayerStatus))),
        ))
    if draw(st.booleans()):
        payers.append(payer("rem", 5, Distribution.REMAINDER, pay_start=draw(some_day) if draw(st.booleans())
                            else OPEN_START))
    return draw(st.permutations(payers))


@settings(max_examples=400, deadline=None)
@given(invoices(), client_payers())
def test_split_properties(inv: Invoice, payers: list[ClientPayer]) -> None:
    result = split_invoice(inv, payers)
    lines = result.portions
    # portions (and anything unassigned) sum to the total, exactly and in cents
    assert result.assigned + result.unassigned == inv.total
    for line in lines:
        assert line.portion == line.portion.quantize(Decimal("0.01"))
        assert line.portion >= 0
        if line.allowance is not None:
            assert line.portion <= line.allowance
            assert line.capped == (line.portion < line.allowance)
    assert result.unassigned >= 0
    # every payer is accounted for exactly once, and only Active, covering payers take part
    assert len(lines) + len(result.excluded) == len(payers)
    assert all(line.payer.status is PayerStatus.ACTIVE for line in lines)
    # order: ranked payers by rank, the Remainder last; a later payer gets something only if
    # every earlier one got its full allowance
    ranked = [line for line in lines if not line.is_remainder]
    assert [int(line.payer.rank) for line in ranked] == sorted(int(line.payer.rank) for line in ranked)
    for i, line in enumerate(ranked):
        if line.portion > 0:
            assert all(earlier.portion == earlier.allowance for earlier in ranked[:i])
    # the Remainder takes exactly what is left; without one the leftover is unassigned
    left = inv.total - sum((line.portion for line in ranked), Decimal(0))
    if result.remainder is not None:
        assert lines[-1] is result.remainder
        assert result.remainder.portion == left and result.unassigned == 0
    else:
        assert result.unassigned == left


@settings(max_examples=300, deadline=None)
@given(some_day, st.integers(min_value=0, max_value=800), st.integers(min_value=0, max_value=6))
def test_weeks_and_months_match_a_day_by_day_count(start: date, length: int, week_start_day: int) -> None:
    end = start + timedelta(days=length)
    days = [start + timedelta(days=n) for n in range(length + 1)]
    shifted_weeks = {(d - timedelta(days=week_start_day)).isocalendar()[:2] for d in days}
    assert weeks_touched(start, end, week_start_day) == len(shifted_weeks)
    assert weeks_touched(start, end) == len({d.isocalendar()[:2] for d in days})
    assert months_touched(start, end) == len({(d.year, d.month) for d in days})
