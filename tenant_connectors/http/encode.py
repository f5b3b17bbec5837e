"""Serialize the contract's input dataclasses to the tenant API's JSON.

Decimals travel as strings in plain notation (``"125.50"``, never ``1.2E+2`` or a float), dates as
``YYYY-MM-DD``, enums as their values and :class:`~tenant_connectors.base.PayerRank` as its
integer.  A :class:`~tenant_connectors.base.ClientPayerChange` sends only the keys it sets, so
the tenant changes nothing else.  Values that cannot be represented (a float or a non-finite
Decimal as money) are refused locally with :class:`~tenant_connectors.base.ValidationFailed`
before anything is sent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from tenant_connectors.base import (
    ClientInfo,
    ClientPayerChange,
    NewClientPayer,
    RemainderMove,
    StatusChangeRequest,
    ValidationFailed,
)

JsonObject = dict[str, Any]


def money(value: Decimal | int | None, field: str) -> str | None:
    """A Decimal (or int) as a plain decimal string; floats are refused for money."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationFailed(f"{field} must be a Decimal", field_errors={field: ("must be a Decimal",)})
    value = Decimal(value)
    if not value.is_finite():
        raise ValidationFailed(f"{field} must be finite", field_errors={field: ("must be finite",)})
    return format(value, "f")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _value(member: Enum | None) -> Any:
    return member.value if member is not None else None


def new_client_payer(new: NewClientPayer) -> JsonObject:
    """``NewClientPayer`` - every field, nullable ones as null."""
    return {
        "payer_id": new.payer_id,
        "rank": int(new.rank),
        "distribution": new.distribution.value,
        "amount": money(new.amount, "amount"),
        "pay_start": new.pay_start.isoformat(),
        "pay_end": _day(new.pay_end),
        "week_start_day": new.week_start_day,
    }


def client_payer_change(change: ClientPayerChange) -> JsonObject:
    """``ClientPayerChange`` - only the keys that are set (None means "leave as it is")."""
    encoded: JsonObject = {
        "rank": int(change.rank) if change.rank is not None else None,
        "distribution": _value(change.distribution),
        "amount": money(change.amount, "amount"),
        "pay_start": _day(change.pay_start),
        "pay_end": _day(change.pay_end),
        "week_start_day": change.week_start_day,
    }
    return {key: value for key, value in encoded.items() if value is not None}


def status_change_request(request: StatusChangeRequest) -> JsonObject:
    """``StatusChangeRequest``."""
    return {
        "status": request.status.value,
        "effective_date": request.effective_date.isoformat(),
        "note": request.note,
    }


def remainder_move(move: RemainderMove) -> JsonObject:
    """``RemainderMove`` - the optional parts only when given; ``new_payer`` as an object."""
    encoded: JsonObject = {
        "note": move.note,
        "effective_date": move.effective_date.isoformat(),
        "client_payer_id": move.client_payer_id,
        "new_payer": new_client_payer(move.new_payer) if move.new_payer is not None else None,
        "previous_status": _value(move.previous_status),
        "previous_distribution": _value(move.previous_distribution),
        "previous_amount": money(move.previous_amount, "previous_amount"),
    }
    return {key: value for key, value in encoded.items() if value is not None}


def client_info(info: ClientInfo | None) -> JsonObject | None:
    """``ClientInfo`` with the known parts only, or None."""
    if info is None:
        return None
    encoded = {"ip_address": info.ip_address, "platform": info.platform, "os": info.os}
    return {key: value for key, value in encoded.items() if value is not None}
