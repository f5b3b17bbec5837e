"""Activity over time: event counts per time bucket and per tenant (or staff member), in SQL.

The bucket is computed by the database from ``occurred_at`` in UTC with one expression per dialect
(``to_char(timezone('UTC', …))`` on PostgreSQL, ``strftime`` on SQLite, which stores UTC text), so
only ``(bucket, key, count)`` rows leave the database.  The busiest keys get their own series, the
rest are folded into "Other", so the series always add up to the filtered count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, func, select

from hub.activity.filters import WHO_COMPANY, ActivityFilter, Scope
from hub.extensions import db
from hub.sync.models import TenantAuditEvent as Event

Granularity = Literal["hour", "day", "month", "year"]
By = Literal["tenant", "staff"]
#: (PostgreSQL to_char format, SQLite / Python strftime format) per granularity
FORMATS: dict[str, tuple[str, str]] = {
    "hour": ("YYYY-MM-DD HH24", "%Y-%m-%d %H"),
    "day": ("YYYY-MM-DD", "%Y-%m-%d"),
    "month": ("YYYY-MM", "%Y-%m"),
    "year": ("YYYY", "%Y"),
}
TOP_N = 6
#: colour-blind-safe palette (Okabe-Ito), then grey for "Other"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER_COLOR = "#999999"
OTHER_KEY = "__other__"
NONE_KEY = "__none__"


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked series: a tenant, a staff member or "Other"."""

    key: str
    label: str
    color: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        """Events of this series over the whole chart."""
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class Chart:
    """Counts per bucket (oldest first) and per series."""

    by: By
    granularity: Granularity
    buckets: tuple[str, ...]
    series: tuple[Series, ...]

    @property
    def totals(self) -> tuple[int, ...]:
        """Events per bucket, all series together."""
        return tuple(sum(s.counts[i] for s in self.series) for i in range(len(self.buckets)))

    @property
    def total(self) -> int:
        """Events in the chart (equals the filtered count)."""
        return sum(self.totals)


def bucket_expression(granularity: Granularity, dialect: str) -> ColumnElement[str]:
    """SQL for the UTC bucket label of ``occurred_at`` (same text on both backends)."""
    pg_format, py_format = FORMATS[granularity]
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", Event.occurred_at), pg_format)
    return func.strftime(py_format, Event.occurred_at)


def choose_granularity(first: datetime, last: datetime) -> Granularity:
    """Hours for a couple of days, days up to four months, then months, then years."""
    span = last - first
    if span <= timedelta(days=2):
        return "hour"
    if span <= timedelta(days=120):
        return "day"
    if span <= timedelta(days=3660):
        return "month"
    return "year"


def _step(granularity: Granularity) -> Callable[[datetime], datetime]:
    def next_month(moment: datetime) -> datetime:
        return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)

    return {
        "hour": lambda m: m + timedelta(hours=1),
        "day": lambda m: m + timedelta(days=1),
        "month": next_month,
        "year": lambda m: m.replace(year=m.year + 1),
    }[granularity]


def bucket_labels(first: datetime, last: datetime, granularity: Granularity) -> list[str]:
    """Every bucket label from ``first`` to ``last`` (empty buckets included), oldest first."""
    fmt = FORMATS[granularity][1]
    first, last = first.astimezone(UTC), last.astimezone(UTC)
    start = {
        "hour": first.replace(minute=0, second=0, microsecond=0),
        "day": first.replace(hour=0, minute=0, second=0, microsecond=0),
        "month": first.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
        "year": first.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
    }[granularity]
    step, labels, moment = _step(granularity), [], start
    while moment <= last and moment.year < 9999:
        labels.append(moment.strftime(fmt))
        moment = step(moment)
    return labels


def _key_column(by: By) -> tuple[ColumnElement[object], ColumnElement[object]]:
    if by == "tenant":
        return Event.tenant_id, func.min(Event.tenant_id)
    return Event.on_behalf_of_user_id, func.max(Event.on_behalf_of_name)


def _no_staff_label(scope: Scope, flt: ActivityFilter) -> str:
    """The series of events acting for nobody: only billing-company logins, or the clinic's users too."""
    if scope.third_party_only or flt.who == WHO_COMPANY:
        return "No staff member (direct login)"
    return "No staff member (the clinic's own users, direct logins)"


def activity_chart(scope: Scope, flt: ActivityFilter, by: By, *, labels: dict[str, str] | None = None,
                   top: int = TOP_N) -> Chart | None:
    """The chart of the filtered events by ``by``; None when no event matches.

    ``labels`` names tenant keys (``str(tenant_id)`` → name); staff keys are named by the events.
    """
    where = [*scope.clauses(), *flt.clauses()]
    first, last = db.session.execute(
        select(func.min(Event.occurred_at), func.max(Event.occurred_at)).where(*where)
    ).one()
    if first is None:
        return None
    granularity = choose_granularity(first, last)
    buckets = bucket_labels(first, last, granularity)
    bucket = bucket_expression(granularity, db.session.get_bind().dialect.name).label("bucket")
    key_column, name_column = _key_column(by)
    rows = db.session.execute(
        select(bucket, key_column, name_column, func.count()).where(*where).group_by(bucket, key_column)
    ).all()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str, str] = {}
    for bucket_label, key, name, n in rows:
        skey = NONE_KEY if key is None else str(key)
        counts[skey][bucket_label] += int(n)
        if by == "staff":
            names[skey] = _no_staff_label(scope, flt) if key is None else (name or str(key))
    if by == "tenant":
        names.update(labels or {})
    # labels are zero-padded, so text order is time order; a label the database formats
    # differently from Python (far-off years) still gets its bar instead of being dropped
    buckets = sorted(set(buckets).union(*(c.keys() for c in counts.values())))
    ranked = sorted(counts, key=lambda k: (-sum(counts[k].values()), names.get(k, k)))
    series = [
        Series(k, names.get(k, k), PALETTE[i % len(PALETTE)], tuple(counts[k].get(b, 0) for b in buckets))
        for i, k in enumerate(ranked[:top])
    ]
    rest = ranked[top:]
    if rest:
        other = tuple(sum(counts[k].get(b, 0) for k in rest) for b in buckets)
        series.append(Series(OTHER_KEY, f"Other ({len(rest)})", OTHER_COLOR, other))
    return Chart(by, granularity, tuple(buckets), tuple(series))
