"""Splink's match-weights chart and example waterfalls in reconcile.html: drawn as inline
SVG (no script, nothing fetched), consistent with the model, and free of every value of
the records linked."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.pipeline import RunContext
from seamline.reconcile.prepare import prepare
from seamline.reconcile.spec import load_reconcile_specs
from seamline.reconcile.stage import ReconcileStage

Demo = Any  # the conftest's Demo: ws, store, root


class _Svgs(HTMLParser):
    """Every svg's aria-label and its bars' tooltips; every tag and fetched address."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, Any]] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self._in_rect = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        self.links += [str(a[k]) for k in ("src", "href") if a.get(k)]
        if tag == "svg":
            self.charts.append({"label": a.get("aria-label"), "bars": []})
        if tag == "rect":
            self._in_rect = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "rect":
            self._in_rect = False

    def handle_data(self, data: str) -> None:
        if self._in_rect and self.charts:
            self.charts[-1]["bars"].append(data)


@pytest.fixture(scope="module")
def run(demo: Demo) -> tuple[str, Any]:
    parent = demo.store.start_run("run", workspace=demo.ws.name)
    res = ReconcileStage().run(RunContext(demo.ws, demo.store, parent))
    assert res.status == "ok", res.messages
    return Path(res.reports["reconcile report"]).read_text("utf-8"), res


def test_the_report_draws_splinks_match_weights_and_waterfalls_inline(
    run: tuple[str, Any], demo: Demo
) -> None:
    html, _ = run
    page = _Svgs()
    page.feed(html)
    assert "script" not in page.tags and page.links == []
    model = json.loads((demo.ws.data_dir / "reference" / "person.model.json").read_text("utf-8"))
    # The match-weights chart: the prior and one bar per non-null level of the model.
    weights = next(c for c in page.charts if "Match weights of the model" in str(c["label"]))
    levels = [
        lv
        for comp in model["splink"]["comparisons"]
        for lv in comp["comparison_levels"]
        if not lv.get("is_null_level")
    ]
    assert len(weights["bars"]) == 1 + len(levels)
    assert weights["bars"][0].startswith("prior: ")
    prior = model["splink"]["probability_two_random_records_match"]
    assert weights["bars"][0].endswith(f"{math.log2(prior / (1 - prior)):+.2f}")
    # Waterfalls: a few example pairs, each adding up to its match weight, whose
    # probability is the one Splink gave the pair.
    falls = [c for c in page.charts if str(c["label"]).startswith("Example pair")]
    assert 1 <= len(falls) <= 4
    assert "How example pairs were scored" in html
    for chart in falls:
        values = [float(b.rsplit(": ", 1)[1]) for b in chart["bars"]]
        *steps, final = values
        assert chart["bars"][-1].startswith("final match weight")
        assert abs(sum(steps) - final) < 0.01 * len(steps)
    shown = re.findall(r"match weight ([+-][0-9]+\.[0-9]+), probability ([0-9]\.[0-9]+)", html)
    assert len(shown) == len(falls)
    for weight, probability in shown:
        p = float(probability)
        if 0.01 < p < 0.99:  # shown to 4 places: the odds are exact enough in this range
            assert abs(math.log2(p / (1 - p)) - float(weight)) < 0.02


def _tokens(html: str) -> set[str]:
    return {t.casefold() for t in re.findall(r"[^\W_]+(?:[-.][^\W_]+)*", html)}


def test_the_charts_show_no_value_of_the_records(run: tuple[str, Any], demo: Demo) -> None:
    html, _ = run
    start = html.index("Match weights of the model")
    charts = html[start : html.index('<h3 id="examples-')]
    assert "How example pairs were scored" in charts
    # Every value the model compared (the prepared records: name keys, ISO dates,
    # validated identifiers, addresses) and every original value of the landed records.
    spec = load_reconcile_specs(demo.ws.root)[0]
    table = prepare(demo.ws, spec).table
    values: set[str] = set()
    for name in table.column_names:
        if not name.startswith(("f_", "o_", "u_")) or not pa.types.is_string(
            table.schema.field(name).type
        ):
            continue
        values |= {str(v) for v in table.column(name).drop_null().unique().to_pylist()}
    for landing in (demo.ws.data_dir / "harmonized").glob("*.parquet"):
        t = pq.read_table(landing)
        for name in t.column_names:
            if pa.types.is_string(t.schema.field(name).type):
                values |= {str(v) for v in t.column(name).drop_null().unique().to_pylist()}
    # Short values (a sex code, a house number, a region code) and words that name the
    # model's own parts are no person's value; everything else must not be on the page.
    vocabulary = _tokens(html[: html.index("Match weights of the model")]) | _tokens(
        "prior two random records match final weight exact swapped other name part "
        "same year one edit transposition different jaro winkler distance comparisons "
        "all term freq adjustment on day month digit"
    )
    personal = {
        v.casefold()
        for v in values
        if (len(v) >= 4 and any(ch.isalpha() for ch in v)) or re.fullmatch(r"[0-9-]{6,}", v)
    } - vocabulary
    assert len(personal) > 1000
    shown = _tokens(charts)
    leaked = sorted(v for v in personal if v in shown or (" " in v and v in charts.casefold()))
    assert leaked == []
