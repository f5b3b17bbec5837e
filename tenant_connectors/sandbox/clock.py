"""The sandbox clock: real UTC time plus an offset that tests advance through the control API.

The offset is module-level on purpose: it is "the vendor's wall clock", shared by every sandbox
app in the process, so that a test can move time forward without patching anything.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)


def now() -> datetime:
    """The sandbox's current time (timezone-aware UTC, microseconds dropped for stable JSON)."""
    with _lock:
        offset = _offset
    return (datetime.now(UTC) + offset).replace(microsecond=0)


def advance(seconds: float) -> None:
    """Move the sandbox clock forward (or back, with a negative value) by ``seconds``."""
    global _offset
    with _lock:
        _offset += timedelta(seconds=seconds)


def reset() -> None:
    """Return the sandbox clock to real time."""
    global _offset
    with _lock:
        _offset = timedelta(0)


def offset_seconds() -> float:
    """The current offset from real time, in seconds."""
    with _lock:
        return _offset.total_seconds()
