"""Field-level discrepancies between the linked records of each entity.

Per entity and attribute, over the linked records whose dataset maps the attribute:
``equal`` (same value everywhere), ``format_only`` (the harmonized values agree but
the originals differed, or a name is the same in another script), ``missing_in``
(some of those datasets lack a value the others have), ``conflict`` (the values
disagree). Each comes with the value the truth rules chose and why.

Every entity is classified and decided at once in the engine (:mod:`.truth_sql`).
Only what a steward acts on becomes a stored row (``conflict`` and ``missing_in``);
``equal`` and ``format_only`` are counted per attribute, with a few ``format_only``
examples kept for the report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.crypto.parquet import PLAIN, ParquetFiles
from seamline.engine import Engine
from seamline.normalize.names import name_key, spelling_key
from seamline.normalize.registry import default_normalizers
from seamline.reconcile.decisions import Decisions
from seamline.reconcile.doubt import attribute_doubts, other_scripts
from seamline.reconcile.golden import Candidate, Picks, choose
from seamline.reconcile.prepare import NAME_PARTS, Prepared
from seamline.reconcile.spec import ReconcileSpec
from seamline.reconcile.truth_sql import (
    ENTITIES_SQL,
    PAIRS_SQL,
    RANKED_SQL,
    attribute_sql,
    observed_sql,
)
from seamline.reconcile.worklist import conflict_impact

CLASSES = ("equal", "format_only", "missing_in", "conflict", "doubtful")
STORED = ("conflict", "missing_in", "doubtful")
"""Classes stored row by row; the others are counted."""
EXAMPLES = 2
"""``format_only`` rows kept per attribute for the report's examples."""


@dataclass
class Compared:
    entity_ids: list[str]
    """One per entity, sorted."""
    record_counts: list[int]
    """Records per entity (in ``entity_ids`` order)."""
    datasets: list[str]
    """Per entity, the datasets holding it, sorted and joined by ``;``."""
    choices: dict[str, Picks]
    """Attribute -> the choice per entity (in ``entity_ids`` order)."""
    discrepancies: list[dict[str, Any]] = field(default_factory=list)
    """Rows for the store's ``discrepancies`` table: the classes in :data:`STORED`."""
    examples: list[dict[str, Any]] = field(default_factory=list)
    """Rows like ``discrepancies`` for a few ``format_only`` cases (the report's examples)."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Attribute -> class -> count (``equal`` included)."""
    pair_links: dict[str, int] = field(default_factory=dict)
    """"a|b" -> entities holding records of both (two records of ``a`` when a == b)."""

    def sizes(self) -> dict[str, int]:
        return dict(zip(self.entity_ids, self.record_counts, strict=True))


def token_keys(values: list[str | None], spec: ReconcileSpec) -> list[str | None]:
    """Per full name, its words' name keys sorted: word order and script do not matter."""
    distinct = sorted({v for v in values if v})
    words = sorted({w for v in distinct for w in v.split()})
    keyed = dict(
        zip(
            words, name_key(pa.array(words, pa.string()), spec.name_scheme).to_pylist(), strict=True
        )
    )
    joined = {
        v: " ".join(sorted(k for w in v.split() if (k := keyed[w]))) or None for v in distinct
    }
    return [joined[v] if v else None for v in values]


def _text_key(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().casefold()


# Python's whitespace within ASCII: what ``\s`` and ``str.strip`` see there.
_ASCII_SPACE = "[ \t\n\r\f\v\x1c\x1d\x1e\x1f]+"


def text_keys(texts: pa.Array[Any]) -> pa.Array[Any]:
    """:func:`_text_key` of every value: Arrow kernels for ASCII text, Python for the rest.

    Identifiers are nearly all distinct and ASCII: for 865,000 of them the per-value
    Python took 1.0 s, these kernels 0.14 s. For ASCII text, collapsing runs of ASCII
    whitespace to one space, trimming spaces and lower-casing is exactly that function.
    """
    k: Any = pc  # pyarrow-stubs reject these kernels' Array[Any] arguments; tests check
    ascii_ = k.fill_null(k.string_is_ascii(texts), True)
    fast: pa.Array[Any] = k.ascii_lower(
        k.utf8_trim(k.replace_substring_regex(texts, _ASCII_SPACE, " "), " ")
    )
    if k.all(ascii_).as_py():
        return fast
    rest = k.invert(ascii_)
    others: list[str] = k.filter(texts, rest).to_pylist()
    keyed = pa.array([_text_key(v) for v in others], pa.string())
    # Row i's Python key is keyed[(non-ASCII rows up to i) - 1]; ASCII rows before the
    # first non-ASCII one point at 0 and are not taken from it.
    before = k.subtract(k.cumulative_sum(k.cast(rest, pa.int64())), 1)
    slow = k.take(keyed, k.max_element_wise(before, 0))
    out: pa.Array[Any] = k.if_else(rest, slow, fast)
    return out


def compare_keys(p: Prepared, spec: ReconcileSpec, attr: str) -> pa.Array[Any]:
    """The values as compared: name keys for names, spacing and case folded for text."""
    col = p.table.column(attr).combine_chunks()
    if p.plan is not None and attr in p.plan.compare_keys:
        # Organisation names: case, punctuation and legal-form words folded, so
        # 'ACME LTD' and 'Acme Limited' differ in format only.
        return p.plan.compare_keys[attr]
    if attr in NAME_PARTS:
        if not other_scripts(col):
            # One script only: no romanization to undo, so a letter more or less is a
            # genuine spelling difference ('Howaard' against 'Howard'), not a variant.
            return spelling_key(col)
        keyed = p.name_keys.get(attr)  # computed by prepare already
        return keyed if keyed is not None else name_key(col, spec.name_scheme)
    # Keyed once per distinct value: registers repeat the same dates and codes a lot.
    distinct = pc.unique(col).drop_null()
    if attr == "full_name":
        keyed = pa.array(token_keys(distinct.to_pylist(), spec), pa.string())
    else:
        keyed = text_keys(distinct.cast(pa.string()))
    return pc.take(keyed, pc.index_in(col, value_set=distinct))


def _records(
    p: Prepared, spec: ReconcileSpec, record_entity: Sequence[str] | pa.Array[Any]
) -> tuple[pa.Table, pa.Array[Any]]:
    """The engine's input, entities numbered in id order (grouping on numbers is faster)."""
    t = p.table
    entity = (
        record_entity
        if isinstance(record_entity, pa.Array)
        else pa.array(list(record_entity), pa.string())
    )
    ids = pc.unique(entity)
    ids = ids.take(pc.sort_indices(ids))
    cols: dict[str, Any] = {
        "rid": t.column("rid"),
        "entity": pc.index_in(entity, value_set=ids),
        "dataset": t.column("dataset"),
        "uid": t.column("uid"),
        "record_no": t.column("record_no"),
        "recency": t.column("recency"),
    }
    for i, attr in enumerate(p.attributes):
        cols[f"v{i}"] = t.column(attr)
        cols[f"o{i}"] = t.column(f"{attr}__orig")
        cols[f"k{i}"] = _key_codes(t.column(attr).combine_chunks(), compare_keys(p, spec, attr))
    recs = pa.table(cols)
    # Each record's rank by (dataset, uid, rid), the order ties are broken in, numbered
    # here: a row_number over the whole table is one sort on one partition on Spark.
    order = pc.sort_indices(recs, [(c, "ascending") for c in ("dataset", "uid", "rid")])
    ranks = np.empty(len(order), np.int64)
    ranks[order.to_numpy()] = np.arange(1, len(order) + 1)
    return recs.append_column("ord", pa.array(ranks)), ids


def _key_codes(values: pa.Array[Any], keys: pa.Array[Any]) -> pa.Array[Any]:
    """The compare key (the value where it has none) as an integer code per distinct key.

    The engine only tests keys for equality (group by, min = max), and integers group and
    aggregate much faster than strings.
    """
    fill: Any = pc.fill_null
    empty = fill(pc.equal(keys, pa.scalar("")), True)
    chosen: Any = pc.if_else(empty, values, keys)
    codes: pa.Array[Any] = pc.dictionary_encode(chosen).indices
    return codes


def _holders(p: Prepared) -> pa.Table:
    attr: list[int] = []
    dataset: list[str] = []
    auth: list[bool] = []
    for i, a in enumerate(p.attributes):
        for d in dict.fromkeys(p.holders.get(a, [])):
            attr.append(i)
            dataset.append(d)
            auth.append(d in p.authoritative.get(a, []))
    return pa.table(
        {
            "attr": pa.array(attr, pa.int64()),
            "dataset": pa.array(dataset, pa.string()),
            "auth": pa.array(auth, pa.bool_()),
        }
    )


def compare(
    p: Prepared,
    spec: ReconcileSpec,
    record_entity: Sequence[str] | pa.Array[Any],
    decisions: Decisions,
    *,
    files: ParquetFiles = PLAIN,
    engine: Engine | None = None,
) -> Compared:
    """Classify every (entity, attribute) and choose the golden values on ``engine`` (the
    workspace's; by default an embedded one that spills where ``files`` say)."""
    if engine is None:
        with files.engine() as embedded:
            return _compare(p, spec, record_entity, decisions, embedded)
    return _compare(p, spec, record_entity, decisions, engine)


def _compare(
    p: Prepared,
    spec: ReconcileSpec,
    record_entity: Sequence[str] | pa.Array[Any],
    decisions: Decisions,
    engine: Engine,
) -> Compared:
    doubt_flags = default_normalizers().doubt_flags()
    recs, ids = _records(p, spec, record_entity)
    engine.register_arrow("recs_in", recs)
    engine.register_arrow("hold", _holders(p))
    engine.execute(RANKED_SQL)
    ents = engine.arrow(ENTITIES_SQL)
    engine.register_arrow("ents", ents.select(["entity"]))
    entity_ids: list[Any] = ids.to_pylist()
    records: list[Any] = ents.column("records").to_pylist()
    held: list[Any] = ents.column("datasets").to_pylist()
    out = Compared(entity_ids, records, held, {})
    pairs = engine.arrow(PAIRS_SQL)
    names: list[Any] = pairs.column("pair").to_pylist()
    found: list[Any] = pairs.column("entities").to_pylist()
    out.pair_links = dict(zip(names, found, strict=True))
    for i, attr in enumerate(p.attributes):
        decided = engine.arrow(attribute_sql(i, spec.rules_for(attr)))
        picks = Picks.from_table(entity_ids, decided)
        overrides = {e: d for (e, a), d in decisions.values.items() if a == attr}
        if overrides:
            picks = _apply_decisions(p, spec, attr, record_entity, picks, overrides)
        out.choices[attr] = picks
        classes: list[Any] = decided.column("cls").to_pylist()
        why = attribute_doubts(p, spec, recs, i, attr, picks, classes, doubt_flags)
        for pos in why:
            classes[pos] = "doubtful"
        counts = dict.fromkeys(CLASSES, 0)
        counts.update(Counter(c for c in classes if c is not None))
        out.counts[attr] = counts
        _rows(engine, out, spec, i, attr, classes, picks, why)
    return out


def _rows(
    engine: Engine,
    out: Compared,
    spec: ReconcileSpec,
    i: int,
    attr: str,
    classes: list[Any],
    picks: Picks,
    why: dict[int, str],
) -> None:
    """Stored rows for the stored classes, example rows for a few ``format_only``;
    ``why`` says per position why a ``doubtful`` value is."""
    fmt = [n for n, c in enumerate(classes) if c == "format_only"][:EXAMPLES]
    positions = sorted([*(n for n, c in enumerate(classes) if c in STORED), *fmt])
    if not positions:
        return
    engine.register_arrow("want", pa.table({"entity": pa.array(positions, pa.int64())}))
    observed = engine.arrow(observed_sql(i))
    vals: list[Any] = observed.column("vals").to_pylist()
    sizes = out.record_counts
    for pos, values, choice in zip(positions, vals, picks.at(positions), strict=True):
        c = classes[pos]
        eid = out.entity_ids[pos]
        row = {
            "entity_type": spec.entity,
            "entity_id": eid,
            "attribute": attr,
            "classification": c,
            "observed": {
                "values": values,
                "missing_in": sorted({v["dataset"] for v in values if v["value"] is None}),
                "impact": conflict_impact(attr, sizes[pos])
                if c in ("conflict", "doubtful")
                else 0.0,
            },
            "chosen": choice.value,
            "reason": f"{choice.rule}: {choice.reason}"
            + (f", but {why[pos]}" if pos in why else ""),
        }
        (out.discrepancies if c in STORED else out.examples).append(row)


def _apply_decisions(
    p: Prepared,
    spec: ReconcileSpec,
    attr: str,
    record_entity: Sequence[str] | pa.Array[Any],
    picks: Picks,
    overrides: dict[str, Any],
) -> Picks:
    """A steward's accepted value replaces the rules' choice (few entities: plain Python)."""
    index = {e: n for n, e in enumerate(picks.entity)}
    wanted = {e for e in overrides if e in index}
    if not wanted:
        return picks
    holders = set(p.holders.get(attr, []))
    datasets, uids = p.column("dataset"), p.column("uid")
    values, recency = p.column(attr), p.column("recency")
    keys: list[str | None] = compare_keys(p, spec, attr).to_pylist()
    cands: dict[str, list[Candidate]] = {e: [] for e in wanted}
    entities = record_entity.to_pylist() if isinstance(record_entity, pa.Array) else record_entity
    for r, eid in enumerate(entities):
        if eid in wanted and datasets[r] in holders and values[r] is not None:
            cands[eid].append(
                Candidate(r, datasets[r], uids[r], values[r], keys[r] or values[r], recency[r])
            )
    auth = p.authoritative.get(attr, [])
    changed = {index[e]: choose(cands[e], spec.rules_for(attr), auth, overrides[e]) for e in wanted}
    return picks.replaced(changed)


def _classify(
    rows: list[int],
    values: list[Any],
    origs: list[Any],
    keys: list[str | None],
) -> str:
    """The classification of one entity's records (the definition the engine query follows)."""
    present = [r for r in rows if values[r] is not None]
    if len({keys[r] or values[r] for r in present}) > 1:
        return "conflict"
    if len(present) < len(rows):
        return "missing_in"
    if len({values[r] for r in present}) > 1 or len({origs[r] for r in present}) > 1:
        return "format_only"
    return "equal"
