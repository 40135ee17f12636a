"""Hierarchical segments: child segment records nested into their parent's record.

A multi-segment file (an IMS unload, say) holds a root segment followed by its children,
each a record of its own whose segment field selects its REDEFINES group. With
``segment_children`` (parent group -> child groups) each root segment becomes one output
row; every child segment lands inside its parent's struct as an element of a list column
named after the child group, in file order, to any depth (Cobrix's ``segment-children``).

``_record_no`` then numbers these assembled records: a root with all its children is one
record (its ``_source_pos`` is the root's), and every segment that cannot be placed (no
parent before it, an unknown segment id, undecodable bytes) is one quarantined record
numbered where it stands, so ``read = landed + quarantined`` still holds. A quarantined
parent takes its children with it: they have no parent to join and are quarantined too.

The nesting is done on Python objects, one segment at a time: much slower than the flat
vectorized path, and only used when ``segment_children`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from seamline.errors import SourceError
from seamline.sources.base import Batch, QuarantineRecord, with_bookkeeping
from seamline.sources.copybook.assemble import Assembler, Block
from seamline.sources.copybook.layout import Layout
from seamline.sources.copybook.records import Frame


@dataclass
class Segment:
    """One decoded segment record, as the nesting sees it."""

    row: dict[str, Any]
    segment: str | None
    position: str
    raw: bytes
    reason: str | None = None


@dataclass
class Nested:
    """Completed root records and the segments quarantined meanwhile."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    quarantined: list[QuarantineRecord] = field(default_factory=list)


class Hierarchy:
    """Nest child segments into their parents, across batches."""

    def __init__(
        self, layout: Layout, segments: dict[str, str], children: dict[str, list[str]]
    ) -> None:
        roots = {id(f): f for f in layout.roots}

        def column(name: str, what: str) -> str:
            try:
                f = layout.find(name)
            except KeyError:
                raise SourceError(
                    f"{what}: no group {name!r} in the copybook {layout.source}"
                ) from None
            if id(f) not in roots:
                raise SourceError(
                    f"{what}: {f.dotted} is not at the top level of the record; hierarchical "
                    "segments must be REDEFINES groups directly under the 01 level"
                )
            return f.column_name

        self.group_of = {v: column(g, f"segments[{v!r}]") for v, g in segments.items()}
        self.parent: dict[str, str] = {}
        self.children: dict[str, list[str]] = {}
        for parent, kids in children.items():
            p = column(parent, f"segment_children[{parent!r}]")
            for kid in kids:
                k = column(kid, f"segment_children[{parent!r}]")
                if k in self.parent and self.parent[k] != p:
                    raise SourceError(
                        f"segment_children: {kid} has two parents ({self.parent[k]} and {p})"
                    )
                self.parent[k] = p
                self.children.setdefault(p, []).append(k)
        for k in self.parent:  # a cycle would never reach a root
            seen = {k}
            up = self.parent.get(k)
            while up is not None:
                if up in seen:
                    raise SourceError(f"segment_children: {k} is its own ancestor")
                seen.add(up)
                up = self.parent.get(up)
        self.child_columns = set(self.parent)
        self._stack: list[tuple[str, dict[str, Any] | None]] = []
        """The open path from the root: (group column, its value; None if quarantined)."""
        self._open: tuple[dict[str, Any], int, str] | None = None
        self._next = 1
        self.out_schema: pa.Schema | None = None

    def schema(self, decoded: pa.Schema) -> pa.Schema:
        """The output schema: child group columns move into their parents as lists."""
        types = {f.name: f.type for f in decoded}

        def nested(col: str) -> pa.DataType:
            base = types[col]
            fields = list(base) if isinstance(base, pa.StructType) else []
            for kid in self.children.get(col, []):
                fields.append(pa.field(kid, pa.list_(nested(kid))))
            return pa.struct(fields)

        return pa.schema(
            [
                pa.field(f.name, nested(f.name)) if f.name in self.children else f
                for f in decoded
                if f.name not in self.child_columns
            ]
        )

    def feed(self, segments: list[Segment]) -> Nested:
        out = Nested()
        for seg in segments:
            self._place(seg, out)
        return out

    def finish(self) -> Nested:
        out = Nested()
        self._close(out)
        return out

    def _quarantine(self, seg: Segment, reason: str, out: Nested) -> None:
        out.quarantined.append(QuarantineRecord(self._next, seg.position, reason, seg.raw))
        self._next += 1

    def _close(self, out: Nested) -> None:
        if self._open is not None:
            row, number, position = self._open
            out.rows.append(row)
            out.numbers.append(number)
            out.positions.append(position)
        self._open = None
        self._stack = []

    def _place(self, seg: Segment, out: Nested) -> None:
        col = self.group_of.get(seg.segment or "")
        if col is None:
            known = ", ".join(sorted(self.group_of))
            reason = seg.reason or f"segment id {seg.segment!r} is not one of segments ({known})"
            self._quarantine(seg, reason, out)
            return
        parent = self.parent.get(col)
        if parent is None:  # a root segment starts the next record
            self._close(out)
        else:
            depth = len(self._stack) - 1
            while depth >= 0 and self._stack[depth][0] != parent:
                depth -= 1
            if depth < 0 or self._stack[depth][1] is None:
                why = "was quarantined" if depth >= 0 else "does not come before it"
                self._quarantine(seg, f"{col} segment whose {parent} segment {why}", out)
                return
            del self._stack[depth + 1 :]
        if seg.reason is not None:
            self._quarantine(seg, seg.reason, out)
            self._stack.append((col, None))  # its children have no parent to join
            return
        value = dict(seg.row.get(col) or {})
        for kid in self.children.get(col, []):
            value[kid] = []
        if parent is None:
            row = {k: v for k, v in seg.row.items() if k not in self.child_columns}
            row[col] = value
            self._open = (row, self._next, seg.position)
            self._next += 1
            self._stack = [(col, value)]
            return
        holder = self._stack[-1][1]
        if holder is not None:
            holder[col].append(value)
        self._stack.append((col, value))


def nested_batch(
    hierarchy: Hierarchy, frame: Frame | None, assembler: Assembler, unit: str
) -> Batch:
    """Decode a frame flat, nest its segments; ``frame=None`` flushes the last open record."""
    if hierarchy.out_schema is None:
        width = frame.matrix.shape[1] if frame is not None else assembler.layout.record_length
        empty = assembler.run(Block(np.zeros((0, width), np.uint8), np.zeros(0, np.int64)))
        decoded = pa.RecordBatch.from_arrays(empty.arrays, names=empty.names).schema
        hierarchy.out_schema = hierarchy.schema(decoded)
    if frame is None:
        out = hierarchy.finish()
    else:
        result = assembler.run(Block(frame.matrix, frame.lengths))
        rows = pa.RecordBatch.from_arrays(result.arrays, names=result.names).to_pylist()
        values = result.segments
        segments = []
        for i, row in enumerate(rows):
            broken = frame.broken.get(i)
            reason = broken[0] if broken else result.reasons[i] if result.bad[i] else None
            segments.append(
                Segment(
                    row,
                    None if values is None or values[i] is None else str(values[i]),
                    f"{unit} {int(frame.positions[i])}",
                    frame.raw(i),
                    None if reason is None else str(reason),
                )
            )
        out = hierarchy.feed(segments)
    data = pa.RecordBatch.from_pylist(out.rows, schema=hierarchy.out_schema)
    numbers = pa.array(out.numbers, type=pa.int64())
    return Batch(
        data=with_bookkeeping(data, numbers, pa.array(out.positions, type=pa.string())),
        quarantined=out.quarantined,
        consumed=len(out.numbers) + len(out.quarantined),
    )
