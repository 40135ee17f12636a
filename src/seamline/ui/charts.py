"""Chart geometry for inline SVG drawn server-side (templates/charts.html draws it).

No JavaScript and no chart library: a chart is a few rectangles whose positions are
computed here, so the numbers can be tested without a browser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    y: float
    width: float


@dataclass(frozen=True)
class HBars:
    """Horizontal bars, one per row, scaled to ``scale`` (1.0 for shares)."""

    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int


def hbars(
    items: Sequence[tuple[Any, float]],
    *,
    scale: float | None = None,
    percent: bool = True,
    width: int = 260,
    label_width: int = 110,
    row: int = 18,
) -> HBars:
    """Bars for (label, value) pairs; ``scale`` is the value drawn full width (the
    largest value when None)."""
    top = scale if scale is not None else max((float(v) for _, v in items), default=0.0)
    room = width - label_width - 44
    bars = []
    for i, (label, value) in enumerate(items):
        v = float(value)
        text = f"{100 * v:.0f} %" if percent else f"{v:,.0f}"
        w = room * v / top if top > 0 else 0.0
        bars.append(Bar(str(label), v, text, i * row, round(max(w, 1.0 if v > 0 else 0.0), 1)))
    return HBars(tuple(bars), width, max(row * len(bars), row), label_width)


@dataclass(frozen=True)
class Segment:
    status: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    label: str
    x: float
    segments: tuple[Segment, ...]
    total: int
    title: str


@dataclass(frozen=True)
class Stacked:
    """Stacked columns over time (one per run), heights scaled to the tallest."""

    columns: tuple[Column, ...]
    width: int
    height: int
    plot_height: int
    column_width: float
    top: int
    label_every: int
    """Label every n-th column only, so labels (about 76 px wide) never overlap."""


STATUS_ORDER = ("pass", "fail", "error")
LABEL_WIDTH = 76.0


def stacked(
    points: Sequence[dict[str, Any]],
    *,
    width: int = 640,
    plot_height: int = 120,
    gap: float = 4.0,
) -> Stacked:
    """``points``: dicts with ``label`` and a count per status in :data:`STATUS_ORDER`."""
    top = max((sum(int(p.get(s, 0)) for s in STATUS_ORDER) for p in points), default=0)
    n = max(len(points), 1)
    col_w = max(min((width - 40) / n - gap, 48.0), 4.0)
    columns = []
    for i, p in enumerate(points):
        base = float(plot_height)
        segs = []
        for status in STATUS_ORDER:
            count = int(p.get(status, 0))
            if count <= 0:
                continue
            h = plot_height * count / top if top else 0.0
            base -= h
            segs.append(Segment(status, count, round(base, 1), round(h, 1)))
        total = sum(s.count for s in segs)
        title = f"{p['label']}: " + ", ".join(f"{s.count} {s.status}" for s in segs)
        columns.append(
            Column(str(p["label"]), round(36 + i * (col_w + gap), 1), tuple(segs), total, title)
        )
    every = max(1, math.ceil(LABEL_WIDTH / (col_w + gap)))
    return Stacked(
        tuple(columns), width, plot_height + 40, plot_height, round(col_w, 1), top, every
    )
