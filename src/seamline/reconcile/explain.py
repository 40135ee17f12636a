"""The linkage model actually used, kept beside the golden records and told in words.

Each run writes ``reference/<spec>.model.json``: the features the data supported, every
candidate blocking rule with the pairs it added and whether it was kept (and why not),
the EM training rules, and Splink's settings with the trained m and u probabilities.
``seamline reconcile run --explain`` prints it; the report draws its match weights.
No personal value is in it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from seamline.reconcile.blocking import rule_sqls
from seamline.reconcile.probabilistic import Scored
from seamline.reconcile.spec import load_reconcile_specs
from seamline.workspace.loader import Workspace


def model_path(reference: Path, spec_id: str) -> Path:
    return reference / f"{spec_id}.model.json"


def model_record(scored: Scored, records: int, unique: list[str]) -> dict[str, Any]:
    det = [f"f_det_{a}" for a in unique]
    return {
        "records": records,
        "note": scored.note,
        "features": [f.removeprefix("f_") for f in scored.features],
        "blocking": [
            {
                "rule": c.rule.label(),
                "sql": rule_sqls(c.rule, det),
                "pairs": c.pairs,
                "kept": c.kept,
                "why": c.why,
            }
            for c in scored.rules
        ],
        "training": scored.training,
        "splink": scored.model,
        "match_weights": scored.charts.get("match_weights", []),
    }


def write_model(path: Path, record: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str), "utf-8")
    return path


def weights(record: dict[str, Any]) -> list[tuple[str, str, float | None, float | None, float]]:
    """(comparison, level, m, u, match weight) of every non-null level, in model order."""
    out: list[tuple[str, str, float | None, float | None, float]] = []
    for comp in (record.get("splink") or {}).get("comparisons", []):
        name = str(comp.get("output_column_name", "")).removeprefix("f_id_").removeprefix("f_")
        for level in comp.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            w = math.log2(m / u) if m and u else 0.0
            label = str(level.get("label_for_charts") or level.get("sql_condition", ""))
            out.append((name, label, m, u, w))
    return out


def describe(record: dict[str, Any], spec_id: str) -> list[str]:
    """The model in lines of text: rules with their pairs, training, comparisons."""
    lines = [f"Linkage model of {spec_id} ({record.get('records', 0):,} records)"]
    if record.get("note"):
        lines.append(f"  note: {record['note']}")
    feats = record.get("features") or []
    lines.append(f"  compared: {', '.join(feats) or 'nothing'}")
    lines.append("  blocking rules (pairs each adds to the rules before it):")
    for r in record.get("blocking", []):
        state = "kept" if r["kept"] else f"left out ({r['why']})"
        lines.append(f"    {r['rule']:<44}{r['pairs']:>12,}  {state}")
    if record.get("training"):
        lines.append(f"  EM training rules: {'; '.join(record['training'])}")
    prior = (record.get("splink") or {}).get("probability_two_random_records_match")
    if prior:
        lines.append(f"  probability two random records match: {prior:.3g}")
    rows = weights(record)
    if rows:
        lines.append("  comparisons (level: m, u, match weight):")
        current = None
        for name, label, m, u, w in rows:
            if name != current:
                lines.append(f"    {name}")
                current = name
            ms = f"{m:.4g}" if m is not None else "-"
            us = f"{u:.4g}" if u is not None else "-"
            lines.append(f"      {label:<40} m={ms:<10} u={us:<10} {w:+.2f}")
    return lines


def explain_workspace(ws: Workspace) -> list[str]:
    """The last run's model of every reconcile spec of the workspace."""
    lines: list[str] = []
    for spec in load_reconcile_specs(ws.root):
        path = model_path(ws.data_dir / "reference", spec.id)
        if not path.exists():
            lines.append(f"{spec.id}: no model yet (run `seamline reconcile run` first)")
            continue
        lines += describe(json.loads(path.read_text("utf-8")), spec.id)
    return lines
