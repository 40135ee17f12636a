"""Splink's own charts of a run, without personal values, ready to draw as inline SVG.

Splink describes its match-weights chart (``linker.visualisations.match_weights_chart``)
and its waterfall chart (``waterfall_chart(records)``) as Vega-Lite specifications; the
numbers they draw are taken here from those charts' data. The report draws them itself,
as SVG written on the server: it is one self-contained page without scripts (it is
opened from file shares and mail, and Vega's runtime would add some 840 kB of
JavaScript to every report, or a CDN fetch at view time).

A waterfall is kept for a few example pairs (the strongest link, the weakest automatic
link, the strongest and the weakest pair of the review band): per comparison the level
the pair fell in and its match weight (with the term-frequency adjustment apart), never
the values compared. Splink's ``remove_sensitive_data`` blanks them, and only the
fields listed in :data:`STEP_FIELDS` are kept.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pyarrow as pa

PRIOR = "probability_two_random_records_match"
STEP_FIELDS = ("comparison", "level", "weight", "tf")
"""What a waterfall step keeps of Splink's chart record: no value of a record."""
MAX_WATERFALLS = 4


def _name(column: Any) -> str:
    return str(column or "").removeprefix("tf_").removeprefix("f_id_").removeprefix("f_")


def _level(label: Any) -> str:
    """Splink's label of a level, with the feature columns' prefixes dropped."""
    return re.sub(r"\bf_(id_)?", "", str(label))


def _finite(x: Any) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def match_weights(linker: Any) -> list[dict[str, Any]]:
    """Splink's match-weights chart data: the prior, then every non-null level."""
    rows: list[dict[str, Any]] = []
    for r in linker.visualisations.match_weights_chart().chart_data:
        if r.comparison_name == PRIOR:
            rows.insert(
                0,
                {"comparison": "prior", "level": "two random records match", "weight": None},
            )
            rows[0]["weight"] = _finite(r.log2_bayes_factor)
            continue
        if r.is_null_level:
            continue
        rows.append(
            {
                "comparison": _name(r.comparison_name),
                "level": _level(r.label_for_charts),
                "weight": _finite(r.log2_bayes_factor),
            }
        )
    return rows


def example_pairs(pairs: pa.Table, auto_link: float) -> list[int]:
    """Row numbers of the example pairs: the strongest link, the weakest automatic link,
    the strongest and the weakest pair of the review band (each once)."""
    probs = pairs.column("probability").to_numpy()
    if not len(probs):
        return []
    order = np.argsort(-probs, kind="stable")
    linked = order[probs[order] >= auto_link]
    review = order[probs[order] < auto_link]
    picks = [
        *(linked[:1].tolist()),
        *(linked[-1:].tolist()),
        *(review[:1].tolist()),
        *(review[-1:].tolist()),
    ]
    return list(dict.fromkeys(int(i) for i in picks))[:MAX_WATERFALLS]


def waterfalls(
    linker: Any, data: pa.Table, pairs: pa.Table, picks: list[int]
) -> list[dict[str, Any]]:
    """Splink's waterfall chart data of the picked pairs, stripped of values.

    ``data``: the records as registered with Splink (``unique_id`` is the row number);
    ``pairs``: the scored pairs (``left``, ``right``, ``probability``).
    """
    if not picks:
        return []
    settings = linker._settings_obj
    ends = [
        (int(pairs.column("left")[i].as_py()), int(pairs.column("right")[i].as_py())) for i in picks
    ]
    # Registered as typed tables, not lists of records: a column null in every picked
    # record has no type to infer from its values (Spark refuses it).
    register = linker.table_management.register_table
    lefts = register(data.take([a for a, _ in ends]), "__seamline_waterfall_l", overwrite=True)
    rights = register(data.take([b for _, b in ends]), "__seamline_waterfall_r", overwrite=True)
    # One pass of Splink for all picked pairs (every left with every right), then the
    # picked ones: one query instead of one per pair.
    scored = {
        (r["unique_id_l"], r["unique_id_r"]): r
        for r in linker.inference.score_pairs(lefts, rights).as_record_list()
    }
    out: list[dict[str, Any]] = []
    for i, (left, right) in zip(picks, ends, strict=True):
        kept = (
            settings._retain_matching_columns,
            settings._retain_intermediate_calculation_columns,
        )
        settings._retain_matching_columns = True
        settings._retain_intermediate_calculation_columns = True
        try:
            chart = linker.visualisations.waterfall_chart(
                [scored[(left, right)]], filter_nulls=False, remove_sensitive_data=True
            )
            records = chart.chart_data
        finally:
            settings._retain_matching_columns, settings._retain_intermediate_calculation_columns = (
                kept
            )
        steps = []
        for r in records:
            column = str(r["column_name"])
            if column in ("Prior", "Final score"):
                continue
            if r["term_frequency_adjustment"] and not r["log2_bayes_factor"]:
                continue  # the level has no term-frequency adjustment
            steps.append(
                {
                    "comparison": _name(column),
                    "level": _level(r["label_for_charts"]),
                    "weight": _finite(r["log2_bayes_factor"]) or 0.0,
                    "tf": bool(r["term_frequency_adjustment"]),
                }
            )
        prior = next(r for r in records if r["column_name"] == "Prior")
        final = next(r for r in records if r["column_name"] == "Final score")
        out.append(
            {
                "left": left,
                "right": right,
                "prior": _finite(prior["log2_bayes_factor"]) or 0.0,
                "steps": steps,
                "match_weight": _finite(final["log2_bayes_factor"]) or 0.0,
                "probability": float(pairs.column("probability")[i].as_py()),
            }
        )
    return out


LABEL_W, PLOT_W, ROW_H, AXIS_H = 330, 360, 18, 22


def svg_bars(rows: list[tuple[str, float, float, str]]) -> dict[str, Any]:
    """Geometry of a horizontal bar chart drawn as inline SVG by the report's template.

    ``rows``: (label, start, end, kind) per bar, in match weights; ``kind`` is the CSS
    class (``for``, ``against``, ``total``). The scale is symmetric around zero, to the
    next whole weight beyond the largest end, as in Splink's charts.
    """
    ends = [abs(v) for _, a, b, _ in rows for v in (a, b)]
    top = max(1.0, math.ceil(max(ends, default=1.0)))
    half = PLOT_W / 2

    def x(v: float) -> float:
        return round(LABEL_W + half + v / top * half, 1)

    bars = []
    for i, (label, a, b, kind) in enumerate(rows):
        lo, hi = sorted((x(a), x(b)))
        bars.append(
            {
                "y": AXIS_H + i * ROW_H,
                "x": lo,
                "w": max(round(hi - lo, 1), 1.0),
                "label": label,
                "value": b - a if kind != "total" else b,
                "kind": kind,
            }
        )
    step = max(1, int(top // 4))
    marks = range(0, int(top) + 1, step)
    ticks = [
        {"x": x(v), "text": f"{v:+d}" if v else "0"} for v in sorted({*marks, *(-m for m in marks)})
    ]
    return {
        "width": LABEL_W + PLOT_W + 50,
        "height": AXIS_H + len(rows) * ROW_H + 4,
        "zero": x(0),
        "label_x": LABEL_W - 6,
        "bars": bars,
        "ticks": ticks,
        "row_h": ROW_H - 4,
    }


def weights_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The match-weights chart: one bar per level, from zero."""
    drawn = [
        (
            f"{r['comparison']}: {r['level']}",
            0.0,
            float(r["weight"] or 0.0),
            "for" if (r["weight"] or 0.0) >= 0 else "against",
        )
        for r in rows
        if r["weight"] is not None
    ]
    return svg_bars(drawn)


def waterfall_chart(w: dict[str, Any]) -> dict[str, Any]:
    """One pair's waterfall: the prior, each comparison's weight from where the one
    before ended, and the final match weight from zero."""
    drawn = [("prior", 0.0, w["prior"], "for" if w["prior"] >= 0 else "against")]
    at = w["prior"]
    for s in w["steps"]:
        if s["tf"] and not s["weight"]:
            continue
        label = f"{s['comparison']}: {s['level']}"
        drawn.append((label, at, at + s["weight"], "for" if s["weight"] >= 0 else "against"))
        at += s["weight"]
    drawn.append(("final match weight", 0.0, w["match_weight"], "total"))
    return svg_bars(drawn)
