"""The split page's pieces that need no tenant: the invoice form's validation and the bar geometry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.split.forms import SplitForm
from hub.split.service import BAR_UNITS, UNASSIGNED_FILL, bar_segments
from tenant_connectors.base import ClientPayer, Distribution, PayerRank, PayerStatus
from tenant_connectors.split import Invoice, split_invoice


@pytest.fixture
def form_app() -> Flask:
    """A bare Flask app: the form needs a request context, not the hub's database."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    return app


def _form(app: Flask, **data: str) -> tuple[SplitForm, Invoice | None]:
    fields = {"service_start": "2026-03-01", "service_end": "2026-03-03", "visits": "2", "total": "1000.00", **data}
    with app.test_request_context("/", method="POST", data=fields):
        form = SplitForm()
        invoice = form.invoice() if form.validate() else None
        return form, invoice


def test_valid_input_gives_an_invoice(form_app: Flask) -> None:
    form, invoice = _form(form_app)
    assert form.errors == {}
    assert invoice == Invoice(date(2026, 3, 1), date(2026, 3, 3), 2, Decimal("1000.00"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"total": "12.345"}, "total", "dollars and cents"),
        ({"total": "1e3"}, "total", "dollars and cents"),
        ({"total": "abc"}, "total", "dollars and cents"),
        ({"total": "-5.00"}, "total", "must not be negative"),
        ({"total": "1000000000"}, "total", "less than"),
        ({"total": ""}, "total", "Enter the invoice total"),
        ({"visits": "-1"}, "visits", "whole number from 0"),
        ({"visits": "2.5"}, "visits", ""),
        ({"service_start": "2026-02-30"}, "service_start", ""),
        ({"service_end": ""}, "service_end", "last day of service"),
        ({"service_end": "2026-02-28"}, "service_end", "must not be before the service start"),
    ],
)
def test_bad_input_is_reported_at_its_field(form_app: Flask, data: dict, field: str, message: str) -> None:
    form, invoice = _form(form_app, **data)
    assert invoice is None
    assert list(form.errors) == [field]
    assert message in " ".join(form.errors[field])


def _payer(key: str, rank: int, distribution: Distribution, amount: str | None) -> ClientPayer:
    return ClientPayer(key, "c", key, key.title(), PayerRank(rank), distribution,
                       None if amount is None else Decimal(amount), None, date(2020, 1, 1), None, PayerStatus.ACTIVE)


def test_bar_segments_follow_billing_order_and_skip_zero_shares() -> None:
    payers = [_payer("med", 1, Distribution.PER_DIEM, "150.00"), _payer("cty", 2, Distribution.MONTHLY, "400.00"),
              _payer("self", 3, Distribution.REMAINDER, None)]
    result = split_invoice(Invoice(date(2026, 3, 1), date(2026, 3, 3), 0, Decimal("850.00")), payers)
    segments = bar_segments(result)
    assert [(s.label, s.x, s.width, s.percent) for s in segments] == [
        ("Med", 0, 529, "52.9"), ("Cty", 529, 471, "47.1")]  # Self takes 0.00: no rectangle


def test_unassigned_share_is_drawn_and_zero_total_draws_nothing() -> None:
    payers = [_payer("ins", 1, Distribution.DIFFERENCE_AMOUNT, "25.00")]
    segments = bar_segments(split_invoice(Invoice(date(2026, 3, 1), date(2026, 3, 1), 0, Decimal("100.00")), payers))
    assert [(s.label, s.width, s.fill) for s in segments][-1] == ("Unassigned", 750, UNASSIGNED_FILL)
    assert bar_segments(split_invoice(Invoice(date(2026, 3, 1), date(2026, 3, 1), 0, Decimal("0.00")), payers)) == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=6))
def test_bar_segments_tile_the_bar_exactly(amounts: list[int]) -> None:
    payers = [_payer(f"p{i}", i + 1, Distribution.DIFFERENCE_AMOUNT, str(Decimal(c).scaleb(-2)))
              for i, c in enumerate(amounts[:-1])]
    payers.append(_payer("self", 5, Distribution.REMAINDER, None))
    total = Decimal(sum(amounts)).scaleb(-2)
    segments = bar_segments(split_invoice(Invoice(date(2026, 3, 1), date(2026, 3, 1), 0, total), payers))
    if total == 0:
        assert segments == ()
        return
    edge = 0
    for segment in segments:
        assert segment.x == edge and segment.width >= 0
        edge += segment.width
    assert edge == BAR_UNITS
