"""Field-level discrepancies between the linked records of each entity.

Per entity and attribute, over the linked records whose dataset maps the attribute:
``equal`` (same value everywhere), ``format_only`` (the harmonized values agree but
the originals differed, or a name is the same in another script), ``missing_in``
(some of those datasets lack a value the others have), ``conflict`` (the values
disagree). Each comes with the value the truth rules chose and why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from seamline.normalize.names import name_key
from seamline.reconcile.decisions import Decisions
from seamline.reconcile.golden import Candidate, Choice, choose
from seamline.reconcile.prepare import NAME_PARTS, Prepared
from seamline.reconcile.spec import ReconcileSpec

CLASSES = ("equal", "format_only", "missing_in", "conflict")


@dataclass
class Compared:
    entity_ids: list[str]
    """One per entity, sorted."""
    members: dict[str, list[int]]
    choices: dict[str, list[Choice]]
    """Attribute -> the choice per entity (in ``entity_ids`` order)."""
    discrepancies: list[dict[str, Any]] = field(default_factory=list)
    """Rows for the store's ``discrepancies`` table (everything but ``equal``)."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Attribute -> class -> count (``equal`` included)."""


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


def _compare_keys(p: Prepared, spec: ReconcileSpec, attr: str) -> list[str | None]:
    """The values as compared: name keys for names, spacing and case folded for text."""
    col = p.table.column(attr).combine_chunks()
    if attr in NAME_PARTS:
        out: list[str | None] = name_key(col, spec.name_scheme).to_pylist()
        return out
    values = col.to_pylist()
    if attr == "full_name":
        return token_keys(values, spec)
    return [re.sub(r"\s+", " ", v).strip().casefold() if v is not None else None for v in values]


def compare(
    p: Prepared, spec: ReconcileSpec, record_entity: Sequence[str], decisions: Decisions
) -> Compared:
    """Classify every (entity, attribute) and choose the golden values."""
    members: dict[str, list[int]] = {}
    for rid, eid in enumerate(record_entity):
        members.setdefault(eid, []).append(rid)
    entity_ids = sorted(members)
    datasets = p.column("dataset")
    uids = p.column("uid")
    recency = p.column("recency")
    record_nos = p.column("record_no")
    out = Compared(entity_ids, members, {})
    for attr in p.attributes:
        holders = set(p.holders.get(attr, []))
        values = p.column(attr)
        origs = p.column(f"{attr}__orig")
        keys = _compare_keys(p, spec, attr)
        rules = spec.rules_for(attr)
        auth = p.authoritative.get(attr, [])
        picks: list[Choice] = []
        counts = out.counts.setdefault(attr, dict.fromkeys(CLASSES, 0))
        for eid in entity_ids:
            rows = [r for r in members[eid] if datasets[r] in holders]
            cands = [
                Candidate(r, datasets[r], uids[r], values[r], keys[r] or values[r], recency[r])
                for r in rows
                if values[r] is not None
            ]
            choice = choose(cands, rules, auth, decisions.values.get((eid, attr)))
            picks.append(choice)
            if len(rows) < 2 or not cands:
                continue
            cls = _classify(rows, values, origs, keys)
            counts[cls] += 1
            if cls == "equal":
                continue
            observed = {
                "values": [
                    {
                        "dataset": datasets[r],
                        "record": uids[r],
                        "record_no": record_nos[r],
                        "value": values[r],
                        "original": origs[r],
                    }
                    for r in rows
                ],
                "missing_in": sorted({datasets[r] for r in rows if values[r] is None}),
            }
            out.discrepancies.append(
                {
                    "entity_type": spec.entity,
                    "entity_id": eid,
                    "attribute": attr,
                    "classification": cls,
                    "observed": observed,
                    "chosen": choice.value,
                    "reason": f"{choice.rule}: {choice.reason}",
                }
            )
        out.choices[attr] = picks
    return out


def _classify(
    rows: list[int],
    values: list[Any],
    origs: list[Any],
    keys: list[str | None],
) -> str:
    present = [r for r in rows if values[r] is not None]
    if len({keys[r] or values[r] for r in present}) > 1:
        return "conflict"
    if len(present) < len(rows):
        return "missing_in"
    if len({values[r] for r in present}) > 1 or len({origs[r] for r in present}) > 1:
        return "format_only"
    return "equal"
