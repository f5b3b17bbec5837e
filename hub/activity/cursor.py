"""Opaque, signed keyset cursors: a position ``(occurred_at, id)`` and a direction.

The cursor is signed with the application's secret key and bound to the page's scope (hub and
tenant), so a tampered cursor, or one copied from another user's scope, is refused with
:class:`CursorError` (the view answers 400) instead of reaching a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from hub.dbtypes import MAX_BIG_ID

Direction = Literal["older", "newer"]
_SALT = "hub.activity.cursor.v1"
_MAX_LENGTH = 400


class CursorError(ValueError):
    """The cursor is not one this application issued for this page."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page starts: rows strictly older (or newer) than ``(occurred_at, event_id)``."""

    direction: Direction
    occurred_at: datetime
    event_id: int


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def encode(direction: Direction, occurred_at: datetime, event_id: int, *, scope_key: str) -> str:
    """The cursor naming the rows beyond ``(occurred_at, event_id)`` in ``direction``."""
    moment = occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    return _serializer().dumps(["o" if direction == "older" else "n", moment, int(event_id), scope_key])


def decode(token: str, *, scope_key: str) -> Position:
    """The position of a cursor issued for ``scope_key``; :class:`CursorError` for anything else."""
    if not token or len(token) > _MAX_LENGTH:
        raise CursorError("The page link is not valid.")
    try:
        payload = _serializer().loads(token)
    except BadData:
        raise CursorError("The page link is not valid (it was changed or belongs to another page).") from None
    try:
        tag, moment, event_id, key = payload
        if tag not in ("o", "n") or not isinstance(event_id, int) or isinstance(event_id, bool):
            raise ValueError
        if not 0 < event_id <= MAX_BIG_ID or not isinstance(moment, str):
            raise ValueError
        occurred_at = datetime.fromisoformat(moment)
        if occurred_at.tzinfo is None:
            raise ValueError
    except (TypeError, ValueError):
        raise CursorError("The page link is not valid.") from None
    if key != scope_key:
        raise CursorError("The page link belongs to another view; start again from the newest events.")
    return Position("older" if tag == "o" else "newer", occurred_at.astimezone(UTC), event_id)
