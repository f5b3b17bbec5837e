"""Lay a :class:`~hub.activity.chart.Chart` out as stacked bars in SVG coordinates.

Only numbers and our own palette colours come out of here; every text (tenant and staff names come
from tenants) is left to the Jinja template, which escapes it.  No inline style: SVG presentation
attributes only, so the strict CSP holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.activity.chart import Chart

WIDTH, HEIGHT = 880, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 40
MAX_X_LABELS = 12


@dataclass(frozen=True, slots=True)
class Bar:
    """One rectangle of a stack, with its tooltip parts."""

    x: float
    y: float
    width: float
    height: float
    color: str
    bucket: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Tick:
    """An axis tick: position and text."""

    at: float
    text: str


@dataclass(frozen=True, slots=True)
class SvgChart:
    """What the template draws."""

    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 5:
        return max(value, 1)
    magnitude = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def layout(chart: Chart) -> SvgChart:
    """Stacked bars, one per bucket, scaled to the busiest bucket."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(chart.buckets), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.8, 0.5)
    top_value = _nice_max(max(chart.totals, default=0))
    scale = plot_h / top_value
    bars: list[Bar] = []
    for i, bucket in enumerate(chart.buckets):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = TOP + plot_h
        for series in chart.series:
            count = series.counts[i]
            if not count:
                continue
            h = count * scale
            base -= h
            bars.append(Bar(round(x, 2), round(base, 2), round(bar_w, 2), round(h, 2), series.color,
                            bucket, series.label, count))
    every = max(1, -(-n // MAX_X_LABELS))
    x_ticks = tuple(Tick(round(LEFT + i * slot + slot / 2, 2), b)
                    for i, b in enumerate(chart.buckets) if i % every == 0)
    y_ticks = tuple(Tick(round(TOP + plot_h - v * scale, 2), str(v))
                    for v in dict.fromkeys((0, top_value // 2, top_value)))
    return SvgChart(WIDTH, HEIGHT, LEFT, TOP + plot_h, WIDTH - RIGHT, tuple(bars), x_ticks, y_ticks)
