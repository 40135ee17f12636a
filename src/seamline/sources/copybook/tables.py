"""OCCURS tables: where a counter may sit, per-record offsets, and list columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seamline.sources.copybook.layout import Field
from seamline.sources.copybook.text import U8, Mask

Off = int | npt.NDArray[np.int64]
"""A field's byte offset: one for all records, or one per record (after variable-size tables)."""


def occurs_shared(counter: Field, table: Field | None) -> bool:
    """Whether every OCCURS holding the counter also holds the table (None: no OCCURS)."""
    p: Field | None = counter
    while p is not None:
        if p.occurs and (table is None or not _is_under(table, p)):
            return False
        p = p.parent
    return True


def _is_under(f: Field, ancestor: Field) -> bool:
    p: Field | None = f.parent
    while p is not None:
        if p is ancestor:
            return True
        p = p.parent
    return False


def at_row(offset: Off, row: int) -> int:
    return offset if isinstance(offset, int) else int(offset[row])


def columns(matrix: U8, offset: Off, size: int) -> U8:
    """The ``size`` bytes at ``offset`` of every row (a per-row offset gathers them)."""
    if isinstance(offset, int):
        return matrix[:, offset : offset + size]
    width = matrix.shape[1]
    idx = np.clip(offset[:, None] + np.arange(size, dtype=np.int64)[None, :], 0, width - 1)
    out: U8 = np.take_along_axis(matrix, idx, axis=1)
    return out


def list_array(
    elements: list[pa.Array[Any]], counts: npt.NDArray[np.int64] | None, active: Mask, max_n: int
) -> pa.Array[Any]:
    """Element arrays e_0..e_k (one value per record each) -> list<...> per record."""
    n = len(active)
    sizes = np.full(n, max_n, dtype=np.int64) if counts is None else np.clip(counts, 0, max_n)
    sizes = np.where(active, sizes, 0)
    flat = pa.concat_arrays(elements)
    # element k of record r sits at k * n + r in ``flat``
    rows = np.repeat(np.arange(n, dtype=np.int64), sizes)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    ks = np.arange(len(rows), dtype=np.int64) - np.repeat(starts[:-1], sizes)
    values = flat.take(pa.array(ks * n + rows))
    offsets = pa.array(starts.astype(np.int32), type=pa.int32())
    out: pa.Array[Any] = pa.ListArray.from_arrays(
        offsets, values, mask=pa.array(~active, type=pa.bool_())
    )
    return out
