"""``reconcile(ws, store, run_id)``: link, cluster, compare, publish, score."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamline.reconcile.cluster import (
    MAP_FILE,
    Link,
    assign_ids,
    cluster,
    read_mapping,
    write_mapping,
)
from seamline.reconcile.compare import Compared, compare
from seamline.reconcile.decisions import Decisions, active_decisions
from seamline.reconcile.deterministic import deterministic_links
from seamline.reconcile.evaluate import evaluate
from seamline.reconcile.golden import write_golden
from seamline.reconcile.prepare import Prepared, prepare
from seamline.reconcile.probabilistic import ScoredPair, score_pairs
from seamline.reconcile.report import examples
from seamline.reconcile.spec import ReconcileSpec, load_reconcile_specs
from seamline.reconcile.worklist import (
    LINK_ATTRIBUTE,
    link_impact,
    store_rows,
)
from seamline.store import Store
from seamline.workspace.loader import Workspace


@dataclass
class SpecResult:
    """What one reconcile spec produced."""

    spec: str
    entity: str
    records: int
    entities: int
    links: dict[str, int]
    """Links applied by kind: deterministic, probabilistic, decision."""
    review_links: int
    discrepancies: dict[str, dict[str, int]]
    """Attribute -> class -> count."""
    golden: Path
    mapping: Path
    pair_links: dict[str, int] = field(default_factory=dict)
    """Records linked across each dataset pair ("a|b": entities holding both)."""
    metrics: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Value-free discrepancy and review examples for the report (:func:`report.examples`)."""


@dataclass
class ReconcileResult:
    run_id: int
    specs: list[SpecResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.specs:
            out["records"] = out.get("records", 0) + s.records
            out["entities"] = out.get("entities", 0) + s.entities
            out["review_links"] = out.get("review_links", 0) + s.review_links
            for cls_counts in s.discrepancies.values():
                for cls, n in cls_counts.items():
                    if cls != "equal":
                        out[cls] = out.get(cls, 0) + n
        return out


def reconcile(
    ws: Workspace,
    store: Store,
    run_id: int,
    *,
    specs: list[ReconcileSpec] | None = None,
    exclude: set[str] | None = None,
) -> ReconcileResult:
    """Run every reconcile spec of the workspace; results land in ``reference/`` and the store.

    ``exclude``: datasets an earlier stage failed on, left out of the linkage.
    """
    result = ReconcileResult(run_id)
    decisions = active_decisions(store)
    for spec in specs if specs is not None else load_reconcile_specs(ws.root):
        result.specs.append(_one(ws, store, run_id, spec, decisions, exclude or set()))
    return result


def _pair_index(p: Prepared, decisions: Decisions) -> tuple[list[Link], list[tuple[int, int]]]:
    index = {u: i for i, u in enumerate(p.column("uid"))}
    forced = [
        Link(index[a], index[b], "decision")
        for a, b in sorted(decisions.forced)
        if a in index and b in index
    ]
    rejected = [(index[a], index[b]) for a, b in decisions.rejected if a in index and b in index]
    return forced, rejected


def _one(
    ws: Workspace,
    store: Store,
    run_id: int,
    spec: ReconcileSpec,
    decisions: Decisions,
    exclude: set[str],
) -> SpecResult:
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    p = prepare(ws, spec, exclude)
    seconds["prepare"] = time.perf_counter() - t
    n = p.table.num_rows
    det_col = f"f_det_{spec.deterministic[0]}" if spec.deterministic else None
    det_ids: list[str | None] = p.column(det_col) if det_col else [None] * n
    links = [
        link for d in spec.deterministic for link in deterministic_links(p.column(f"f_det_{d}"))
    ]
    t = time.perf_counter()
    scored = score_pairs(p.table, spec)
    seconds["splink"] = time.perf_counter() - t
    auto = [
        Link(s.left, s.right, "probabilistic", s.probability)
        for s in scored
        if s.probability >= spec.thresholds.auto_link
    ]
    forced, rejected = _pair_index(p, decisions)
    t = time.perf_counter()
    clusters = cluster(n, [*forced, *links, *auto], det_ids, rejected)
    uids = p.column("uid")
    map_path = ws.data_dir / "reference" / MAP_FILE
    record_entity = assign_ids(clusters, uids, read_mapping(map_path, spec.id), spec.id)
    write_mapping(map_path, spec.id, uids, record_entity)
    seconds["cluster"] = time.perf_counter() - t
    t = time.perf_counter()
    compared = compare(p, spec, record_entity, decisions)
    golden_path = ws.data_dir / "reference" / f"{spec.id}.parquet"
    write_golden(
        golden_path,
        compared.entity_ids,
        compared.record_counts,
        compared.datasets,
        p.attributes,
        compared.choices,
    )
    rows, reviews = _store_rows(p, spec, compared, scored, record_entity, set(rejected))
    store_rows(store, run_id, rows)
    seconds["compare"] = time.perf_counter() - t
    applied = {
        "deterministic": len(links),
        "probabilistic": len(auto),
        "decision": len(forced),
        "rejected": len(rejected),
    }
    t = time.perf_counter()
    metrics = evaluate(ws.root, uids, record_entity, compared.entity_ids, compared.choices, det_ids)
    seconds["evaluate"] = time.perf_counter() - t
    return SpecResult(
        spec=spec.id,
        entity=spec.entity,
        records=n,
        entities=len(compared.entity_ids),
        links=applied,
        review_links=reviews,
        discrepancies=compared.counts,
        golden=golden_path,
        mapping=map_path,
        pair_links=compared.pair_links,
        metrics=metrics,
        seconds={k: round(v, 3) for k, v in seconds.items()},
        examples=examples([*rows, *compared.examples]),
    )


def _store_rows(
    p: Prepared,
    spec: ReconcileSpec,
    compared: Compared,
    scored: list[ScoredPair],
    record_entity: list[str],
    rejected: set[tuple[int, int]],
) -> tuple[list[dict[str, Any]], int]:
    rows = list(compared.discrepancies)
    uids, datasets = p.column("uid"), p.column("dataset")
    sizes = compared.sizes()
    reviews = 0
    for s in scored:
        el, er = record_entity[s.left], record_entity[s.right]
        if el == er or (s.left, s.right) in rejected or (s.right, s.left) in rejected:
            continue
        reviews += 1
        size = sizes[el] + sizes[er]
        rows.append(
            {
                "entity_type": spec.entity,
                "entity_id": el,
                "attribute": LINK_ATTRIBUTE,
                "classification": "review_link",
                "observed": {
                    "left": uids[s.left],
                    "right": uids[s.right],
                    "left_entity": el,
                    "right_entity": er,
                    "datasets": sorted({datasets[s.left], datasets[s.right]}),
                    "probability": round(s.probability, 5),
                    "impact": link_impact(s.probability, size),
                },
                "chosen": None,
                "reason": f"match probability {s.probability:.3f} "
                + (
                    "in the review band"
                    if s.probability < spec.thresholds.auto_link
                    else "but their validated identifiers differ"
                ),
            }
        )
    return rows, reviews
