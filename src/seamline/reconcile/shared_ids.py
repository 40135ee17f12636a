"""Entities that share a person's identifier: a link the rules left undecided.

Two entities holding the same validated value of an identifier that, in this data,
belongs to one entity for nearly every value (a national id, a tax number) are either
one person whose records the model kept apart (a duplicate registration, a misspelt
name) or two people of whom one has a wrong number. Either way a steward has to decide,
so the pair goes on the worklist as a link in review. Identifiers that many entities
share by nature (an employer's number, an address id) are told apart by the data, not
by their names: fewer than :data:`PERSONAL_SHARE` of their values belong to one entity.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.reconcile.features import id_feature
from seamline.reconcile.prepare import Prepared

PERSONAL_SHARE = 0.99
"""An identifier is a person's when at least this share of its values has one entity."""


def shared_identifier_pairs(
    p: Prepared, record_entity: pa.Array[Any]
) -> list[tuple[str, int, int]]:
    """``(identifier, record, record)``: for each value of a person's identifier held by
    several entities, the first record of the first entity with the first record of each
    other one (record indexes of ``p.table``), identifiers in ``p.identifiers`` order."""
    out: list[tuple[str, int, int]] = []
    seen: set[tuple[int, int]] = set()
    for attr in p.identifiers:
        feature = id_feature(attr)
        if feature not in p.table.column_names:
            continue
        t = pa.table(
            {
                "v": p.table.column(feature).combine_chunks(),
                "e": record_entity,
                "r": pa.array(range(p.table.num_rows), pa.int64()),
            }
        ).filter(pc.is_valid(p.table.column(feature)))
        if not t.num_rows:
            continue
        firsts = t.group_by(["v", "e"]).aggregate([("r", "min")])
        per_value = firsts.group_by("v").aggregate([("e", "count"), ("r_min", "list")])
        k: Any = pc  # the stubs reject a ChunkedArray against a plain int; tests check
        several = per_value.filter(k.greater(per_value.column("e_count"), 1))
        if len(several) > (1 - PERSONAL_SHARE) * per_value.num_rows:
            continue  # shared by nature (an employer's number, an address)
        lists: list[Any] = several.column("r_min_list").to_pylist()
        for records in lists:
            first, *others = sorted(records)
            for other in others:
                if (first, other) not in seen:
                    seen.add((first, other))
                    out.append((attr, first, other))
    return out
