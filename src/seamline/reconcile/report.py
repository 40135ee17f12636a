"""The reconciliation report: one self-contained HTML page per run.

It shows what the stage found (entities, links per dataset pair), what it saved people
from checking by hand (the differences per attribute and class) and, where the
workspace has ground truth, how good the links and the golden values are. Examples
name a record by its source key (``dataset:key``), as the worklist and the stewards'
decisions do, with the landing's record number after it; a dataset whose key is itself a
value of a person (a tax number) is named by record number only. The page may be read by
people who may not see the personal values, so no value of a person is ever put on it.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from seamline.reconcile import charts
from seamline.reconcile.compare import CLASSES
from seamline.reconcile.explain import weights

if TYPE_CHECKING:
    from seamline.reconcile.run import ReconcileResult, SpecResult

REPORT_FILE = "reconcile.html"
PER_GROUP = 2
"""Examples kept per (attribute, class)."""
MAX_EXAMPLES = 40
MAX_REVIEW_EXAMPLES = 10
_ORDER = {"conflict": 0, "doubtful": 1, "missing_in": 2, "format_only": 3}


def _state(value: Any, chosen: Any) -> str:
    if value is None:
        return "missing"
    return "agrees" if value == chosen else "differs"


def _reason(rule: str, reason: str) -> tuple[str, str]:
    """A steward's free-text reason may name people: the page shows only that one exists."""
    if rule == "decision":
        return rule, "a steward's decision"
    return rule, reason


def _impact(row: dict[str, Any]) -> float:
    return float((row.get("observed") or {}).get("impact") or 0.0)


def _key(uid: Any, named: Collection[str]) -> str | None:
    """The source key ``dataset:key`` if its dataset's key may be shown, else None."""
    if not isinstance(uid, str):
        return None
    return uid if uid.partition(":")[0] in named else None


def _example(row: dict[str, Any], named: Collection[str]) -> dict[str, Any]:
    observed = row.get("observed") or {}
    rule, _, reason = str(row.get("reason") or "").partition(": ")
    rule, reason = _reason(rule, reason)
    chosen = row.get("chosen")
    return {
        "entity_id": row["entity_id"],
        "attribute": row["attribute"],
        "classification": row["classification"],
        "records": [
            {
                "dataset": v["dataset"],
                "key": _key(v.get("record"), named),
                "record_no": v.get("record_no"),
                "state": _state(v.get("value"), chosen),
            }
            for v in observed.get("values", [])
        ],
        "missing_in": list(observed.get("missing_in", [])),
        "rule": rule,
        "reason": reason,
        "impact": _impact(row),
    }


def examples(
    rows: Iterable[dict[str, Any]], named: Collection[str] = ()
) -> dict[str, list[dict[str, Any]]]:
    """Value-free examples from the store rows of one spec.

    ``discrepancies``: per attribute and class the :data:`PER_GROUP` of highest impact
    (conflicts first), each record reduced to dataset, source key (for the ``named``
    datasets, whose keys are no value of a person), record number and whether its
    value agrees with the golden one. ``review_links``: the pairs stewards should look
    at first. Rows are ranked before any is copied: a large run has 10^5 of them.
    """
    groups: dict[tuple[str, str], list[tuple[float, str, int]]] = {}
    reviews: list[tuple[float, str, int]] = []
    listed = list(rows)
    for i, row in enumerate(listed):
        rank = (-_impact(row), str(row["entity_id"]), i)
        if row["classification"] == "review_link":
            reviews.append(rank)
        else:
            groups.setdefault((row["attribute"], row["classification"]), []).append(rank)
    chosen: list[tuple[int, str, float, str, int]] = []
    for (attr, cls), ranks in groups.items():
        for neg, eid, i in heapq.nsmallest(PER_GROUP, ranks):
            chosen.append((_ORDER.get(cls, 4), attr, neg, eid, i))
    chosen.sort(key=lambda c: (c[0], c[2], c[1], c[3]))
    found = [_example(listed[c[4]], named) for c in chosen[:MAX_EXAMPLES]]
    top = [
        listed[i].get("observed") or {} for _, _, i in heapq.nsmallest(MAX_REVIEW_EXAMPLES, reviews)
    ]
    review_links = [
        {
            "left_entity": o.get("left_entity"),
            "right_entity": o.get("right_entity"),
            "datasets": list(o.get("datasets", [])),
            "records": [k for k in (_key(o.get(e), named) for e in ("left", "right")) if k],
            "probability": o.get("probability"),
            "impact": o.get("impact", 0.0),
        }
        for o in top
    ]
    return {"discrepancies": found, "review_links": review_links}


def _spec_section(s: SpecResult) -> dict[str, Any]:
    attrs = []
    totals = dict.fromkeys(CLASSES, 0)
    for attr, counts in s.discrepancies.items():
        row = {c: counts.get(c, 0) for c in CLASSES}
        compared = sum(row.values())
        if not compared:
            continue
        for c in CLASSES:
            totals[c] += row[c]
        attrs.append(
            {"attribute": attr, **row, "compared": compared, "differ": compared - row["equal"]}
        )
    compared = sum(totals.values())
    pairs = []
    for key, n in sorted(s.pair_links.items()):
        a, _, b = key.partition("|")
        pairs.append({"a": a, "b": b, "entities": n, "within": a == b})
    metrics = s.metrics
    weight_rows = s.described.get("match_weights") or [
        {"comparison": c, "level": lv, "weight": w} for c, lv, _, _, w in weights(s.described)
    ]
    return {
        "spec": s.spec,
        "entity": s.entity,
        "records": s.records,
        "entities": s.entities,
        "links": s.links,
        "review_links": s.review_links,
        "pairs": pairs,
        "attributes": attrs,
        "totals": {**totals, "compared": compared, "differ": compared - totals["equal"]},
        "metrics": metrics,
        "golden_accuracy": sorted((metrics or {}).get("golden_accuracy", {}).items()),
        "golden_outcome": sorted((metrics or {}).get("golden_outcome", {}).items()),
        "examples": s.examples.get("discrepancies", []),
        "review_examples": s.examples.get("review_links", []),
        "seconds": s.seconds,
        "notes": s.notes,
        "blocking": s.described.get("blocking", []),
        "training": s.described.get("training", []),
        "weights": [
            {"comparison": r["comparison"], "level": r["level"], "weight": round(r["weight"], 2)}
            for r in weight_rows
            if r["weight"] is not None
        ],
        "weights_chart": charts.weights_chart(weight_rows) if weight_rows else None,
        "waterfalls": [
            {**w, "chart": charts.waterfall_chart(w)} for w in s.examples.get("waterfalls", [])
        ],
    }


def build(workspace: str, result: ReconcileResult) -> dict[str, Any]:
    """The report's content, as plain data (what the template renders)."""
    return {
        "workspace": workspace,
        "run_id": result.run_id,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "specs": [_spec_section(s) for s in result.specs],
    }


def render_html(report: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("seamline.reconcile", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.filters["pct"] = lambda x: f"{100 * x:.2f} %" if isinstance(x, int | float) else "—"
    return env.get_template("reconcile.html.j2").render(r=report)


def write_report(reports_dir: Path, workspace: str, result: ReconcileResult) -> Path:
    """Write ``<reports_dir>/reconcile.html`` and return its path."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / REPORT_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render_html(build(workspace, result)), "utf-8")
    tmp.replace(path)
    return path
