"""Small column helpers shared by the hub's models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

#: the largest id an INTEGER primary key holds on every backend (PostgreSQL refuses a larger bound
#: value with an error, so ids from URLs and forms are checked against it before any query)
MAX_ID = 2**31 - 1
#: the same for BIGINT keys (the synced tenant audit events, the hub's audit log)
MAX_BIG_ID = 2**63 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (tests may monkeypatch :func:`hub.clock.now`)."""
    from hub import clock

    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes on every backend; SQLite returns them aware again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
