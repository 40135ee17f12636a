"""Golden values that no record confirms beyond doubt: the ``doubtful`` class.

The truth rules choose among the values the linked records hold; when every record
agrees, or only one has a value, nothing is in conflict and the value would be
published unasked. Two kinds of record values are too weak for that:

* a value its normalizer kept as **one reading of several** (a flag among the steps'
  ``doubts``: a unit written ``# 12``, whose designator is unknown; ``MARY ANN`` split
  into a given and a middle name where it may be a double given name);
* a **rare spelling** of a name: a spelling one letter away (a letter added, dropped,
  changed or moved) is seen for at least :data:`COMMON_FACTOR` times as many entities,
  and for :data:`COMMON_MIN` or more. A misspelling in the only record of a person
  looks exactly like that (a keying slip repeats too: the same slip on a common name
  is made for several people); a genuine rare name does too, which is why the value
  is put before a steward, never corrected.

A golden value that only such records support (no record without a doubt holds the
same compare key) is classified ``doubtful`` and stored on the worklist with the reason.
So is a family or given name that no linked record's **full name** contains, where
some record holds a full name and not the part (:func:`contradicted`): the sources
disagree, only in different attributes.
Entities already in conflict or missing a value are on the worklist for it already.

Spellings are compared as written (romanized where another script is involved, but
without the folds of the name keys): a fold such as doubled letters to one would
make ``MMYTOV`` two letters away from ``MAMYTOV``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.normalize.names import name_key, spelling_key
from seamline.reconcile.golden import Picks
from seamline.reconcile.prepare import NAME_PARTS, Prepared
from seamline.reconcile.spec import ReconcileSpec

COMMON_FACTOR = 20
"""A spelling may be a misspelling of one a letter away seen this many times as often ..."""
COMMON_MIN = 10
"""... and for at least this many entities."""
SPELLED = (*NAME_PARTS, "middle_name")
"""Name attributes whose rare spellings are doubted."""
MIN_LETTERS = 4
"""Shorter keys are left alone: one letter away from many others, by nature."""


def _deletes(key: str) -> Iterable[str]:
    return (key[:i] + key[i + 1 :] for i in range(len(key)))


def rare_spellings(keys: Sequence[str | None], entity: Sequence[int]) -> dict[str, int]:
    """Rare compare key -> how many entities the common spelling one letter away has.

    Counted per entity, so that one person's records repeating a misspelling do not make
    it common. Neighbours are found by single deletions (a key and its neighbour share
    one, or one is a deletion of the other), without comparing every pair.
    """
    counts = Counter(k for k, _ in set(zip(keys, entity, strict=True)) if k)
    common = {k: n for k, n in counts.items() if n >= COMMON_MIN}
    index: dict[str, list[str]] = {}
    for k in common:
        index.setdefault(k, []).append(k)
        for d in set(_deletes(k)):
            index.setdefault(d, []).append(k)
    out: dict[str, int] = {}
    for k, n in counts.items():
        if len(k) < MIN_LETTERS or n * COMMON_FACTOR > max(common.values(), default=0):
            continue
        near = [
            common[c]
            for probe in {k, *_deletes(k)}
            for c in index.get(probe, ())
            if c != k and common[c] >= COMMON_FACTOR * n
        ]
        if near:
            out[k] = max(near)
    return out


def record_doubts(
    flags: pa.Array[Any],
    datasets: pa.Array[Any],
    keys: pa.Array[Any] | None,
    entity: np.ndarray[Any, Any],
    doubt_flags: frozenset[str],
) -> dict[int, str]:
    """Record row -> why its value does not confirm a golden value (rows not named do).

    ``keys`` (the values as spelled) are given for attributes checked for rare spellings.
    """
    out: dict[int, str] = {}
    doubted: Any = pc.is_in(flags, value_set=pa.array(sorted(doubt_flags), pa.string()))
    rows = np.flatnonzero(doubted.to_numpy(zero_copy_only=False))
    if len(rows):
        index = pa.array(rows, pa.int64())
        ds: list[Any] = datasets.take(index).to_pylist()
        fl: list[Any] = flags.take(index).to_pylist()
        out = {int(r): f"{d} flagged it {f}" for r, d, f in zip(rows, ds, fl, strict=True)}
    if keys is None:
        return out
    key_list: list[Any] = keys.to_pylist()
    owners: list[int] = entity.tolist()
    rare = rare_spellings(key_list, owners)
    if not rare:
        return out
    per_key = Counter(k for k, _ in set(zip(key_list, owners, strict=True)) if k)
    for r, k in enumerate(key_list):
        if r not in out and k in rare:
            out[r] = (
                f"its spelling is seen for {per_key[k]} "
                f"{'entity' if per_key[k] == 1 else 'entities'}, one letter away from "
                f"one seen for {rare[k]}"
            )
    return out


def doubtful(
    entity: np.ndarray[Any, Any],
    key_codes: np.ndarray[Any, Any],
    present: np.ndarray[Any, Any],
    reasons: dict[int, str],
    chosen: np.ndarray[Any, Any],
    eligible: np.ndarray[Any, Any],
) -> dict[int, str]:
    """Entity position -> why its golden value is doubtful.

    ``entity`` and ``key_codes`` are per record (entity position, compare key code),
    ``present`` whether the record has a value, ``reasons`` from :func:`record_doubts`;
    ``chosen`` is per entity the row of the record the value was taken from (-1: none)
    and ``eligible`` the entities to look at (not stored already, not decided).
    A golden value is doubtful when no record without a doubt has its compare key.
    """
    n = len(chosen)
    doubt = np.zeros(len(entity), dtype=bool)
    doubt[list(reasons)] = True
    has = chosen >= 0
    chosen_key = np.full(n, -1, dtype=np.int64)
    chosen_key[has] = key_codes[chosen[has]]
    support = present & ~doubt & (key_codes == chosen_key[entity])
    supported = np.zeros(n, dtype=bool)
    supported[entity[support]] = True
    out: dict[int, str] = {}
    for pos in np.flatnonzero(eligible & has & ~supported).tolist():
        why = reasons.get(int(chosen[pos]))
        if why is not None:
            out[pos] = why
    return out


def chosen_rows(records: pa.Array[Any], uids: pa.Array[Any]) -> np.ndarray[Any, Any]:
    """Per entity, the row of ``uids`` its chosen record is (-1 where none was chosen)."""
    rows: Any = pc.index_in(records, value_set=uids)
    filled: Any = pc.fill_null(rows, -1)
    out: np.ndarray[Any, Any] = filled.to_numpy(zero_copy_only=False).astype(np.int64)
    return out


def contradicted(
    entity: np.ndarray[Any, Any],
    chosen: Sequence[frozenset[str] | None],
    words: Sequence[frozenset[str] | None],
    datasets: Sequence[str],
    eligible: np.ndarray[Any, Any],
) -> dict[int, str]:
    """Entity position -> why its golden name part is doubtful: the linked records that
    hold a full name but not the part (``words``: the name keys of its full name's words,
    None for other records) all lack a word of the part (``chosen``: per entity, the name
    keys of the golden part's words; ``Van der Berg`` is three). Where one full name has
    every word, the others differ from it: a ``full_name`` conflict, listed already."""
    against: dict[int, str] = {}
    confirmed: set[int] = set()
    for r in np.flatnonzero(np.array([w is not None for w in words], dtype=bool)).tolist():
        pos = int(entity[r])
        part = chosen[pos]
        full = words[r]
        if not part or not full or not eligible[pos]:
            continue
        if part <= full:
            confirmed.add(pos)
        else:
            against.setdefault(pos, f"the full name in {datasets[r]} does not contain it")
    return {pos: why for pos, why in against.items() if pos not in confirmed}


def word_keys(texts: Sequence[str | None], key: Any) -> list[frozenset[str] | None]:
    """Per text, the keys of its words (``key`` maps a list of words to their keys);
    None for a missing text or one without a keyed word."""
    words = sorted({w for t in texts if t for w in t.split()})
    keyed = dict(zip(words, key(words), strict=True))
    out: list[frozenset[str] | None] = []
    for t in texts:
        found = frozenset(k for w in t.split() if (k := keyed[w])) if t else frozenset()
        out.append(found or None)
    return out


def other_scripts(col: pa.Array[Any]) -> bool:
    """Whether some value holds a letter outside the Latin script (Cyrillic, Greek...).

    The name keys fold spelling variants (Zh/J, Y/I, doubled letters) because the same
    name romanized by two conventions differs that way; where every value is Latin
    nothing was romanized and those folds would hide typos.
    """
    distinct: list[Any] = pc.unique(col).drop_null().to_pylist()
    return any(
        ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN")
        for v in distinct
        for ch in v
    )


def attribute_doubts(
    p: Prepared,
    spec: ReconcileSpec,
    recs: pa.Table,
    i: int,
    attr: str,
    picks: Picks,
    classes: list[Any],
    doubt_flags: frozenset[str],
) -> dict[int, str]:
    """Entity position -> why its golden value of ``attr`` is ``doubtful`` (:mod:`.doubt`)."""
    entity = recs.column("entity").to_numpy().astype(np.int64)
    keys = spellings(p.table.column(attr).combine_chunks(), spec) if attr in SPELLED else None
    flag = f"{attr}__flag"
    n = p.table.num_rows
    reasons = record_doubts(
        p.table.column(flag).combine_chunks()
        if flag in p.table.column_names
        else pa.nulls(n, pa.string()),
        p.table.column("dataset").combine_chunks(),
        keys,
        entity,
        doubt_flags,
    )
    stored = np.array([c in ("conflict", "missing_in") for c in classes], dtype=bool)
    decided = np.array([r == "decision" for r in picks.columns["rule"].to_pylist()], dtype=bool)
    eligible = ~stored & ~decided
    out: dict[int, str] = {}
    if reasons:
        out = doubtful(
            entity,
            _codes(recs.column(f"k{i}")),
            pc.is_valid(recs.column(f"v{i}")).to_numpy(zero_copy_only=False),
            reasons,
            chosen_rows(picks.columns["record"], p.table.column("uid").combine_chunks()),
            eligible,
        )
    if attr in ("family_name", "given_name") and "full_name" in p.table.column_names:
        words = _full_name_words(p, spec, attr)
        if words is not None:
            chosen = word_keys(picks.values(), _keys_of(spec))
            datasets: list[Any] = p.table.column("dataset").to_pylist()
            found = contradicted(entity, chosen, words, datasets, eligible)
            out = {**found, **out}
    return out


def spellings(col: pa.Array[Any], spec: ReconcileSpec) -> pa.Array[Any]:
    """Names as spelled: romanized where another script is present, nothing folded."""
    if other_scripts(col):
        return name_key(col, spec.name_scheme, fold=False)
    return spelling_key(col)


def _full_name_words(p: Prepared, spec: ReconcileSpec, attr: str) -> list[Any] | None:
    """Per record, the name keys of its full name's words where it has a full name and
    no value of ``attr`` (None elsewhere); None when no record is like that."""
    full = p.table.column("full_name").combine_chunks()
    alone = pc.and_(pc.is_valid(full), pc.is_null(p.table.column(attr).combine_chunks()))
    if not pc.any(alone).as_py():
        return None
    texts: list[Any] = pc.if_else(alone, full, pa.scalar(None, pa.string())).to_pylist()
    return word_keys(texts, _keys_of(spec))


def _keys_of(spec: ReconcileSpec) -> Any:
    def key(words: list[str]) -> list[Any]:
        return name_key(pa.array(words, pa.string()), spec.name_scheme).to_pylist()

    return key


def _codes(col: pa.ChunkedArray[Any]) -> np.ndarray[Any, Any]:
    """Compare key codes as integers, -1 for a record without a value."""
    k: Any = pc
    filled: Any = k.fill_null(col, -1)
    out: np.ndarray[Any, Any] = filled.to_numpy().astype(np.int64)
    return out
