"""Deterministic links: records that share a validated identifier are one entity.

Only values whose identifier scheme validated them (harmonize left the flag null)
count: an unvalidated number may be a typo that points at somebody else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.reconcile.cluster import Ints, Link


def deterministic_edges(ids: pa.Array[Any] | pa.ChunkedArray[Any]) -> tuple[Ints, Ints]:
    """Links as two arrays: each record with an identifier to the first record holding it.

    In record order (``right`` ascending); empty strings and nulls link nothing.
    """
    arr = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    keep = pc.and_(pc.is_valid(arr), pc.not_equal(arr, pa.scalar(""))).fill_null(False)
    rows = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
    if not len(rows):
        empty = np.zeros(0, np.int64)
        return empty, empty
    encoded: Any = pc.dictionary_encode(arr.take(rows))
    codes = encoded.indices.to_numpy()
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    left = rows[first[inverse]]
    chained = left != rows
    return left[chained].astype(np.int64), rows[chained].astype(np.int64)


def deterministic_links(ids: Sequence[str | None]) -> list[Link]:
    """A chain of links between the records sharing each identifier value."""
    left, right = deterministic_edges(pa.array(list(ids), pa.string()))
    return [Link(a, b, "deterministic") for a, b in zip(left.tolist(), right.tolist(), strict=True)]
