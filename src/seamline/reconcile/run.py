"""``reconcile(ws, store, run_id)``: link, cluster, compare, publish, score."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.engine import Engine
from seamline.reconcile.cluster import (
    MAP_FILE,
    Ints,
    cluster_arrays,
    entity_ids,
    read_previous,
    write_mapping,
)
from seamline.reconcile.compare import Compared, compare
from seamline.reconcile.decisions import Decisions, active_decisions
from seamline.reconcile.deterministic import deterministic_edges
from seamline.reconcile.evaluate import evaluate
from seamline.reconcile.explain import model_path, model_record, write_model
from seamline.reconcile.features import id_feature
from seamline.reconcile.golden import write_golden
from seamline.reconcile.prepare import NothingHarmonized, Prepared, prepare
from seamline.reconcile.probabilistic import Scored, score_pairs
from seamline.reconcile.records import records_path, write_records
from seamline.reconcile.report import examples
from seamline.reconcile.shared_ids import shared_identifier_pairs
from seamline.reconcile.spec import ReconcileSpec, load_reconcile_specs
from seamline.reconcile.worklist import (
    KINDS,
    LINK_ATTRIBUTE,
    link_impact,
    store_rows,
)
from seamline.store import Store
from seamline.workspace.engines import open_engine
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
    """Wall seconds per phase: prepare, splink, charts, model, cluster, compare, store,
    evaluate."""
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU seconds per phase (this process's threads, the engine's included): on a busy
    machine the wall time also holds the wait for a core."""
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Value-free discrepancy and review examples for the report (:func:`report.examples`)."""
    datasets: list[str] = field(default_factory=list)
    """The datasets linked."""
    unharmonized: list[str] = field(default_factory=list)
    """Datasets of the entity left out because they were never harmonized."""
    notes: list[str] = field(default_factory=list)
    """Why part of the linkage could not run on this data (one sentence each)."""
    model: Scored | None = None
    """The probabilistic model used: rules with their pair counts, trained parameters."""
    described: dict[str, Any] = field(default_factory=dict)
    """The model as written to ``reference/<spec>.model.json`` (:mod:`explain`)."""


class Clock:
    """Wall and CPU seconds per phase, each lap from the end of the one before."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._at = (time.perf_counter(), time.process_time())

    def lap(self, phase: str, *, less: tuple[float, float] = (0.0, 0.0)) -> None:
        """Close ``phase``; ``less``: (wall, CPU) seconds inside it counted elsewhere."""
        now = (time.perf_counter(), time.process_time())
        self.wall[phase] = now[0] - self._at[0] - less[0]
        self.cpu[phase] = now[1] - self._at[1] - less[1]
        self._at = now

    def add(self, phase: str, spent: tuple[float, float]) -> None:
        self.wall[phase], self.cpu[phase] = spent

    @staticmethod
    def rounded(times: dict[str, float]) -> dict[str, float]:
        return {k: round(v, 3) for k, v in times.items()}


@dataclass
class ReconcileResult:
    run_id: int
    specs: list[SpecResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Why specs were not reconciled (none of their datasets harmonized yet)."""

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

    ``exclude``: datasets an earlier stage failed on, left out of the linkage. Datasets
    without a harmonized file (a run restricted to others) are left out too; a spec none
    of whose datasets is harmonized is skipped and named in ``skipped``.
    """
    result = ReconcileResult(run_id)
    decisions = active_decisions(store)
    if specs is None:
        specs = load_reconcile_specs(ws.root)
        default = ReconcileSpec()
        if specs == [default] and not any(d.entity == default.entity for d in ws.datasets.values()):
            # No reconcile/ spec and no Person dataset (billing lines, payments...):
            # the implicit Person spec has nothing to link; that is no failure.
            result.skipped.append(
                "no reconcile/ spec and no dataset of the entity Person; nothing to link"
            )
            return result
    for spec in specs:
        clock = Clock()
        try:
            p = prepare(ws, spec, exclude or set())
        except NothingHarmonized as exc:
            result.skipped.append(f"{exc.message}; skipped")
            continue
        clock.lap("prepare")
        # The workspace's engine: Splink's backend and the golden records' queries run on
        # it; clustering, ids and the store's rows in this process.
        with open_engine(ws.project, embedded=ws.parquet.engine) as engine:
            result.specs.append(_one(ws, store, run_id, spec, p, decisions, clock, engine))
    return result


def _pair_index(
    p: Prepared, decisions: Decisions
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Steward-forced and rejected links as record index pairs (those whose records exist)."""
    if not decisions.forced and not decisions.rejected:
        return [], []
    pairs = [*sorted(decisions.forced), *decisions.rejected]
    wanted = pa.array([u for pair in pairs for u in pair], pa.string())
    found: list[int | None] = pc.index_in(wanted, value_set=p.table.column("uid")).to_pylist()
    index = [
        (a, b)
        for a, b in zip(found[0::2], found[1::2], strict=True)
        if a is not None and b is not None
    ]
    both = [a is not None and b is not None for a, b in zip(found[0::2], found[1::2], strict=True)]
    n_forced = sum(both[: len(decisions.forced)])
    return index[:n_forced], index[n_forced:]


def _link(
    p: Prepared, spec: ReconcileSpec, scored: pa.Table, decisions: Decisions
) -> tuple[Ints, dict[str, int]]:
    """Cluster the records: decisions, then shared validated ids, then Splink's links."""
    forced, rejected = _pair_index(p, decisions)
    edges = [deterministic_edges(p.table.column(f"f_det_{d}")) for d in p.exact()]
    det_l = np.concatenate([np.zeros(0, np.int64), *(e[0] for e in edges)])
    det_r = np.concatenate([np.zeros(0, np.int64), *(e[1] for e in edges)])
    forced_l = np.array([a for a, _ in forced], np.int64)
    forced_r = np.array([b for _, b in forced], np.int64)
    probs = scored.column("probability").to_numpy()
    auto = np.flatnonzero(probs >= spec.thresholds.auto_link)
    auto = auto[np.argsort(-probs[auto], kind="stable")]
    weak = (
        scored.column("left").to_numpy()[auto].astype(np.int64),
        scored.column("right").to_numpy()[auto].astype(np.int64),
    )
    n = p.table.num_rows
    unique = p.unique()
    det_ids = (
        p.table.column(f"f_det_{unique[0]}").combine_chunks()
        if unique
        else pa.nulls(n, pa.string())
    )
    clusters = cluster_arrays(
        n,
        (np.concatenate([forced_l, det_l]), np.concatenate([forced_r, det_r])),
        weak,
        det_ids,
        rejected,
    )
    applied = {
        "deterministic": len(det_l),
        "probabilistic": len(auto),
        "decision": len(forced),
        "rejected": len(rejected),
    }
    return clusters, applied


def _one(
    ws: Workspace,
    store: Store,
    run_id: int,
    spec: ReconcileSpec,
    p: Prepared,
    decisions: Decisions,
    clock: Clock,
    engine: Engine,
) -> SpecResult:
    n = p.table.num_rows
    unique = p.unique()
    model = score_pairs(
        p.table,
        spec,
        [id_feature(a) for a in p.identifiers if a not in unique],
        [f"f_det_{a}" for a in unique],
        p.plan,
        files=ws.parquet,
        linkage=engine.linkage(),
    )
    scored = model.pairs
    clock.lap("splink", less=model.chart_seconds)
    clock.add("charts", model.chart_seconds)
    described = model_record(model, n, unique)
    write_model(model_path(ws.data_dir / "reference", spec.id), described)
    clock.lap("model")
    clusters, applied = _link(p, spec, scored, decisions)
    uids = p.table.column("uid").combine_chunks()
    map_path = ws.data_dir / "reference" / MAP_FILE
    record_entity = entity_ids(
        clusters, uids, read_previous(ws.parquet, map_path, spec.id), spec.id
    )
    write_mapping(ws.parquet, map_path, spec.id, uids, record_entity)
    clock.lap("cluster")
    compared = compare(p, spec, record_entity, decisions, files=ws.parquet, engine=engine)
    golden_path = ws.data_dir / "reference" / f"{spec.id}.parquet"
    write_golden(
        ws.parquet,
        golden_path,
        compared.entity_ids,
        compared.record_counts,
        compared.datasets,
        p.attributes,
        compared.choices,
    )
    write_records(
        ws.parquet, records_path(ws.data_dir / "reference", spec.id), p.table, p.attributes
    )
    clock.lap("compare")
    rows, reviews = _store_rows(p, spec, compared, scored, record_entity, decisions)
    store_rows(store, run_id, rows)
    clock.lap("store")
    det_col = f"f_det_{p.exact()[0]}" if p.exact() else None
    det_ids = p.table.column(det_col) if det_col else pa.nulls(n, pa.string())
    metrics = evaluate(
        ws.root,
        ws.project.evaluate,
        uids,
        record_entity,
        compared.entity_ids,
        compared.choices,
        det_ids,
        name_scheme=spec.name_scheme,
        listed=_listed(rows),
    )
    clock.lap("evaluate")
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
        seconds=clock.rounded(clock.wall),
        cpu_seconds=clock.rounded(clock.cpu),
        examples={
            **examples([*rows, *compared.examples], _named(ws, p)),
            "waterfalls": _waterfalls(p, model, record_entity),
        },
        datasets=list(p.datasets),
        unharmonized=list(p.unharmonized),
        notes=[model.note] if model.note else [],
        model=model,
        described=described,
    )


def _store_rows(
    p: Prepared,
    spec: ReconcileSpec,
    compared: Compared,
    scored: pa.Table,
    record_entity: pa.Array[Any],
    decisions: Decisions,
) -> tuple[list[dict[str, Any]], int]:
    """The discrepancy rows plus a ``review_link`` row per scored pair left unlinked."""
    rows = list(compared.discrepancies)
    left, right = scored.column("left"), scored.column("right")
    el, er = record_entity.take(left), record_entity.take(right)
    apart = pc.not_equal(el, er)
    _, rejected = _pair_index(p, decisions)
    skip = {(a, b) for a, b in rejected} | {(b, a) for a, b in rejected}
    if not pc.any(apart).as_py():
        return _shared(p, spec, compared, record_entity, skip, rows, 0)
    pick = np.flatnonzero(apart.to_numpy(zero_copy_only=False))
    lefts: list[Any] = left.take(pick).to_pylist()
    rights: list[Any] = right.take(pick).to_pylist()
    probs: list[Any] = scored.column("probability").take(pick).to_pylist()
    el_list: list[Any] = el.take(pick).to_pylist()
    er_list: list[Any] = er.take(pick).to_pylist()
    ends = pa.array([*lefts, *rights], pa.int64())
    uid_of: list[Any] = p.table.column("uid").take(ends).to_pylist()
    dataset_of: list[Any] = p.table.column("dataset").take(ends).to_pylist()
    k = len(lefts)
    sizes = compared.sizes()
    reviews = 0
    for i, (a, b, prob, left_e, right_e) in enumerate(
        zip(lefts, rights, probs, el_list, er_list, strict=True)
    ):
        if (a, b) in skip:
            continue
        reviews += 1
        size = sizes[left_e] + sizes[right_e]
        rows.append(
            {
                "entity_type": spec.entity,
                "entity_id": left_e,
                "attribute": LINK_ATTRIBUTE,
                "classification": "review_link",
                "observed": {
                    "left": uid_of[i],
                    "right": uid_of[k + i],
                    "left_entity": left_e,
                    "right_entity": right_e,
                    "datasets": sorted({dataset_of[i], dataset_of[k + i]}),
                    "probability": round(prob, 5),
                    "impact": link_impact(prob, size),
                },
                "chosen": None,
                "reason": f"match probability {prob:.3f} "
                + (
                    "in the review band"
                    if prob < spec.thresholds.auto_link
                    else "but their validated identifiers differ"
                ),
            }
        )
    return _shared(p, spec, compared, record_entity, skip, rows, reviews)


def _shared(
    p: Prepared,
    spec: ReconcileSpec,
    compared: Compared,
    record_entity: pa.Array[Any],
    skip: set[tuple[int, int]],
    rows: list[dict[str, Any]],
    reviews: int,
) -> tuple[list[dict[str, Any]], int]:
    """``rows`` plus a ``review_link`` row for each pair of entities that share a person's
    identifier (:mod:`.shared_ids`) and are not in review already."""
    listed = {
        frozenset((r["observed"]["left_entity"], r["observed"]["right_entity"]))
        for r in rows
        if r["classification"] == "review_link"
    }
    sizes = compared.sizes()
    entity: list[Any] = record_entity.to_pylist()
    uids, datasets = p.column("uid"), p.column("dataset")
    for attr, a, b in shared_identifier_pairs(p, record_entity):
        ends = frozenset((entity[a], entity[b]))
        if (a, b) in skip or ends in listed:
            continue
        listed.add(ends)
        reviews += 1
        rows.append(
            {
                "entity_type": spec.entity,
                "entity_id": entity[a],
                "attribute": LINK_ATTRIBUTE,
                "classification": "review_link",
                "observed": {
                    "left": uids[a],
                    "right": uids[b],
                    "left_entity": entity[a],
                    "right_entity": entity[b],
                    "datasets": sorted({datasets[a], datasets[b]}),
                    "probability": None,
                    "impact": link_impact(1.0, sizes[entity[a]] + sizes[entity[b]]),
                },
                "chosen": None,
                "reason": f"the entities share the validated {attr} but were not linked",
            }
        )
    return rows, reviews


def _named(ws: Workspace, p: Prepared) -> set[str]:
    """Datasets whose records the report may name by source key: no key column is a
    value of a person (mapped to an attribute, or a field marked personal or special)."""
    out: set[str] = set()
    for dataset in p.datasets:
        personal = {
            f.column
            for f in ws.datasets[dataset].mappings()
            if f.attribute or f.sensitivity in ("personal", "special")
        }
        if not personal & set(p.key_columns.get(dataset, [])):
            out.add(dataset)
    return out


def _waterfalls(p: Prepared, model: Scored, record_entity: pa.Array[Any]) -> list[dict[str, Any]]:
    """The model's example waterfalls, their records named by dataset and entity only."""
    out = []
    for w in model.charts.get("waterfalls", []):
        ends = pa.array([w["left"], w["right"]], pa.int64())
        out.append(
            {
                "datasets": p.table.column("dataset").take(ends).to_pylist(),
                "entities": record_entity.take(ends).to_pylist(),
                **{k: w[k] for k in ("prior", "steps", "match_weight", "probability")},
            }
        )
    return out


def _listed(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Attribute -> the entities on the worklist for it (a conflict or a doubtful
    value: the classes ``seamline reconcile worklist`` shows); under
    :data:`LINK_ATTRIBUTE`, the entities on either side of a link in review (the steward
    deciding it sees both entities' records)."""
    out: dict[str, set[str]] = {}
    for row in rows:
        if row["classification"] not in KINDS:
            continue
        if row["classification"] == "review_link":
            obs = row["observed"]
            out.setdefault(LINK_ATTRIBUTE, set()).update((obs["left_entity"], obs["right_entity"]))
        else:
            out.setdefault(row["attribute"], set()).add(row["entity_id"])
    return out
