"""Strict, path-aware readers for JSON objects in tenant replies.

A :class:`Fields` wraps one decoded JSON object and reads typed values out of it.  Every problem
raises :class:`ReplyShapeError` naming the field path (``session.billing_user.company.name``) and
what was expected - never the value itself, which may be a token.  Python's own ``KeyError`` /
``ValueError`` / ``TypeError`` never escape: conversions that can fail are checked first or caught
and re-raised outside the ``except`` block so no original exception is chained.

Conventions of the tenant API enforced here: money and percentages are decimal *strings* (a JSON
float is refused), dates are ``YYYY-MM-DD``, times are ISO 8601 *with* an offset, enums are their
values.  Keys this module is not asked about are ignored, so the tenant may add fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

E = TypeVar("E", bound=Enum)

_DECIMAL = re.compile(r"-?\d{1,15}(\.\d{1,6})?\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})\Z")
_MISSING = object()


class ReplyShapeError(Exception):
    """A reply does not have the shape the contract promises."""

    def __init__(self, path: str, expected: str) -> None:
        super().__init__(f"field {path!s} must be {expected}")
        self.path = path
        self.expected = expected


def _reject_constant(name: str) -> None:
    raise ValueError("NaN and Infinity are not JSON")


def decode_json(body: bytes) -> Any:
    """Decode a reply body, refusing invalid, truncated or non-standard JSON."""
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        pass
    # raised here, outside the except block, so the decoder's error (which quotes the whole
    # document, a session token included) is not attached as context
    raise ReplyShapeError("(body)", "valid JSON")


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _parse_datetime(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


class Fields:
    """Typed access to one JSON object of a reply.

    Plain readers (``text``, ``day`` ...) require the key and a non-null value; ``opt_*``
    readers accept null or an absent key (read as None).
    """

    __slots__ = ("_data", "path")

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ReplyShapeError(path or "(body)", "an object")
        self._data: dict[str, Any] = data
        self.path = path

    def _sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _read(self, key: str, nullable: bool, convert: Callable[[Any], Any], expected: str) -> Any:
        """Convert the value under ``key``; ``convert`` returns None for an unacceptable value."""
        value = self._data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if nullable:
                return None
            raise ReplyShapeError(self._sub(key), "present" if value is _MISSING else "not null")
        converted = convert(value)
        if converted is None:
            raise ReplyShapeError(self._sub(key), expected)
        return converted

    # -- scalars
    def text(self, key: str, *, non_empty: bool = False) -> str:
        """A JSON string."""

        def ok(v: Any) -> str | None:
            return v if isinstance(v, str) and (v or not non_empty) else None

        return self._read(key, False, ok, "a non-empty string" if non_empty else "a string")

    def opt_text(self, key: str) -> str | None:
        """A JSON string or null."""
        return self._read(key, True, lambda v: v if isinstance(v, str) else None, "a string or null")

    def integer(self, key: str, *, low: int = -(2**63), high: int = 2**63) -> int:
        """A JSON integer (booleans and floats refused) within bounds."""
        return self._read(key, False, lambda v: _int(v, low, high), f"an integer in {low}..{high}")

    def opt_integer(self, key: str, *, low: int = -(2**63), high: int = 2**63) -> int | None:
        """A JSON integer within bounds, or null."""
        return self._read(key, True, lambda v: _int(v, low, high), f"an integer in {low}..{high} or null")

    def count(self, key: str) -> int:
        """A non-negative JSON integer."""
        return self.integer(key, low=0)

    def boolean(self, key: str) -> bool:
        """A JSON boolean."""
        return self._read(key, False, lambda v: v if isinstance(v, bool) else None, "a boolean")

    def decimal(self, key: str) -> Decimal:
        """A decimal carried as a string ("125.50"); JSON numbers are refused for money."""
        return self._read(key, False, _decimal, 'a decimal string such as "125.50"')

    def opt_decimal(self, key: str) -> Decimal | None:
        """A decimal string or null."""
        return self._read(key, True, _decimal, 'a decimal string such as "125.50" or null')

    def day(self, key: str) -> date:
        """A calendar date ``YYYY-MM-DD``."""
        return self._read(key, False, _date, "a date YYYY-MM-DD")

    def opt_day(self, key: str) -> date | None:
        """A calendar date or null."""
        return self._read(key, True, _date, "a date YYYY-MM-DD or null")

    def moment(self, key: str) -> datetime:
        """An ISO 8601 date-time with a UTC offset (naive times are refused)."""
        return self._read(key, False, _datetime, "an ISO 8601 date-time with offset")

    def enum(self, key: str, cls: type[E]) -> E:
        """A member of ``cls`` given by its value."""
        return self._read(key, False, lambda v: _member(cls, v), f"one of {_values(cls)}")

    def opt_enum(self, key: str, cls: type[E]) -> E | None:
        """A member of ``cls`` or null."""
        return self._read(key, True, lambda v: _member(cls, v), f"one of {_values(cls)} or null")

    # -- structures
    def obj(self, key: str) -> Fields:
        """A nested object."""
        return Fields(self._read(key, False, lambda v: v, "an object"), self._sub(key))

    def opt_obj(self, key: str) -> Fields | None:
        """A nested object or null."""
        value = self._read(key, True, lambda v: v, "an object or null")
        return None if value is None else Fields(value, self._sub(key))

    def objects(self, key: str) -> list[Fields]:
        """An array of objects."""
        value = self._read(key, False, lambda v: v if isinstance(v, list) else None, "an array")
        return [Fields(item, f"{self._sub(key)}[{i}]") for i, item in enumerate(value)]

    def strings(self, key: str) -> list[str]:
        """An array of strings."""

        def ok(v: Any) -> list[str] | None:
            return list(v) if isinstance(v, list) and all(isinstance(i, str) for i in v) else None

        return self._read(key, False, ok, "an array of strings")

    def messages(self, key: str) -> dict[str, tuple[str, ...]]:
        """An optional object mapping names to a message or an array of messages (error ``fields``)."""
        return self._read(key, True, _messages, "an object of string arrays") or {}


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _decimal(value: Any) -> Decimal | None:
    return Decimal(value) if isinstance(value, str) and _DECIMAL.match(value) else None


def _date(value: Any) -> date | None:
    return _parse_date(value) if isinstance(value, str) and _DATE.match(value) else None


def _datetime(value: Any) -> datetime | None:
    parsed = _parse_datetime(value) if isinstance(value, str) and _DATETIME.match(value) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _member(cls: type[E], value: Any) -> E | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    member = cls._value2member_map_.get(value)
    # an IntEnum is only given by a JSON integer, a StrEnum only by a string
    if member is None or type(value) is not type(member.value):
        return None
    return member  # type: ignore[return-value]


def _values(cls: type[Enum]) -> str:
    return ", ".join(repr(m.value) for m in cls)


def _messages(value: Any) -> dict[str, tuple[str, ...]] | None:
    if not isinstance(value, dict):
        return None
    result: dict[str, tuple[str, ...]] = {}
    for name, messages in value.items():
        if isinstance(messages, str):
            messages = [messages]
        if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
            return None
        result[str(name)] = tuple(messages)
    return result
