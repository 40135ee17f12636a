"""Scoring against ground truth (the demo's ``_truth/``); the pipeline never reads it.

Links are scored pairwise: a pair of records is a true link when both belong to the
same person. Golden values are scored per attribute on each entity, against the
person most of its records belong to.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from math import comb
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from seamline.normalize.names import name_key
from seamline.reconcile.golden import Picks

if TYPE_CHECKING:
    _Column = pa.Array[Any] | pa.ChunkedArray[Any]

TRUTH_COLUMNS = {
    "national_id": "pin",
    "tax_number": "tin",
    "family_name": "family_name",
    "given_name": "given_name",
    "patronymic": "patronymic",
    "sex": "sex",
    "birth_date": "birth_date",
    "marital_status": "marital_status",
    "status": "status",
    "death_date": "death_date",
    "address_id": "address_id",
}
_SEX = {"M": "male", "F": "female"}
_NAMES = ("family_name", "given_name", "patronymic")


def _pairs(labels: Sequence[Any]) -> int:
    return sum(comb(n, 2) for n in Counter(labels).values())


def pairwise(entity: Sequence[str], person: Sequence[str]) -> dict[str, float]:
    """Precision, recall and F1 of the links implied by two labelings of the same records."""
    predicted, true = _pairs(entity), _pairs(person)
    both = _pairs(list(zip(entity, person, strict=True)))
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "true_pairs": true,
        "predicted_pairs": predicted,
        "correct_pairs": both,
    }


def _difference(everything: dict[str, float], identified: dict[str, float]) -> dict[str, float]:
    """Pairwise scores over the pairs not made of two identified records."""
    true = everything["true_pairs"] - identified["true_pairs"]
    predicted = everything["predicted_pairs"] - identified["predicted_pairs"]
    both = everything["correct_pairs"] - identified["correct_pairs"]
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "true_pairs": true,
        "predicted_pairs": predicted,
        "correct_pairs": both,
    }


def _listed(values: Sequence[Any] | _Column) -> Sequence[Any]:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        out: list[Any] = values.to_pylist()
        return out
    return values


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def evaluate(
    root: Path,
    uids: Sequence[str] | _Column,
    record_entity: Sequence[str] | _Column,
    entity_ids: Sequence[str],
    choices: dict[str, Picks],
    validated_ids: Sequence[str | None] | _Column | None = None,
) -> dict[str, Any] | None:
    """Metrics against ``<root>/_truth``; None when the workspace has no ground truth.

    With ``validated_ids``, ``links_without_id`` scores only the pairs in which at
    least one record has no validated identifier: the ones the fuzzy pass decides.
    """
    truth_dir = root / "_truth"
    if not (truth_dir / "records.csv").exists():
        return None
    uids, record_entity = _listed(uids), _listed(record_entity)
    if validated_ids is not None:
        validated_ids = _listed(validated_ids)
    owner = {
        f"{r['dataset']}:{r['record_key']}": r["person_id"]
        for r in _read(truth_dir / "records.csv")
    }
    scored = [(e, owner[u]) for u, e in zip(uids, record_entity, strict=True) if u in owner]
    metrics: dict[str, Any] = {
        "records": len(uids),
        "records_with_truth": len(scored),
        "entities": len(entity_ids),
        "people_seen": len({p for _, p in scored}),
        "links": pairwise([e for e, _ in scored], [p for _, p in scored]),
    }
    if validated_ids is not None:
        known = [
            (e, owner[u])
            for u, e, v in zip(uids, record_entity, validated_ids, strict=True)
            if u in owner and v
        ]
        metrics["links_without_id"] = _difference(
            metrics["links"], pairwise([e for e, _ in known], [p for _, p in known])
        )
    people_path = truth_dir / "people.csv"
    if people_path.exists():
        metrics["golden_accuracy"] = _golden_accuracy(
            _read(people_path), scored, entity_ids, choices
        )
    return metrics


def _norm(attr: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if attr == "sex":
        return _SEX.get(value, value)
    return value


def _golden_accuracy(
    people: list[dict[str, str]],
    scored: list[tuple[str, str]],
    entity_ids: Sequence[str],
    choices: dict[str, Picks],
) -> dict[str, float]:
    by_id = {p["person_id"]: p for p in people}
    votes: dict[str, Counter[str]] = {}
    for e, p in scored:
        votes.setdefault(e, Counter())[p] = votes.get(e, Counter())[p] + 1
    person_of = {e: c.most_common(1)[0][0] for e, c in votes.items()}
    out: dict[str, float] = {}
    for attr, column in TRUTH_COLUMNS.items():
        if attr not in choices:
            continue
        pairs: list[tuple[str | None, str | None]] = []
        chosen = choices[attr].values()
        for i, eid in enumerate(entity_ids):
            pid = person_of.get(eid)
            if pid is None:
                continue
            pairs.append((_norm(attr, chosen[i]), _norm(attr, by_id[pid][column])))
        if attr in _NAMES:
            got = name_key(pa.array([g for g, _ in pairs], pa.string())).to_pylist()
            want = name_key(pa.array([t for _, t in pairs], pa.string())).to_pylist()
            pairs = list(zip(got, want, strict=True))
        right = sum(1 for g, t in pairs if g == t)
        out[attr] = round(right / len(pairs), 5) if pairs else 1.0
    return out
