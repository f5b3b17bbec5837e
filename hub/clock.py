"""The hub's clock: one place to read the time, so tests can control it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Aware UTC now, shifted by the test offset."""
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    """Undo every :func:`advance`."""
    global _offset
    _offset = timedelta(0)
