"""The engine-side compare gives what the per-entity loop (``choose``/``_classify``) gives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seamline.reconcile import reconcile
from seamline.reconcile.compare import CLASSES, STORED, _classify, compare, compare_keys
from seamline.reconcile.decisions import AcceptedValue, Decisions
from seamline.reconcile.golden import Candidate, Choice, choose
from seamline.reconcile.prepare import Prepared, prepare
from seamline.reconcile.spec import ReconcileSpec
from seamline.reconcile.worklist import conflict_impact

Demo = Any


Loop = tuple[
    dict[str, list[Choice]],
    dict[str, dict[str, int]],
    list[dict[str, Any]],
    dict[tuple[str, str], str | None],
]


def loop_compare(
    p: Prepared, spec: ReconcileSpec, record_entity: Sequence[str], decisions: Decisions
) -> Loop:
    """The per-entity loop compare() was before it moved into the engine (the oracle);
    it knows nothing of ``doubtful`` values (:mod:`seamline.reconcile.doubt`), and also
    returns each (entity, attribute)'s class."""
    members: dict[str, list[int]] = {}
    for rid, eid in enumerate(record_entity):
        members.setdefault(eid, []).append(rid)
    entity_ids = sorted(members)
    datasets, uids = p.column("dataset"), p.column("uid")
    recency, record_nos = p.column("recency"), p.column("record_no")
    choices: dict[str, list[Choice]] = {}
    counts: dict[str, dict[str, int]] = {}
    rows: list[dict[str, Any]] = []
    classes: dict[tuple[str, str], str | None] = {}
    for attr in p.attributes:
        holders = set(p.holders.get(attr, []))
        values, origs = p.column(attr), p.column(f"{attr}__orig")
        keys = compare_keys(p, spec, attr).to_pylist()
        picks: list[Choice] = []
        c = counts.setdefault(attr, dict.fromkeys(CLASSES, 0))
        for eid in entity_ids:
            mine = [r for r in members[eid] if datasets[r] in holders]
            cands = [
                Candidate(r, datasets[r], uids[r], values[r], keys[r] or values[r], recency[r])
                for r in mine
                if values[r] is not None
            ]
            choice = choose(
                cands,
                spec.rules_for(attr),
                p.authoritative.get(attr, []),
                decisions.values.get((eid, attr)),
            )
            picks.append(choice)
            classes[(eid, attr)] = None
            if len(mine) < 2 or not cands:
                continue
            cls = _classify(mine, values, origs, keys)
            classes[(eid, attr)] = cls
            c[cls] += 1
            if cls not in STORED:
                continue
            observed = [
                {
                    "dataset": datasets[r],
                    "record": uids[r],
                    "record_no": record_nos[r],
                    "value": values[r],
                    "original": origs[r],
                }
                for r in mine
            ]
            rows.append(
                {
                    "entity_type": spec.entity,
                    "entity_id": eid,
                    "attribute": attr,
                    "classification": cls,
                    "observed": {
                        "values": observed,
                        "missing_in": sorted({datasets[r] for r in mine if values[r] is None}),
                        "impact": conflict_impact(attr, len(members[eid]))
                        if cls == "conflict"
                        else 0.0,
                    },
                    "chosen": choice.value,
                    "reason": f"{choice.rule}: {choice.reason}",
                }
            )
        choices[attr] = picks
    return choices, counts, rows, classes


def _same(
    p: Prepared, spec: ReconcileSpec, record_entity: Sequence[str], decisions: Decisions
) -> None:
    got = compare(p, spec, record_entity, decisions)
    choices, counts, rows, classes = loop_compare(p, spec, record_entity, decisions)
    assert got.entity_ids == sorted(set(record_entity))
    for attr, want in choices.items():
        assert [got.choices[attr][i] for i in range(len(want))] == want, attr
    # A doubtful value is one the loop left unstored (equal, format-only or unclassified).
    doubted = [r for r in got.discrepancies if r["classification"] == "doubtful"]
    for r in doubted:
        before = classes[(r["entity_id"], r["attribute"])]
        assert before not in ("conflict", "missing_in") and ", but " in r["reason"]
        counts[r["attribute"]]["doubtful"] += 1
        if before is not None:
            counts[r["attribute"]][before] -= 1
    assert got.counts == counts
    assert [r for r in got.discrepancies if r["classification"] != "doubtful"] == rows
    for ex in got.examples:
        assert ex["classification"] == "format_only"


_VALUES = st.sampled_from([None, "a", "A", " a", "b", "B ", "c"])
_RECENCY = st.sampled_from([None, "20240101000000", "20250101000000"])
_DATASETS = ("civil", "tax", "social")
_RULES = st.permutations(["authoritative", "most_recent", "most_frequent"]).flatmap(
    lambda order: st.integers(0, 3).map(lambda n: order[:n])
)


@st.composite
def _inputs(draw: st.DrawFn) -> tuple[Prepared, ReconcileSpec, list[str], Decisions]:
    n = draw(st.integers(1, 14))
    datasets = [draw(st.sampled_from(_DATASETS)) for _ in range(n)]
    values = [draw(_VALUES) for _ in range(n)]
    origs = [v if draw(st.booleans()) or v is None else v.upper() + "." for v in values]
    status = [draw(_VALUES) for _ in range(n)]
    table = pa.table(
        {
            "rid": pa.array(range(n), pa.int64()),
            "dataset": datasets,
            "record_no": list(range(1, n + 1)),
            # Repeated keys: ties on (dataset, uid) fall back to record order.
            "uid": [f"{d}:{draw(st.integers(1, 3))}" for d in datasets],
            "recency": pa.array([draw(_RECENCY) for _ in range(n)], pa.string()),
            "status": pa.array(values, pa.string()),
            "status__orig": pa.array(origs, pa.string()),
            "marital": pa.array(status, pa.string()),
            "marital__orig": pa.array(status, pa.string()),
        }
    )
    holders = {
        "status": draw(st.lists(st.sampled_from(_DATASETS), min_size=1, unique=True)),
        "marital": list(_DATASETS),
    }
    auth = {"status": draw(st.lists(st.sampled_from(_DATASETS), unique=True))}
    p = Prepared(table, ["status", "marital"], holders, auth, list(_DATASETS))
    spec = ReconcileSpec(
        truth=draw(_RULES), truth_by_attribute={"marital": ["most_frequent", "most_recent"]}
    )
    entities = [f"e{draw(st.integers(0, 3))}" for _ in range(n)]
    decisions = Decisions()
    if draw(st.booleans()):
        decisions.values[(entities[0], "status")] = AcceptedValue(3, draw(_VALUES), "Aigul", "seen")
    return p, spec, entities, decisions


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_inputs())
def test_engine_compare_equals_the_loop_on_small_inputs(
    case: tuple[Prepared, ReconcileSpec, list[str], Decisions],
) -> None:
    _same(*case)


def test_engine_compare_equals_the_loop_on_the_demo(demo: Demo) -> None:
    run_id = demo.store.start_run("reconcile", workspace=demo.ws.name)
    res = reconcile(demo.ws, demo.store, run_id).specs[0]
    spec = ReconcileSpec(truth_by_attribute={"status": ["most_frequent", "most_recent"]})
    p = prepare(demo.ws, spec)
    mapping = pq.read_table(res.mapping)
    entity = dict(
        zip(mapping.column("uid").to_pylist(), mapping.column("entity_id").to_pylist(), strict=True)
    )
    record_entity = [entity[u] for u in p.column("uid")]
    first = sorted(set(record_entity))[0]
    decisions = Decisions(values={(first, "birth_date"): AcceptedValue(1, "1970-01-01", "A", "b")})
    _same(p, spec, record_entity, decisions)


def test_key_codes_equal_exactly_where_compare_keys_are_equal() -> None:
    from seamline.reconcile.compare import _key_codes

    values = pa.array(["Ann", "ANN", "x", "y", None, "x", "z"], pa.string())
    keys = pa.array(["ann", "ann", "", None, None, "x", "ann"], pa.string())
    codes = _key_codes(values, keys).to_pylist()
    # Keyed values share a code; an empty or missing key falls back to the value.
    assert codes[0] == codes[1] == codes[6]
    assert codes[2] == codes[5] and codes[2] != codes[0]
    assert codes[3] not in (codes[0], codes[2])
    assert codes[4] is None


def test_name_keys_fold_variants_only_where_a_value_was_romanized() -> None:
    from types import SimpleNamespace

    spec = ReconcileSpec()
    latin = pa.table(
        {"family_name": pa.array(["Howard", "HOWARD", "Howaard", "Smyth", "Zoë", "ZOE"])}
    )
    p: Any = SimpleNamespace(table=latin, name_keys={}, plan=None)
    keys = compare_keys(p, spec, "family_name").to_pylist()
    # Case is a format; a doubled letter or y for i is a different spelling.
    assert keys[0] == keys[1] and keys[2] != keys[0] and keys[3] == "smyth"
    assert keys[4] == keys[5]  # a diaeresis is a diacritic here, not a Cyrillic yo
    mixed = pa.table({"family_name": pa.array(["Жылдыз", "Jyldyz", "Zhyldyz"])})
    p = SimpleNamespace(table=mixed, name_keys={}, plan=None)
    keys = compare_keys(p, spec, "family_name").to_pylist()
    assert keys[0] == keys[1] == keys[2]
