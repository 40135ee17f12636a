"""Column helpers: OCCURS counters' place, per-record offsets, list and debug columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seamline.errors import SourceError
from seamline.sources.copybook.layout import Field, Layout
from seamline.sources.copybook.text import U8, Mask, ascii_strings

Off = int | npt.NDArray[np.int64]
"""A field's byte offset: one for all records, or one per record (after variable-size tables)."""

Find = Callable[[str, str], Field]
"""A field by name, or a SourceError naming what asked for it (the second argument)."""


def find_counters(layout: Layout, find: Find) -> dict[str, Field]:
    """DEPENDING ON name -> counter field; a counter must share its table's occurrence."""
    counters: dict[str, Field] = {}
    for f in layout.walk():
        if f.depending_on is not None:
            counter = find(f.depending_on, f"DEPENDING ON of {f.name}")
            if counter.is_group or not occurs_shared(counter, f):
                raise SourceError(
                    f"{f.name} DEPENDING ON {counter.name}: not a plain counter field (a "
                    "counter inside an OCCURS must sit in the same occurrence as its table)"
                )
            counters[f.depending_on] = counter
    return counters


def find_mappings(mappings: dict[str, dict[str, int]], find: Find) -> dict[int, dict[str, int]]:
    """occurs_mappings by table (``id``)."""
    out: dict[int, dict[str, int]] = {}
    for name, mapping in mappings.items():
        table = find(name, f"occurs_mappings[{name!r}]")
        if table.depending_on is None:
            raise SourceError(
                f"occurs_mappings[{name!r}]: {table.name} is not an OCCURS DEPENDING ON table"
            )
        out[id(table)] = mapping
    return out


def find_group_text(names: list[str], find: Find) -> dict[int, Field]:
    """group_text: group (``id``) -> a text field over the group's bytes."""
    out: dict[int, Field] = {}
    for name in names:
        g = find(name, "group_text")
        if not g.is_group or not occurs_shared(g, None):
            raise SourceError(f"group_text: {g.dotted} is not a group outside any OCCURS")
        out[id(g)] = Field(
            g.name, g.level, kind="alnum", pic=f"X({g.size})", size=g.size, dotted=g.dotted
        )
    return out


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


_HEX = np.array([list(f"{b:02X}".encode()) for b in range(256)], dtype=np.uint8)


def debug_column(matrix: U8, offset: Off, size: int, active: Mask, hex_text: bool) -> pa.Array[Any]:
    """A field's bytes as hex text or binary, null where the field is absent."""
    if np.min(offset) + size > matrix.shape[1]:
        return pa.nulls(len(matrix), pa.string() if hex_text else pa.binary())
    sub = columns(matrix, offset, size)
    if hex_text:
        arr = ascii_strings(_HEX[sub].reshape(len(sub), 2 * size))
    else:
        n = len(sub)
        offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * size).tobytes())
        data = pa.py_buffer(np.ascontiguousarray(sub).tobytes())
        arr = pa.Array.from_buffers(pa.binary(), n, [None, offsets, data])
    if not active.all():
        arr = pc.if_else(pa.array(active), arr, pa.scalar(None, type=arr.type))
    return arr
