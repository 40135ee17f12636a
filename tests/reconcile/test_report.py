"""The HTML reconciliation report: written by the stage, accessible, free of personal values."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from seamline.pipeline import RunContext
from seamline.reconcile.report import PER_GROUP, examples, render_html, write_report
from seamline.reconcile.run import ReconcileResult, SpecResult
from seamline.reconcile.stage import ReconcileStage

Demo = Any  # the conftest's Demo: ws, store, root


class _Page(HTMLParser):
    """Collects what the assertions look at: tags, th scopes, captions, text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.th_without_scope = 0
        self.tables = 0
        self.captions = 0
        self.text: list[str] = []
        self.links: list[str] = []
        self._in_thead = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        self.tables += tag == "table"
        self.captions += tag == "caption"
        for key in ("src", "href"):
            if a.get(key):
                self.links.append(str(a[key]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _spec_result(**over: Any) -> SpecResult:
    base: dict[str, Any] = {
        "spec": "person",
        "entity": "Person",
        "records": 5,
        "entities": 3,
        "links": {"deterministic": 2, "probabilistic": 0, "decision": 0, "rejected": 0},
        "review_links": 0,
        "discrepancies": {"status": {"equal": 1, "format_only": 0, "missing_in": 0, "conflict": 1}},
        "golden": Path("golden.parquet"),
        "mapping": Path("map.parquet"),
        "pair_links": {"a|b": 2},
    }
    base.update(over)
    return SpecResult(**base)


def test_stage_writes_the_report_on_the_demo(demo: Demo) -> None:
    parent = demo.store.start_run("run", workspace=demo.ws.name)
    res = ReconcileStage().run(RunContext(demo.ws, demo.store, parent))
    assert res.status == "ok", res.messages
    path = Path(res.reports["reconcile report"])
    assert path == demo.ws.data_dir / "reports" / "reconcile.html"
    html = path.read_text("utf-8")
    page = _parse(html)
    # Self-contained and accessible: no scripts, nothing fetched, every th scoped.
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert page.links == []
    assert page.tables >= 4 and page.captions == page.tables
    assert page.th_without_scope == 0
    text = " ".join(page.text)
    # Entities, dataset pairs, discrepancy classes, the by-hand figure and the metrics.
    detail = res.details[0]
    assert f"{detail['entities']:,}" in text
    assert "civil_persons" in text and "tax_payers" in text
    assert "what staff would have had to check by hand" in text
    assert "Link quality" in text and "Golden values per attribute" in text
    assert f"{100 * detail['F1']:.2f} %" in text
    assert "Examples" in text and "conflict" in text
    # Records are named by source key, as on the worklist; the tax number keying
    # tax_payers is a value of a person, so those records keep their record number.
    keys = re.findall(r"<code>([a-z_]+):([^<]+)</code> <span class=\"muted\">#(\d+)</span>", html)
    assert keys, "no example names a record by its source key"
    assert {d for d, _, _ in keys} <= {"civil_persons", "social_cases", "addresses"}
    assert re.search(r"<li>tax_payers #\d+: ", html)
    # The linkage model: the counted blocking rules and the match weights.
    assert "Blocking rules, counted before use" in text and "birth date" in text
    assert "Match weights" in text


def test_report_shows_no_personal_values(demo: Demo) -> None:
    parent = demo.store.start_run("run", workspace=demo.ws.name)
    res = ReconcileStage().run(RunContext(demo.ws, demo.store, parent))
    html = Path(res.reports["reconcile report"]).read_text("utf-8")
    with (demo.root / "_truth" / "people.csv").open(encoding="utf-8", newline="") as fh:
        people = list(csv.DictReader(fh))
    personal = set()
    for p in people:
        for col in ("pin", "tin", "family_name", "given_name", "birth_date"):
            if p.get(col) and len(p[col]) >= 4:
                personal.add(p[col])
        for col in ("family_name_latin", "given_name_latin"):
            if p.get(col):
                personal.add(p[col].upper())
    assert len(personal) > 500
    leaked = sorted(v for v in personal if v in html)
    assert leaked == []


def test_examples_keep_provenance_but_drop_values() -> None:
    rows: list[dict[str, Any]] = []
    for i in range(5):
        rows.append(
            {
                "entity_id": f"person-{i}",
                "attribute": "family_name",
                "classification": "conflict",
                "observed": {
                    "values": [
                        {
                            "dataset": "civil_persons",
                            "record": f"civil_persons:P-{10 + i}",
                            "record_no": 10 + i,
                            "value": "SADYKOV",
                        },
                        {
                            "dataset": "tax_payers",
                            "record": f"tax_payers:012345678{i}",
                            "record_no": 20 + i,
                            "value": "Садыкова",
                        },
                        {
                            "dataset": "social_cases",
                            "record": f"social_cases:C-{30 + i}",
                            "record_no": 30 + i,
                            "value": None,
                        },
                    ],
                    "missing_in": ["social_cases"],
                    "impact": float(i),
                },
                "chosen": "SADYKOV",
                "reason": "authoritative: civil_persons is authoritative",
            }
        )
    rows.append(
        {
            "entity_id": "person-9",
            "attribute": "status",
            "classification": "format_only",
            "observed": {"values": [], "missing_in": [], "impact": 0.0},
            "chosen": "active",
            "reason": "decision: decision #4 by Aigul Toktogulova: phoned Бакыт Садыков",
        }
    )
    rows.append(
        {
            "entity_id": "person-1",
            "attribute": "(link)",
            "classification": "review_link",
            "observed": {
                "left": "tax_payers:0123456789",
                "right": "civil_persons:9",
                "left_entity": "person-1",
                "right_entity": "person-2",
                "datasets": ["civil_persons", "tax_payers"],
                "probability": 0.9,
                "impact": 7.2,
            },
            "chosen": None,
            "reason": "match probability 0.900 in the review band",
        }
    )
    # Records are named by source key where the key is no value of a person (the tax
    # number that keys tax_payers is one), as the worklist names them.
    got = examples(rows, named={"civil_persons", "social_cases"})
    found = got["discrepancies"]
    # At most PER_GROUP per (attribute, class), conflicts first and highest impact first.
    assert [e["entity_id"] for e in found] == ["person-4", "person-3", "person-9"][: PER_GROUP + 1]
    first = found[0]
    assert first["records"] == [
        {
            "dataset": "civil_persons",
            "key": "civil_persons:P-14",
            "record_no": 14,
            "state": "agrees",
        },
        {"dataset": "tax_payers", "key": None, "record_no": 24, "state": "differs"},
        {
            "dataset": "social_cases",
            "key": "social_cases:C-34",
            "record_no": 34,
            "state": "missing",
        },
    ]
    assert first["rule"] == "authoritative"
    assert found[-1]["rule"] == "decision" and "Aigul" not in found[-1]["reason"]
    text = repr(got)
    for value in ("SADYKOV", "Садыкова", "0123456789", "012345678", "Aigul", "Бакыт"):
        assert value not in text
    assert got["review_links"] == [
        {
            "left_entity": "person-1",
            "right_entity": "person-2",
            "datasets": ["civil_persons", "tax_payers"],
            "records": ["civil_persons:9"],
            "probability": 0.9,
            "impact": 7.2,
        }
    ]
    # Without named datasets (the default), records keep their record numbers only.
    plain = examples(rows)
    assert all(r["key"] is None for e in plain["discrepancies"] for r in e["records"])
    assert plain["review_links"][0]["records"] == []


def test_report_escapes_and_skips_quality_without_truth(tmp_path: Path) -> None:
    result = ReconcileResult(7, [_spec_result(entity="<script>alert(1)</script>")])
    path = write_report(tmp_path / "reports", "ws <b>", result)
    html = path.read_text("utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "ws &lt;b&gt;" in html
    assert "Link quality" not in html
    page = _parse(html)
    assert page.th_without_scope == 0
    text = " ".join(page.text)
    # 2 values compared for status, 1 differed, 1 conflict.
    assert "2 attributes were held" in text and "1 real conflicts" in text


def test_report_with_no_specs_says_so() -> None:
    html = render_html({"workspace": "w", "run_id": 1, "generated": "now", "specs": []})
    assert "No reconcile spec ran." in html
