"""The stewards' worklist: real conflicts and review-band links, ordered by impact.

Rows are stored with the run's discrepancies (review links as classification
``review_link``), so ``seamline reconcile worklist`` reads them back from the store
without re-running the linkage.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from seamline.errors import UsageError
from seamline.store import Store
from seamline.store.stewardship import discrepancies, insert_discrepancies

LINK_ATTRIBUTE = "_link"
KINDS = ("conflict", "doubtful", "review_link")
"""The classes on the worklist: values the records disagree on, golden values nothing
confirms beyond doubt, links in review. (``missing_in`` rows are kept for the report.)"""
WEIGHTS = {
    "national_id": 5.0,
    "birth_date": 4.0,
    "death_date": 4.0,
    "status": 4.0,
    "tax_number": 3.0,
    "family_name": 3.0,
    "given_name": 3.0,
    "patronymic": 2.0,
    "full_name": 2.0,
    "sex": 3.0,
}
"""How much a wrong value of an attribute costs a citizen (wrong person, wrong benefit)."""
COLUMNS = (
    "kind", "impact", "entity_id", "attribute", "datasets", "values", "chosen", "reason",
    "left", "right", "probability",
)  # fmt: skip
Format = Literal["csv", "json", "html"]


def conflict_impact(attribute: str, records: int) -> float:
    return round(WEIGHTS.get(attribute, 1.0) * records, 2)


def link_impact(probability: float, records: int) -> float:
    return round(4.0 * probability * records, 2)


def store_rows(store: Store, run_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Insert discrepancy rows (dicts of the model's columns, without run_id) in bulk."""
    insert_discrepancies(store, run_id, rows)


def _row(d: dict[str, Any]) -> dict[str, Any]:
    obs = d["observed"] or {}
    if d["classification"] == "review_link":
        return {
            "kind": "review_link",
            "impact": obs.get("impact", 0.0),
            "entity_id": d["entity_id"],
            "attribute": None,
            "datasets": ";".join(obs.get("datasets", [])),
            "values": "",
            "chosen": None,
            "reason": d["reason"],
            "left": obs.get("left"),
            "right": obs.get("right"),
            "probability": obs.get("probability"),
        }
    values = obs.get("values", [])
    return {
        "kind": d["classification"],
        "impact": obs.get("impact", 0.0),
        "entity_id": d["entity_id"],
        "attribute": d["attribute"],
        "datasets": ";".join(sorted({v["dataset"] for v in values})),
        "values": "; ".join(f"{v['dataset']}={v['value']}" for v in values),
        "chosen": d["chosen"],
        "reason": d["reason"],
        "left": None,
        "right": None,
        "probability": None,
    }


def load_worklist(
    store: Store,
    run_id: int | None = None,
    *,
    attribute: str | None = None,
    dataset: str | None = None,
    entity_type: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The worklist of a reconcile run (the latest one by default), highest impact first."""
    found = discrepancies(store, run_id, KINDS, attribute=attribute, entity_type=entity_type)
    rows = [_row(d) for d in found]
    if dataset:
        rows = [r for r in rows if dataset in str(r["datasets"]).split(";")]
    rows.sort(key=lambda r: (-float(r["impact"] or 0), r["entity_id"], r["attribute"] or ""))
    return rows[:limit] if limit else rows


def write_worklist(rows: Sequence[dict[str, Any]], path: Path, fmt: Format = "csv") -> Path:
    """Write worklist rows as CSV, JSON or an HTML page a steward can print or share."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows({k: r.get(k) for k in COLUMNS} for r in rows)
    elif fmt == "json":
        path.write_text(json.dumps(list(rows), ensure_ascii=False, indent=1), encoding="utf-8")
    elif fmt == "html":
        path.write_text(_html(rows), encoding="utf-8")
    else:
        raise UsageError(f"unknown worklist format {fmt!r}", allowed="csv, json, html")
    return path


_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;"
    "color:#1b1b1b}table{border-collapse:collapse;width:100%}caption{text-align:left;"
    "font-weight:600;padding:.4rem 0}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;"
    "text-align:left;vertical-align:top}thead th{background:#f1f1f1;position:sticky;top:0}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".conflict{color:#8a1c1c}.doubtful{color:#5a3d8a}.review_link{color:#7a4b00}.muted{color:#555}"
)
_NUMERIC = frozenset({"impact", "probability"})


def _html(rows: Sequence[dict[str, Any]]) -> str:
    """The worklist as one self-contained page: styled table, counts, how to decide."""
    kinds = {k: sum(1 for r in rows if r.get("kind") == k) for k in KINDS}
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in COLUMNS)
    body = "".join(
        f'<tr class="{html.escape(str(r.get("kind") or ""))}">'
        + "".join(
            f"<td{' class=num' if c in _NUMERIC else ''}>{html.escape(_text(r.get(c)))}</td>"
            for c in COLUMNS
        )
        + "</tr>"
        for r in rows
    )
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Reconcile worklist</title><style>{_STYLE}</style>"
        "<h1>Reconcile worklist</h1>"
        f'<p class="muted">{len(rows):,} items, the most impactful first: '
        f"{kinds['conflict']:,} conflicts between records of one entity, "
        f"{kinds['doubtful']:,} values no record confirms beyond doubt and "
        f"{kinds['review_link']:,} doubtful links. Records are named by their source key "
        "(<code>dataset:key</code>). Record a decision with "
        "<code>seamline reconcile decide</code>.</p>"
        f"<table><caption>{len(rows):,} items</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></html>\n"
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
