"""Split an invoice among a client's payers (the pure rule engine shared by the hub and the sandbox).

No Flask, no database: :func:`split_invoice` takes an :class:`Invoice` and the client's contract
:class:`~tenant_connectors.base.ClientPayer` objects and returns a :class:`SplitResult`.

Rules, in the words of DESIGN.md ("payers in rank order each take what their distribution allows,
never more than what is left; the Remainder payer takes the rest"), made precise:

* **Who takes part.**  Only *Active* payers whose pay dates (``pay_start`` .. ``pay_end``, an open
  end meaning "until further notice") overlap the service period (both ends inclusive).  Every
  other payer is listed in :attr:`SplitResult.excluded` with the reason, so a preview shows why
  a payer on Hold or with expired pay dates got nothing.
* **Order.**  Non-Remainder payers in rank order (Primary first; ties, which valid data does not
  have, broken by ``client_payer_id`` so the result is deterministic); the Remainder payer comes
  last whatever its rank number, because by definition it takes what the others leave.
* **Allowances** (what a payer's distribution allows before capping).  Units are counted on the
  *covered* part of the service period - the days that lie both in the service period and in the
  payer's pay dates - because a payer does not pay for days it does not cover:

  - Per Diem: amount x calendar days covered.
  - Weekly: amount x weeks touched by the covered days.  Weeks begin on the payer's
    ``week_start_day`` (0 = Monday .. 6 = Sunday, the field the vendor keeps for Weekly payers);
    with Monday - or no day on record - these are exactly ISO weeks.  A billing professional sets
    that day to match the payer's contract, so ignoring it would bill the wrong weeks.
  - Monthly: amount x calendar months touched by the covered days.
  - Visit: amount x visits on the invoice.  The invoice carries a count, not visit dates, so a
    Visit payer that covers any part of the period is allowed every visit (the cap still applies).
  - Difference %: invoice total x percent / 100, rounded half-up to cents ("a percentage of the
    invoice total", DESIGN.md - of the total, not of what is left).
  - Difference $: the amount, once per invoice.
  - A non-Remainder payer without an amount (invalid data) is allowed 0.00 and says so.

  Touched weeks and months are charged in full (a Monthly payer covering 3 days of June pays the
  June amount): that is how monthly and weekly rates are billed, and the cap keeps it honest.
* **Capping.**  Each payer's portion is ``min(allowance, left)``; ``capped`` is true when the
  allowance was more than what was left.  No portion is ever negative or above its allowance.
* **Remainder.**  The one active, covering Remainder payer takes exactly what is left (possibly
  0.00).  With none, the leftover is reported as :attr:`SplitResult.unassigned` instead of
  vanishing; two or more active Remainder payers are a data error
  (:class:`AmbiguousRemainderError`) because there is no right answer to "who takes the rest".
* **Money.**  Decimal cents throughout: every allowance and portion is quantized to 0.01 with
  ROUND_HALF_UP; ``sum(portions) + unassigned == total`` exactly.  Totals that are negative, not
  finite or carry fractions of a cent are refused with :class:`InvalidInvoiceError`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tenant_connectors.base import ClientPayer, Distribution, PayerStatus

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class SplitError(ValueError):
    """Base of the split engine's errors; ``field`` names the invoice field at fault, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInvoiceError(SplitError):
    """The invoice itself is unusable (negative total, fractions of a cent, end before start...)."""


class AmbiguousRemainderError(SplitError):
    """More than one active Remainder payer covers the invoice: nobody can say who takes the rest."""


def cents(value: Decimal) -> Decimal:
    """``value`` rounded half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Invoice:
    """What the split needs to know about an invoice; validated on construction."""

    service_start: date
    service_end: date
    visits: int
    total: Decimal

    def __post_init__(self) -> None:
        if self.service_end < self.service_start:
            raise InvalidInvoiceError("the service end must not be before the service start", field="service_end")
        if isinstance(self.visits, bool) or not isinstance(self.visits, int) or self.visits < 0:
            raise InvalidInvoiceError("visits must be a whole number of 0 or more", field="visits")
        if not isinstance(self.total, Decimal) or not self.total.is_finite():
            raise InvalidInvoiceError("the total must be a finite decimal amount", field="total")
        if self.total < 0:
            raise InvalidInvoiceError("the total must not be negative", field="total")
        if self.total != self.total.quantize(CENT, rounding=ROUND_HALF_UP):
            raise InvalidInvoiceError("the total must be in whole cents", field="total")
        # one canonical form ("5" -> "5.00", "-0" -> "0.00") so every printed amount has cents
        object.__setattr__(self, "total", cents(self.total) + ZERO)

    @property
    def days(self) -> int:
        """Calendar days of the service period, both ends included."""
        return (self.service_end - self.service_start).days + 1


class Exclusion(enum.StrEnum):
    """Why a payer takes no part in a split."""

    NOT_ACTIVE = "not_active"
    NOT_COVERING = "not_covering"


@dataclass(frozen=True, slots=True)
class ExcludedPayer:
    """A client payer left out of the split, with the reason."""

    payer: ClientPayer
    reason: Exclusion

    @property
    def explanation(self) -> str:
        """Human reason ("Hold: only Active payers are billed")."""
        if self.reason is Exclusion.NOT_ACTIVE:
            return f"{self.payer.status.value.title()}: only Active payers are billed"
        return "pay dates do not cover the service period"


@dataclass(frozen=True, slots=True)
class PayerPortion:
    """One participating payer's share of an invoice."""

    payer: ClientPayer
    #: what the distribution allows before capping; None for the Remainder payer
    allowance: Decimal | None
    portion: Decimal
    #: true when the allowance was more than what was left
    capped: bool
    #: how the allowance (and cap) came about, e.g. "Per Diem 150.00 × 3 days = 450.00"
    explanation: str

    @property
    def is_remainder(self) -> bool:
        """True for the Remainder payer's line."""
        return self.allowance is None


@dataclass(frozen=True, slots=True)
class SplitResult:
    """The outcome of :func:`split_invoice`: portions in billing order, exclusions, leftovers."""

    invoice: Invoice
    portions: tuple[PayerPortion, ...]
    excluded: tuple[ExcludedPayer, ...]
    #: what no payer took (only non-zero when no active Remainder payer covers the invoice)
    unassigned: Decimal

    @property
    def assigned(self) -> Decimal:
        """Sum of the payers' portions."""
        return sum((p.portion for p in self.portions), ZERO)

    @property
    def remainder(self) -> PayerPortion | None:
        """The Remainder payer's line, if one took part."""
        return next((p for p in self.portions if p.is_remainder), None)


# --------------------------------------------------------------------------- coverage and units


def covered_period(payer: ClientPayer, invoice: Invoice) -> tuple[date, date] | None:
    """The days of the service period inside the payer's pay dates, or None when they do not meet."""
    start = max(invoice.service_start, payer.pay_start)
    end = invoice.service_end if payer.pay_end is None else min(invoice.service_end, payer.pay_end)
    return (start, end) if start <= end else None


def days_in(start: date, end: date) -> int:
    """Calendar days from ``start`` to ``end``, both included."""
    return (end - start).days + 1


def weeks_touched(start: date, end: date, week_start_day: int = 0) -> int:
    """Weeks beginning on ``week_start_day`` (0 = Monday) that contain a day of ``start``..``end``.

    Computed arithmetically: ``toordinal() - 1`` is 0 on a Monday, so shifting by the week start
    day and dividing by seven numbers the weeks.  Monday gives ISO weeks.
    """

    def week_number(day: date) -> int:
        return (day.toordinal() - 1 - week_start_day) // 7

    return week_number(end) - week_number(start) + 1


def months_touched(start: date, end: date) -> int:
    """Calendar months that contain a day of ``start``..``end``."""
    return (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _money(value: Decimal) -> str:
    return f"{cents(value):f}"


def allowance_for(payer: ClientPayer, invoice: Invoice, period: tuple[date, date]) -> tuple[Decimal, str]:
    """What ``payer``'s distribution allows on ``invoice`` over its covered ``period``, and why."""
    label = payer.distribution.label
    if payer.amount is None or not payer.amount.is_finite() or payer.amount < 0:
        # invalid data from the tenant must not produce a negative or undefined portion
        return ZERO, f"{label}: no valid amount on file, allows 0.00"
    amount = payer.amount
    if payer.distribution is Distribution.DIFFERENCE_PERCENT:
        value = cents(invoice.total * amount / HUNDRED)
        return value, f"{label} {amount:f}% of {_money(invoice.total)} = {_money(value)}"
    if payer.distribution is Distribution.DIFFERENCE_AMOUNT:
        value = cents(amount)
        return value, f"{label} {_money(value)}"
    units: int
    unit: str
    if payer.distribution is Distribution.PER_DIEM:
        units, unit = days_in(*period), "day"
    elif payer.distribution is Distribution.VISIT:
        units, unit = invoice.visits, "visit"
    elif payer.distribution is Distribution.WEEKLY:
        units, unit = weeks_touched(*period, payer.week_start_day or 0), "week"
    elif payer.distribution is Distribution.MONTHLY:
        units, unit = months_touched(*period), "month"
    else:  # pragma: no cover - Remainder never reaches here; a new Distribution must be handled
        raise SplitError(f"no allowance rule for {payer.distribution}")
    value = cents(amount * units)
    return value, f"{label} {_money(amount)} × {_plural(units, unit)} = {_money(value)}"


# --------------------------------------------------------------------------- the split


def _billing_order(payers: Iterable[ClientPayer]) -> list[ClientPayer]:
    return sorted(payers, key=lambda p: (int(p.rank), p.client_payer_id))


def split_invoice(invoice: Invoice, payers: Iterable[ClientPayer]) -> SplitResult:
    """Divide ``invoice`` among ``payers`` (a client's payers, any status, any order).

    Raises :class:`AmbiguousRemainderError` when more than one active Remainder payer covers the
    service period.  See the module docstring for the rules.
    """
    taking: list[tuple[ClientPayer, tuple[date, date]]] = []
    excluded: list[ExcludedPayer] = []
    for payer in _billing_order(payers):
        period = covered_period(payer, invoice)
        if payer.status is not PayerStatus.ACTIVE:
            excluded.append(ExcludedPayer(payer, Exclusion.NOT_ACTIVE))
        elif period is None:
            excluded.append(ExcludedPayer(payer, Exclusion.NOT_COVERING))
        else:
            taking.append((payer, period))

    remainders = [p for p, _ in taking if p.distribution is Distribution.REMAINDER]
    if len(remainders) > 1:
        names = ", ".join(p.payer_name for p in remainders)
        raise AmbiguousRemainderError(f"more than one active Remainder payer ({names}); keep exactly one")

    left: Decimal = invoice.total
    portions: list[PayerPortion] = []
    for payer, period in taking:
        if payer.distribution is Distribution.REMAINDER:
            continue
        allowance, why = allowance_for(payer, invoice, period)
        portion = min(allowance, left)
        capped = allowance > left
        if capped:
            why = f"{why}; capped at the {_money(left)} left"
        portions.append(PayerPortion(payer, allowance, portion, capped, why))
        left -= portion

    unassigned = left
    if remainders:
        portions.append(PayerPortion(remainders[0], None, left, False, f"Remainder: what is left = {_money(left)}"))
        unassigned = ZERO
    return SplitResult(invoice, tuple(portions), tuple(excluded), cents(unassigned))
