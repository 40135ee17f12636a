"""Scoring against ground truth, only where ``seamline.yaml`` declares ``evaluate:``.

Links are scored pairwise: a pair of records is a true link when both belong to the
same true entity. Golden values are scored per attribute on each entity, against the
true entity most of its records belong to, for every attribute column ``entities.csv``
has. The file format is in :mod:`seamline.workspace.truthfiles`.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from math import comb
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from seamline.errors import SpecError
from seamline.normalize.names import name_key, other_script, spelling_key
from seamline.normalize.translit import SchemeName
from seamline.reconcile.golden import Picks
from seamline.reconcile.worklist import LINK_ATTRIBUTE
from seamline.workspace.models import EvaluateSpec, TruthCompare
from seamline.workspace.truthfiles import (
    ENTITIES,
    ENTITY_KEY,
    RECORDS,
    open_truth,
    raise_on_problems,
    truth_dir,
    truth_problems,
)

if TYPE_CHECKING:
    _Column = pa.Array[Any] | pa.ChunkedArray[Any]


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


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header (names stripped, as the shape check reads them) and the rows."""
    try:
        with open_truth(path) as fh:
            reader = csv.DictReader(fh)
            reader.fieldnames = [f.strip() for f in reader.fieldnames or []]
            return list(reader.fieldnames), list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SpecError(
            f"cannot be read as CSV: {exc}", where=str(path), hint="Write it as UTF-8 CSV."
        ) from None


def evaluate(
    root: Path,
    spec: EvaluateSpec | None,
    uids: Sequence[str] | _Column,
    record_entity: Sequence[str] | _Column,
    entity_ids: Sequence[str],
    choices: dict[str, Picks],
    validated_ids: Sequence[str | None] | _Column | None = None,
    *,
    name_scheme: SchemeName = "icao",
    listed: dict[str, set[str]] | None = None,
) -> dict[str, Any] | None:
    """Metrics against the declared truth; None (and nothing read) without ``evaluate:``.

    With ``validated_ids``, ``links_without_id`` scores only the pairs in which at
    least one record has no validated identifier: the ones the fuzzy pass decides.
    ``listed`` (attribute -> entity ids on the worklist for it; under
    :data:`~seamline.reconcile.worklist.LINK_ATTRIBUTE` the entities of a link in review,
    listed for every attribute) splits the golden values that are not true into flagged
    and silently wrong (``golden_outcome``).
    A truth file of another shape raises a :class:`SpecError` naming it and the column.
    """
    if spec is None:
        return None
    folder = truth_dir(root, spec)
    # The loader checked the shape already (unknown attribute columns included); checked
    # again in case the files changed since, here only for what would break the reading.
    raise_on_problems(truth_problems(root, spec, _columns(folder / ENTITIES)))
    uids, record_entity = _listed(uids), _listed(record_entity)
    if validated_ids is not None:
        validated_ids = _listed(validated_ids)
    owner = {
        f"{r['dataset']}:{r['record_key']}": r[ENTITY_KEY]
        for r in _read(folder / RECORDS)[1]
        if r[ENTITY_KEY]
    }
    scored = [(e, owner[u]) for u, e in zip(uids, record_entity, strict=True) if u in owner]
    metrics: dict[str, Any] = {
        "records": len(uids),
        "records_with_truth": len(scored),
        "entities": len(entity_ids),
        "people_seen": len({p for _, p in scored}),  # true entities among the records
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
    entities_path = folder / ENTITIES
    if entities_path.exists():
        outcome = _golden_outcome(
            *_read(entities_path), scored, entity_ids, choices, spec.compare, name_scheme,
            listed or {},
        )  # fmt: skip
        metrics["golden_accuracy"] = {
            a: round(c["right"] / c["scored"], 5) if c["scored"] else 1.0
            for a, c in outcome.items()
        }
        metrics["golden_outcome"] = outcome
    return metrics


def _columns(path: Path) -> set[str]:
    """The attribute columns of ``entities.csv`` (to tell them from unknown ones)."""
    if not path.is_file():
        return set()
    with open_truth(path) as fh:
        return {h.strip() for h in next(csv.reader(fh), [])}


def _same(
    got: list[str | None], want: list[str | None], how: TruthCompare, scheme: SchemeName
) -> list[bool]:
    """Per pair, whether the golden value is the true one.

    Names compare on folded name keys only where one of the two is written in another
    script (a romanization explains the variants there); two Latin spellings must agree
    letter for letter, ignoring case, spacing and diacritics ('Howaard' is not 'Howard').
    """
    if how != "name":
        return [
            g == t for g, t in zip(_keys(got, how, scheme), _keys(want, how, scheme), strict=True)
        ]
    plain = [spelling_key(pa.array(v, pa.string())).to_pylist() for v in (got, want)]
    folded = [name_key(pa.array(v, pa.string()), scheme).to_pylist() for v in (got, want)]
    return [
        folded[0][i] == folded[1][i]
        if other_script(g) or other_script(t)
        else plain[0][i] == plain[1][i]
        for i, (g, t) in enumerate(zip(got, want, strict=True))
    ]


def _keys(values: list[str | None], how: TruthCompare, scheme: SchemeName) -> list[str | None]:
    """Values as compared: unchanged, case and spacing folded, or name keys."""
    if how == "name":
        out: list[str | None] = name_key(pa.array(values, pa.string()), scheme).to_pylist()
        return out
    if how == "text":
        return [" ".join(v.split()).casefold() if v else v for v in values]
    return values


def _golden_outcome(
    header: list[str],
    truth: list[dict[str, str]],
    scored: list[tuple[str, str]],
    entity_ids: Sequence[str],
    choices: dict[str, Picks],
    compare: dict[str, TruthCompare],
    scheme: SchemeName,
    listed: dict[str, set[str]],
) -> dict[str, dict[str, int]]:
    """Per attribute column of the truth, the entities whose golden value is ``right``,
    ``flagged`` (not true, but the entity is on the worklist for the attribute or is one
    side of a link in review: deciding the link redoes its values),
    ``missing`` (no value chosen where the truth has one, not listed) and
    ``silently_wrong`` (another value than the truth's, or one where the truth has
    none, with nothing telling a steward); ``scored`` is their sum.

    An empty truth cell means the true value is absent. Entities whose true entity has
    no row in the truth are not scored.
    """
    by_id = {row[ENTITY_KEY]: row for row in truth}
    votes: dict[str, Counter[str]] = {}
    for e, p in scored:
        votes.setdefault(e, Counter())[p] += 1
    true_of = {e: c.most_common(1)[0][0] for e, c in votes.items()}
    out: dict[str, dict[str, int]] = {}
    for attr in (c for c in header if c != ENTITY_KEY and c in choices):
        chosen = choices[attr].values()
        on_list = listed.get(attr, set()) | listed.get(LINK_ATTRIBUTE, set())
        ids: list[str] = []
        got: list[str | None] = []
        want: list[str | None] = []
        for i, eid in enumerate(entity_ids):
            row = by_id.get(true_of.get(eid, ""))
            if row is None:
                continue
            ids.append(eid)
            got.append(chosen[i] or None)
            want.append(row[attr] or None)
        counts = dict.fromkeys(("right", "flagged", "missing", "silently_wrong"), 0)
        for eid, g, ok in zip(
            ids, got, _same(got, want, compare.get(attr, "exact"), scheme), strict=True
        ):
            kind = (
                "right"
                if ok
                else "flagged"
                if eid in on_list
                else "missing"
                if g is None
                else "silently_wrong"
            )
            counts[kind] += 1
        counts["scored"] = len(ids)
        out[attr] = counts
    return out
