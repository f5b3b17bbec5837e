"""Pure payer rules shared by the sandbox tenant and the hub (no Flask, no database).

Every function takes plain values or contract dataclasses and returns plain values; rule breaks
are reported as a mapping of field name to messages (the shape of a 422 ``fields`` object), or
raised as :class:`PayerRuleError` carrying that mapping.

Rank push-down: a payer inserted at a taken rank pushes the payer there down one rank, and that
one pushes the next, until a free rank absorbs the cascade ("a new Primary makes the old Primary
Secondary, and so on down the ranks").  Inactive payers keep their rank number but neither count
nor block ranks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from tenant_connectors.base import Distribution, NewClientPayer, PayerRank, PayerStatus

#: most ranked (non-inactive) payers sharing an invoice
MAX_RANKED_PAYERS = len(PayerRank)
#: money and percentages carry at most this many decimal places
MAX_DECIMAL_PLACES = 2
#: upper bound of any amount, keeps stored values sane
MAX_AMOUNT = Decimal("1000000000")
HUNDRED = Decimal(100)

FieldErrors = dict[str, list[str]]


class PayerRuleError(ValueError):
    """A payer rule is broken; ``fields`` maps field names to messages."""

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self.fields: FieldErrors = {k: list(v) for k, v in fields.items()}
        first = next(iter(self.fields.items()), ("payer", ["invalid"]))
        super().__init__(f"{first[0]}: {first[1][0]}")


@dataclass(frozen=True, slots=True)
class RankedPayer:
    """What the rank and Remainder rules need to know about one client payer."""

    key: str
    rank: int
    distribution: Distribution
    status: PayerStatus

    @property
    def counts(self) -> bool:
        """Non-inactive payers hold a rank and count towards the five."""
        return self.status is not PayerStatus.INACTIVE

    @property
    def is_active_remainder(self) -> bool:
        """The client's active Remainder payer."""
        return self.distribution is Distribution.REMAINDER and self.status is PayerStatus.ACTIVE


def _add(errors: FieldErrors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def parse_decimal(value: object) -> Decimal:
    """Parse a decimal *string* exactly; floats and numbers are refused (money is never a float)."""
    if not isinstance(value, str):
        raise ValueError('must be a decimal string such as "125.50"')
    text = value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError('must be a decimal string such as "125.50"') from exc
    if not number.is_finite() or text.lower().startswith(("+", "nan", "inf")) or "e" in text.lower():
        raise ValueError('must be a plain decimal string such as "125.50"')
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        raise ValueError(f"at most {MAX_DECIMAL_PLACES} decimal places")
    return number


def format_amount(amount: Decimal) -> str:
    """Canonical string form of an amount (two decimal places)."""
    return f"{amount.quantize(Decimal('0.01')):f}"


def check_amount(distribution: Distribution, amount: Decimal | None) -> list[str]:
    """Messages for ``amount`` under ``distribution`` (empty when valid)."""
    if distribution is Distribution.REMAINDER:
        return ["a Remainder payer takes no amount"] if amount is not None else []
    if amount is None:
        return [f"an amount is required for {distribution.label}"]
    if amount <= 0:
        return ["must be greater than 0"]
    if amount >= MAX_AMOUNT:
        return [f"must be less than {MAX_AMOUNT}"]
    if distribution is Distribution.DIFFERENCE_PERCENT and amount > HUNDRED:
        return ["a Difference % is at most 100"]
    return []


def check_week_start_day(distribution: Distribution, week_start_day: int | None) -> list[str]:
    """Weekly needs a week start day 0 (Monday)..6; other distributions take none."""
    if distribution is Distribution.WEEKLY:
        if week_start_day is None:
            return ["Weekly needs a week start day (0 = Monday .. 6 = Sunday)"]
        if isinstance(week_start_day, bool) or not 0 <= week_start_day <= 6:
            return ["must be 0 (Monday) .. 6 (Sunday)"]
        return []
    if week_start_day is not None:
        return ["only Weekly payers have a week start day"]
    return []


def check_dates(pay_start: date, pay_end: date | None) -> list[str]:
    """``pay_end`` must not be before ``pay_start``."""
    if pay_end is not None and pay_end < pay_start:
        return ["pay_end must not be before pay_start"]
    return []


def check_terms(
    distribution: Distribution,
    amount: Decimal | None,
    week_start_day: int | None,
    pay_start: date,
    pay_end: date | None,
) -> FieldErrors:
    """Field errors of a payer's own terms (amount, week start day, dates)."""
    errors: FieldErrors = {}
    for message in check_amount(distribution, amount):
        _add(errors, "amount", message)
    for message in check_week_start_day(distribution, week_start_day):
        _add(errors, "week_start_day", message)
    for message in check_dates(pay_start, pay_end):
        _add(errors, "pay_end", message)
    return errors


def check_new_payer(new: NewClientPayer) -> FieldErrors:
    """Field errors of a :class:`NewClientPayer` on its own (not against the client's payers)."""
    return check_terms(new.distribution, new.amount, new.week_start_day, new.pay_start, new.pay_end)


def plan_rank_insert(payers: Iterable[RankedPayer], rank: int, *, moving_key: str | None = None) -> dict[str, int]:
    """New ranks of the payers pushed down when a payer takes ``rank``.

    ``moving_key`` names a payer that is itself being re-ranked (its old rank is freed first).
    Raises :class:`PayerRuleError` on ``rank`` when a payer would fall past Quinary.
    """
    if not 1 <= rank <= MAX_RANKED_PAYERS:
        raise PayerRuleError({"rank": [f"rank must be 1..{MAX_RANKED_PAYERS}"]})
    by_rank = {p.rank: p for p in payers if p.counts and p.key != moving_key}
    moves: dict[str, int] = {}
    current = rank
    while current in by_rank:
        pushed = by_rank[current]
        if current + 1 > MAX_RANKED_PAYERS:
            raise PayerRuleError({"rank": [f"the {PayerRank(current).label} payer would be pushed past Quinary"]})
        moves[pushed.key] = current + 1
        current += 1
    return moves


def apply_moves(payers: Iterable[RankedPayer], moves: Mapping[str, int]) -> list[RankedPayer]:
    """``payers`` with the rank changes of :func:`plan_rank_insert` applied."""
    return [RankedPayer(p.key, moves.get(p.key, p.rank), p.distribution, p.status) for p in payers]


def check_payer_set(payers: Sequence[RankedPayer]) -> FieldErrors:
    """Invariants of a client's whole payer set.

    At most five non-inactive payers with unique ranks 1..5, and - once the client has any payer -
    exactly one active Remainder.
    """
    errors: FieldErrors = {}
    ranked = [p for p in payers if p.counts]
    if len(ranked) > MAX_RANKED_PAYERS:
        _add(errors, "rank", f"at most {MAX_RANKED_PAYERS} payers that are not inactive")
    ranks = [p.rank for p in ranked]
    if len(set(ranks)) != len(ranks):
        _add(errors, "rank", "ranks must be unique among payers that are not inactive")
    if any(not 1 <= r <= MAX_RANKED_PAYERS for r in ranks):
        _add(errors, "rank", f"rank must be 1..{MAX_RANKED_PAYERS}")
    remainders = [p for p in payers if p.is_active_remainder]
    if payers and len(remainders) == 0:
        _add(errors, "distribution", "the client must keep exactly one active Remainder payer")
    if len(remainders) > 1:
        _add(
            errors,
            "distribution",
            "the client already has an active Remainder payer; move it with POST /remainder",
        )
    return errors


def check_status_change(old: PayerStatus, new: PayerStatus, note: str, *, is_active_remainder: bool) -> FieldErrors:
    """Errors of a status change request (the Remainder payer cannot leave Active this way)."""
    errors: FieldErrors = {}
    if old is new:
        _add(errors, "status", f"the payer is already {new.value}")
    if old is PayerStatus.ACTIVE and new is not PayerStatus.ACTIVE:
        if not note.strip():
            _add(errors, "note", "a note is required when a payer leaves Active")
        if is_active_remainder:
            _add(
                errors,
                "status",
                "the Remainder payer cannot leave Active; make another payer the Remainder first",
            )
    return errors
