"""Match parsed addresses to a reference register (e.g. the state address register).

Both sides become the same comparison keys — the street name without its type word,
lower case, "ё" folded, punctuation dropped (``ул. Жукеева-Пудовкина`` →
``жукеева пудовкина``), the house number with its letter (``96А``), the flat and the
locality name — and are joined with ``pyarrow.Table.join``, tier by tier, each tier
looser than the one before:

=============  ===========================================================  ==============
tier           key                                                          match kind
=============  ===========================================================  ==============
1              locality + street type + street name + house + flat          ``exact``
2              locality + street name + house + flat (type word dropped)    ``normalized``
3              post code + street name + house + flat (no locality given)   ``normalized``
4              street name + house + flat (no locality given, or the        ``normalized``
               register has no locality column)
5              locality + street name + house, to a register row without    ``normalized``
               a flat (the register lists the building, the text a flat)
=============  ===========================================================  ==============

A key that finds more than one ``address_id`` is narrowed by the post code, then by the
district; still several, it is ambiguous: no id is attached and the search stops for that
row (a looser tier would be no less ambiguous).

Expected reference columns (rename with ``reference_columns``): ``address_id``,
``street`` (``ул. Манаса``), ``house`` (``96А`` or ``96А, кв. 5``) — required — and
``locality``, ``flat``, ``post_code``, ``district`` where the register has them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.errors import SpecError
from seamline.normalize.address import _as_text, encode_distinct, parse_address
from seamline.normalize.address_tables import (
    LATIN_TO_CYRILLIC,
    designators_for,
    scan,
    segments,
    word_key,
)

REQUIRED = ("address_id", "street", "house")
OPTIONAL = ("locality", "flat", "post_code", "district")
_PLACE_KINDS = ("city", "village", "district", "region")
_NON_WORD = re.compile(r"[^\w]+")
_HONORIFIC = frozenset({"им", "имени"})
_NUMBER = re.compile(r"0*(\d+)(.*)")


def parts_table(values: pa.Array[Any], country: str | None = "KG") -> pa.Table:
    """Free-text addresses parsed into ``street``, ``house``, ``flat``, ``locality``,
    ``post_code``, ``district`` columns (null where not found), each distinct text parsed
    once."""
    texts, indices = encode_distinct(values)
    parsed = [parse_address(t, country) if t and t.strip() else None for t in texts]
    columns = {
        "street": [p.thoroughfare if p else None for p in parsed],
        "house": [p.house if p else None for p in parsed],
        "flat": [p.flat if p else None for p in parsed],
        "locality": [p.locality if p else None for p in parsed],
        "district": [p.admin_unit_l2 if p else None for p in parsed],
        "post_code": [p.post_code if p else None for p in parsed],
    }
    return pa.table({k: pa.array(v, pa.string()).take(indices) for k, v in columns.items()})


def _distinct_map(values: pa.Array[Any], fn: Callable[[str], str | None]) -> pa.Array[Any]:
    """``fn`` over each distinct non-null value, spread back over the array."""
    texts, indices = encode_distinct(values)
    out = [fn(v) if v is not None else None for v in texts]
    return pa.array(out, pa.string()).take(indices)


def _name_key(words: list[str]) -> str | None:
    text = " ".join(w for w in words if word_key(w) not in _HONORIFIC)
    key = _NON_WORD.sub(" ", text.lower().replace("ё", "е")).strip()
    return key or None


def _number_key(text: str) -> str:
    m = _NUMBER.fullmatch(text.strip())
    text = f"{m.group(1)}{m.group(2)}" if m else text.strip()
    return text.upper().translate(LATIN_TO_CYRILLIC).replace(" ", "")


def _distinct_pair(
    values: pa.Array[Any], fn: Callable[[str], tuple[str | None, str | None]]
) -> tuple[pa.Array[Any], pa.Array[Any]]:
    """Like :func:`_distinct_map` for a function giving two values."""
    texts, indices = encode_distinct(values)
    pairs = [fn(v) if v is not None else (None, None) for v in texts]
    first = pa.array([p[0] for p in pairs], pa.string()).take(indices)
    return first, pa.array([p[1] for p in pairs], pa.string()).take(indices)


class _Keys:
    """Comparison keys of one side: street class and name, house, flat, locality, post."""

    def __init__(self, table: pa.Table, names: Mapping[str, str], country: str | None) -> None:
        self.table_words = designators_for(country)
        n = table.num_rows

        def col(role: str) -> pa.Array[Any]:
            name = names.get(role, role)
            if name in table.column_names:
                return _as_text(table.column(name))
            return pa.nulls(n, pa.string())

        self.street_class, self.street_name = _distinct_pair(col("street"), self._street)
        self.house, flat_in_house = _distinct_pair(col("house"), self._locator)
        flat = _distinct_map(col("flat"), _number_key)
        self.flat: Any = pc.coalesce(flat, flat_in_house, pa.scalar(""))
        self.has_flat: Any = pc.not_equal(self.flat, pa.scalar(""))
        self.locality = _distinct_map(col("locality"), self._place)
        self.district = _distinct_map(col("district"), self._place)
        self.post = _distinct_map(col("post_code"), lambda p: p.strip() or None)

    def _street(self, text: str) -> tuple[str, str | None]:
        words = text.split()
        if not words:
            return "", None
        first, last = (
            self.table_words.get(word_key(words[0])),
            self.table_words.get(word_key(words[-1])),
        )
        if first is not None and first.street_class and len(words) > 1:
            return first.street_class, _name_key(words[1:])
        if last is not None and last.street_class and len(words) > 1:
            return last.street_class, _name_key(words[:-1])
        return "", _name_key(words)

    def _locator(self, text: str) -> tuple[str | None, str | None]:
        house = flat = None
        for segment in segments(text):
            for unit in scan(segment, self.table_words):
                if unit.house is not None and house is None:
                    house = _number_key(unit.house)
                if unit.flat is not None and flat is None:
                    flat = _number_key(unit.flat)
        return house, flat

    def _place(self, text: str) -> str | None:
        words = [
            w
            for w in text.split()
            if (d := self.table_words.get(word_key(w))) is None or d.kind not in _PLACE_KINDS
        ]
        return _name_key(words)

    def key(self, *parts: Any) -> Any:
        """The parts joined with a separator; null where any part is null."""
        return pc.binary_join_element_wise(*parts, "\x1f")


def _tier_keys(side: _Keys, *, reference: bool) -> list[tuple[str, Any]]:
    nothing = pa.scalar(None, pa.string())
    no_locality = pc.is_null(side.locality)
    without_flat = pc.invert(side.has_flat)
    street, house = side.street_name, side.house
    loose = street if reference else pc.if_else(no_locality, street, nothing)
    building = pc.if_else(without_flat if reference else side.has_flat, side.locality, nothing)
    return [
        ("exact", side.key(side.locality, side.street_class, street, house, side.flat)),
        ("normalized", side.key(side.locality, street, house, side.flat)),
        ("normalized", side.key(side.post, loose, house, side.flat)),
        ("normalized", side.key(loose, house, side.flat)),
        ("normalized", side.key(building, street, house)),
    ]


def match_addresses(
    parts: pa.Table,
    reference: pa.Table,
    *,
    reference_columns: Mapping[str, str] | None = None,
    country: str | None = "KG",
) -> pa.Table:
    """For each row of ``parts`` (columns ``street``, ``house`` and optionally ``flat``,
    ``locality``, ``post_code``), the matching reference ``address_id``.

    Returns a table of the same length and order: ``address_id`` (null where none),
    ``match_kind`` (``exact``, ``normalized``, ``none``) and ``ambiguous`` (true where a
    key found several reference addresses).
    """
    names = dict(reference_columns or {})
    missing = [r for r in REQUIRED if names.get(r, r) not in reference.column_names]
    if missing:
        raise SpecError(
            f"the address reference has no column {names.get(missing[0], missing[0])!r}",
            allowed=", ".join(reference.column_names),
            hint="Map the register's columns with the address step's reference_columns option.",
        )
    ids = _as_text(reference.column(names.get("address_id", "address_id")))
    ref_side, in_side = _Keys(reference, names, country), _Keys(parts, {}, country)
    if names.get("locality", "locality") not in reference.column_names:
        in_side.locality = pa.nulls(parts.num_rows, pa.string())  # nothing to compare with
    ref_tiers = _tier_keys(ref_side, reference=True)
    in_tiers = _tier_keys(in_side, reference=False)

    n = parts.num_rows
    # Any: the pyarrow stubs type compute results too loosely to chain these calls.
    out_id: Any = pa.nulls(n, pa.string())
    out_kind: Any = pa.array(np.full(n, "none", dtype=object), pa.string())
    ambiguous: Any = pa.array(np.zeros(n, dtype=bool))
    open_rows: Any = pa.array(np.ones(n, dtype=bool))
    one = pa.scalar(1, pa.int64())
    for (kind, ref_key), (_, in_key) in zip(ref_tiers, in_tiers, strict=True):
        count, found = _lookup(in_key, ref_key, ids)
        hit = pc.and_(open_rows, pc.equal(count, one))
        many = pc.and_(open_rows, pc.greater(count, one))
        # A key shared by several register rows (one street and house in two districts
        # of the same city) may still be told apart by the post code or the district.
        for extra, ref_extra in (
            (in_side.post, ref_side.post),
            (in_side.district, ref_side.district),
        ):
            if not pc.any(many).as_py():
                break
            sub_count, sub_found = _lookup(
                in_side.key(in_key, extra), ref_side.key(ref_key, ref_extra), ids
            )
            settled = pc.and_(many, pc.equal(sub_count, one))
            found = pc.if_else(settled, sub_found, found)
            hit = pc.or_(hit, settled)
            many = pc.and_(many, pc.invert(settled))
        out_id = pc.if_else(hit, found, out_id)
        out_kind = pc.if_else(hit, pa.scalar(kind), out_kind)
        ambiguous = pc.or_(ambiguous, many)
        open_rows = pc.and_(open_rows, pc.invert(pc.or_(hit, many)))
    return pa.table({"address_id": out_id, "match_kind": out_kind, "ambiguous": ambiguous})


def _lookup(in_key: Any, ref_key: Any, ids: pa.Array[Any]) -> tuple[Any, Any]:
    """Per input row: how many distinct reference ids share its key, and the smallest."""
    grouped = (
        pa.table({"key": ref_key, "id": ids})
        .filter(pc.is_valid(ref_key))
        .group_by("key")
        .aggregate([("id", "count_distinct"), ("id", "min")])
    )
    rows = pa.array(np.arange(len(in_key), dtype=np.int64))
    joined = (
        pa.table({"row": rows, "key": in_key})
        .join(grouped, keys="key", join_type="left outer")
        .sort_by("row")
    )
    count: Any = joined.column("id_count_distinct").combine_chunks()
    return pc.fill_null(count, pa.scalar(0, count.type)), joined.column("id_min").combine_chunks()
