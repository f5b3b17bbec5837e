"""Request bodies to contract dataclasses, collecting field errors for a 422 reply.

Field-level problems (wrong type, unknown enum value, bad date) are ``validation_failed`` with
``fields``; a body that is not a JSON object at all is ``bad_request``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from tenant_connectors.base import (
    Distribution,
    NewClientPayer,
    PayerRank,
    PayerStatus,
    RemainderMove,
    StatusChangeRequest,
)
from tenant_connectors.payer_rules import FieldErrors, parse_decimal
from tenant_connectors.sandbox.errors import validation_failed

E = TypeVar("E", bound=Enum)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_NOTE = 2000


class Fields:
    """Reads typed values out of a JSON object, remembering every problem by field name."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.errors: FieldErrors = {}

    def fail(self, name: str, message: str) -> None:
        """Record a problem with ``name``."""
        self.errors.setdefault(self.prefix + name, []).append(message)

    def has(self, name: str) -> bool:
        """Whether the key is present and not null."""
        return self.data.get(name) is not None

    def text(self, name: str, *, required: bool = True, max_length: int = 200) -> str | None:
        """A string value."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return None
        if len(value) > max_length:
            self.fail(name, f"at most {max_length} characters")
            return None
        return value

    def enum(self, name: str, enum_type: type[E], *, required: bool = True) -> E | None:
        """An enum given by its value."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        try:
            return enum_type(value)
        except (ValueError, TypeError):
            allowed = ", ".join(str(m.value) for m in enum_type)
            self.fail(name, f"must be one of {allowed}")
            return None

    def rank(self, name: str = "rank", *, required: bool = True) -> PayerRank | None:
        """A rank 1..5."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= len(PayerRank):
            self.fail(name, "must be an integer 1 (Primary) .. 5 (Quinary)")
            return None
        return PayerRank(value)

    def integer(self, name: str) -> int | None:
        """An optional integer."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be an integer")
            return None
        if not -(2**31) <= value < 2**31:
            self.fail(name, "out of range")
            return None
        return value

    def day(self, name: str, *, required: bool = True) -> date | None:
        """A ``YYYY-MM-DD`` date."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str) or not _DATE.match(value):
            self.fail(name, "must be a date YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, "must be a valid date")
            return None

    def amount(self, name: str) -> Decimal | None:
        """An optional exact decimal string."""
        value = self.data.get(name)
        if value is None:
            return None
        try:
            return parse_decimal(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

    def raise_if_failed(self) -> None:
        """422 with every problem found so far."""
        if self.errors:
            raise validation_failed(self.errors)


def parse_new_payer(data: object, prefix: str = "") -> tuple[NewClientPayer | None, FieldErrors]:
    """A :class:`NewClientPayer` from JSON, or the field errors."""
    if not isinstance(data, dict):
        return None, {prefix.rstrip(".") or "body": ["must be an object"]}
    f = Fields(data, prefix)
    payer_id = f.text("payer_id", max_length=40)
    rank = f.rank()
    distribution = f.enum("distribution", Distribution)
    amount = f.amount("amount")
    pay_start = f.day("pay_start")
    pay_end = f.day("pay_end", required=False)
    week_start_day = f.integer("week_start_day")
    if f.errors or payer_id is None or rank is None or distribution is None or pay_start is None:
        return None, f.errors
    return NewClientPayer(payer_id, rank, distribution, amount, pay_start, pay_end, week_start_day), {}


def parse_status_request(data: dict[str, Any]) -> StatusChangeRequest:
    """A :class:`StatusChangeRequest` from JSON (422 on problems)."""
    f = Fields(data)
    status = f.enum("status", PayerStatus)
    effective = f.day("effective_date")
    note = f.text("note", required=False, max_length=MAX_NOTE) or ""
    f.raise_if_failed()
    assert status is not None and effective is not None
    return StatusChangeRequest(status, effective, note)


def parse_remainder_move(data: dict[str, Any]) -> RemainderMove:
    """A :class:`RemainderMove` from JSON (422 on problems)."""
    f = Fields(data)
    note = f.text("note", max_length=MAX_NOTE)
    effective = f.day("effective_date")
    client_payer_id = f.text("client_payer_id", required=False, max_length=40)
    new_payer = None
    if data.get("new_payer") is not None:
        new_payer, errors = parse_new_payer(data["new_payer"], "new_payer.")
        for name, messages in errors.items():
            f.errors.setdefault(name, []).extend(messages)
    previous_status = f.enum("previous_status", PayerStatus, required=False) or PayerStatus.INACTIVE
    previous_distribution = f.enum("previous_distribution", Distribution, required=False)
    previous_amount = f.amount("previous_amount")
    if (client_payer_id is None) == (data.get("new_payer") is None):
        f.fail("client_payer_id", "give exactly one of client_payer_id and new_payer")
    if note is not None and not note.strip():
        f.fail("note", "a note is required")
    f.raise_if_failed()
    assert note is not None and effective is not None
    return RemainderMove(
        note, effective, client_payer_id, new_payer, previous_status, previous_distribution, previous_amount
    )
