"""Turn a block of records into Arrow columns by walking the layout once per block.

Each elementary field (each OCCURS element of it) is decoded for all records of the
block at once. A per-record ``active`` mask says where a field exists at all: the record
is long enough, the OCCURS DEPENDING ON count covers the element, the segment field
selects the group. Inactive values are null and never make a record bad.

Invalid bytes make a record bad (quarantined) unless the field's bytes have another
meaning anyway: fields under a REDEFINES (either side) that no segment selects become
null instead, since one of the overlaid interpretations is usually invalid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seamline.errors import SourceError
from seamline.sources.copybook.decode import PROBLEM, decode_field
from seamline.sources.copybook.layout import Field, Layout
from seamline.sources.copybook.tables import (
    Off,
    at_row,
    columns,
    debug_column,
    find_counters,
    find_group_text,
    find_mappings,
    list_array,
    occurs_shared,
)
from seamline.sources.copybook.text import Codec, Mask


@dataclass
class Block:
    """Records padded into a matrix, with each record's real length."""

    matrix: npt.NDArray[np.uint8]
    lengths: npt.NDArray[np.int64]

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])


@dataclass
class Result:
    names: list[str]
    arrays: list[pa.Array[Any]]
    bad: Mask
    reasons: npt.NDArray[Any] = field(default_factory=lambda: np.empty(0, dtype=object))
    segments: npt.NDArray[Any] | None = None
    """Each record's trimmed segment field value (when a segment field is set)."""


class Assembler:
    """Decode blocks of records laid out by one copybook."""

    def __init__(
        self,
        layout: Layout,
        codec: Codec,
        *,
        flatten: bool = True,
        keep_fillers: bool | str = False,
        lenient: bool = False,
        replace_text: bool = False,
        debug: str = "none",
        segment_field: str | None = None,
        segments: dict[str, str] | None = None,
        variable_occurs: bool = False,
        occurs_mappings: dict[str, dict[str, int]] | None = None,
        group_text: list[str] | None = None,
    ) -> None:
        self.layout = layout
        self.variable = variable_occurs
        self.codec = codec
        self.flatten = flatten
        # kept FILLERs are numbered in record order: FILLER_1, FILLER_2, ...
        kept = [
            f
            for f in layout.walk()
            if f.is_filler and (keep_fillers is True or (keep_fillers == "groups" and f.is_group))
        ]
        self.filler_names = {id(f): f"FILLER_{i}" for i, f in enumerate(kept, 1)}
        self.lenient_all = lenient
        self.replace_text = replace_text
        self.debug = debug
        self.segment_field: Field | None = None
        self.segment_groups: dict[int, list[str]] = {}
        if segment_field is not None:
            self.segment_field = self._find(segment_field, "segment_field")
            if self.segment_field.is_group or self.segment_field.occurs:
                raise SourceError(
                    f"segment_field {segment_field} must be an elementary, non-OCCURS field"
                )
            for value, group_name in (segments or {}).items():
                group = self._find(group_name, f"segments[{value!r}]")
                self.segment_groups.setdefault(id(group), []).append(value)
        self.counters = find_counters(layout, self._find)
        self.mappings = find_mappings(occurs_mappings or {}, self._find)
        # counters read only through occurs_mappings hold codes, not numbers
        self._coded = {
            key
            for key in self.counters
            if all(id(f) in self.mappings for f in layout.walk() if f.depending_on == key)
        }
        self.group_text = find_group_text(group_text or [], self._find)
        self._counter_ids = {id(c) for c in self.counters.values()}
        self._counter_keys: dict[int, list[str]] = {}
        for key, c in self.counters.items():
            self._counter_keys.setdefault(id(c), []).append(key)
        # counters at a fixed place are read once per block; the others (inside a table, or
        # moved by a variable-size table before them) as the walk reaches them
        self._upfront = {
            name: c
            for name, c in self.counters.items()
            if not self.variable and not occurs_shared(c, None)
        }

    def _find(self, name: str, what: str) -> Field:
        try:
            return self.layout.find(name)
        except KeyError:
            names = ", ".join(f.name for f in self.layout.walk() if not f.is_filler)
            raise SourceError(
                f"{what}: no field {name!r} in the copybook {self.layout.source}", allowed=names
            ) from None

    # -- per block -----------------------------------------------------------------

    def run(self, block: Block) -> Result:
        n = block.n
        self._block = block
        self._bad = np.zeros(n, dtype=np.bool_)
        self._reasons = np.full(n, None, dtype=object)
        self._counts: dict[str, npt.NDArray[np.int64]] = {}
        self._texts: dict[str, npt.NDArray[Any]] = {}
        for name, counter in self._upfront.items():
            arr, _ = self._leaf(counter, counter.offset, np.ones(n, dtype=np.bool_), False)
            self._counts[name] = self._count(name, counter, arr, counter.offset)
        self._segment_values: npt.NDArray[Any] | None = None
        if self.segment_field is not None:
            arr, _ = self._leaf(
                self.segment_field, self.segment_field.offset, np.ones(n, dtype=np.bool_), True
            )
            text = pc.utf8_trim(arr.cast(pa.string()), characters=" ")
            self._segment_values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        names: list[str] = []
        arrays: list[pa.Array[Any]] = []
        active = np.ones(n, dtype=np.bool_)
        if len(self.layout.records) > 1:  # several 01 records overlay each other
            for record in self.layout.records:
                self._emit(record, 0, active, False, "", names, arrays)
        else:
            self._children(self.layout.roots, 0, 0, active, False, "", names, arrays)
        return Result(names, arrays, self._bad, self._reasons, self._segment_values)

    def _count(
        self, key: str, counter: Field, arr: pa.Array[Any], offset: Off
    ) -> npt.NDArray[np.int64]:
        """An OCCURS DEPENDING ON counter per record; a counter that is no number is bad."""
        if key in self._coded:  # its tables map its text to their counts
            codes: Any = pc.utf8_trim_whitespace(arr.cast(pa.string()))
            self._texts[key] = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=object)
            return np.zeros(len(arr), dtype=np.int64)
        if counter.kind == "alnum":
            # a PIC X counter holds digits as text (blanks around them allowed)
            text: Any = pc.utf8_trim_whitespace(arr)
            short: Any = pc.less_equal(pc.utf8_length(text), pa.scalar(9))
            digits: Any = pc.and_(pc.utf8_is_digit(text), short)
            ok = np.asarray(pc.fill_null(digits, False).to_numpy(zero_copy_only=False), dtype=bool)
            self._mark(
                ~ok,
                lambda row: (
                    f"{counter.dotted} (an OCCURS DEPENDING ON counter) is not a "
                    f"number: hex {self._hex(row, offset, counter.size)}"
                ),
            )
            arr = pc.if_else(pa.array(ok), text, "0").cast(pa.int64())
        filled: pa.Array[Any] = pc.fill_null(arr.cast(pa.int64()), 0)  # type: ignore[arg-type]
        return np.asarray(filled.to_numpy(zero_copy_only=False)).astype(np.int64)

    def _hex(self, row: int, offset: Off, size: int) -> str:
        """A field's bytes in one record as hex, cut to 32 bytes."""
        at = at_row(offset, row)
        shown = bytes(self._block.matrix[row, at : at + min(size, 32)])
        return shown.hex(" ").upper() + (" ..." if size > 32 else "")

    def _mark(self, bad: Mask, reason: str | Callable[[int], str]) -> None:
        """Mark records bad; ``reason`` is text or a function of the row (its own bytes)."""
        new = bad & ~self._bad
        if new.any():
            if callable(reason):
                for row in np.flatnonzero(new):
                    self._reasons[row] = reason(int(row))
            else:
                self._reasons[new] = reason
            self._bad |= new

    def _leaf(
        self, f: Field, offset: Off, active: Mask, lenient: bool
    ) -> tuple[pa.Array[Any], Mask]:
        block = self._block
        fits = block.lengths >= offset + f.size
        width = block.matrix.shape[1]
        if np.min(offset) + f.size > width:
            empty: pa.Array[Any] = pa.nulls(block.n, type=f.arrow_type())  # type: ignore[call-overload]
            return empty, active & fits
        sub = columns(block.matrix, offset, f.size)
        if f.kind == "alnum" and not fits.all():
            # variable-length records often lose trailing blanks: text cut off by the end of
            # the record keeps the part that is there, the rest reads as spaces
            cut = active & ~fits & (block.lengths > offset)
            if cut.any():
                sub = sub.copy()
                beyond = np.arange(f.size)[None, :] >= (block.lengths - offset)[:, None]
                sub[cut[:, None] & beyond] = self.codec.space
                fits = fits | cut
        active = active & fits
        arr, bad, _null = decode_field(f, sub, self.codec)
        bad = bad & active
        if f.kind == "alnum" and self.replace_text:
            bad = np.zeros_like(bad)  # undefined bytes already read as U+FFFD
        lenient = lenient or self.lenient_all
        if bad.any() and not lenient:
            self._mark(
                bad,
                lambda row: (
                    f"field {f.dotted} at byte {at_row(offset, row)} of the record ({f.size} bytes): "
                    f"{PROBLEM[f.kind]}: hex {self._hex(row, offset, f.size)}"
                ),
            )
        keep = active & ~bad if (f.kind == "alnum" and lenient) else active
        if not keep.all():
            arr = pc.if_else(pa.array(keep, type=pa.bool_()), arr, pa.scalar(None, type=arr.type))
        return arr, active

    def _raw(self, f: Field, offset: Off, active: Mask) -> pa.Array[Any]:
        """The field's bytes as hex text or binary (``debug``), null where it is absent."""
        return debug_column(
            self._block.matrix, offset, f.size, active, hex_text=self.debug == "hex"
        )

    def _name(self, prefix: str, f: Field) -> str:
        column = self.filler_names.get(id(f), f.column_name)
        return f"{prefix}_{column}" if prefix else column

    def _children(
        self,
        children: list[Field],
        static_base: int,
        offset: Off,
        active: Mask,
        lenient: bool,
        prefix: str,
        names: list[str],
        arrays: list[pa.Array[Any]],
    ) -> Off:
        """Emit a group's items in order; returns the bytes they took less than their size."""
        shrink: Off = 0
        starts: dict[str, Off] = {}
        for child in children:
            at = starts.get(child.redefines or "")
            if at is None:
                at = offset + (child.offset - static_base) - shrink
            starts[child.name] = at
            used = self._emit(child, at, active, lenient, prefix, names, arrays)
            if child.redefines is None:
                shrink = shrink + used
        return shrink

    def _emit(
        self,
        f: Field,
        offset: Off,
        active: Mask,
        lenient: bool,
        prefix: str,
        names: list[str],
        arrays: list[pa.Array[Any]],
    ) -> Off:
        """Emit one item (every occurrence); returns the bytes it took less than its size."""
        if f.is_filler and id(f) not in self.filler_names:
            if id(f) in self._counter_ids:  # a FILLER counter is read, not output
                self._emit_one(f, offset, active, True, "", [], [])
            return 0
        lenient = lenient or f.redefines is not None or f.redefined
        values = self.segment_groups.get(id(f))
        if values is not None and self._segment_values is not None:
            active = active & np.isin(self._segment_values, values)
            lenient = False
        if f.occurs is None:
            used = self._emit_one(f, offset, active, lenient, self._name(prefix, f), names, arrays)
            whole = self.group_text.get(id(f))
            if whole is not None:  # the group's bytes read as one text too
                names.append(f"{self._name(prefix, f)}_TEXT")
                arrays.append(self._leaf(whole, offset, active, True)[0])
            return used if isinstance(used, int) else np.where(active, used, 0)
        counts = self._counts.get(f.depending_on) if f.depending_on else None
        mapping = self.mappings.get(id(f))
        if mapping is not None and f.depending_on in self._texts:
            texts = self._texts[f.depending_on]
            counts = np.array([mapping.get(t, -1) for t in texts], dtype=np.int64)
            self._mark(
                active & (counts < 0),
                lambda row: (
                    f"{f.depending_on} = {texts[row]!r} has no count in occurs_mappings for "
                    f"{f.name}"
                ),
            )
            counts = np.maximum(counts, 0)
        if counts is not None:
            out_of_range = active & ((counts > f.occurs) | (counts < f.occurs_min))
            self._mark(
                out_of_range,
                lambda row: (
                    f"{f.depending_on} = {counts[row]} (OCCURS DEPENDING ON count of "
                    f"{f.dotted}) is outside {f.occurs_min} TO {f.occurs}"
                ),
            )
        elements: list[pa.Array[Any]] = []
        cursor: Off = offset
        for k in range(f.occurs):
            act_k = active if counts is None else active & (counts > k)
            start = len(arrays)
            at = cursor if self.variable else offset + k * f.size
            used = self._emit_one(
                f, at, act_k, lenient, f"{self._name(prefix, f)}_{k + 1}", names, arrays
            )
            if self.variable:
                # variable_size_occurs: an element exists only up to the count, and the
                # next one starts where this one actually ended
                size = f.size - used
                cursor = cursor + (size if counts is None else np.where(counts > k, size, 0))
            if not self.flatten and len(arrays) > start:
                elements.append(arrays.pop())
                names.pop()
        if not self.flatten and elements:
            names.append(self._name("", f))
            arrays.append(list_array(elements, counts, active, f.occurs))
        if not self.variable:
            return 0
        shrink = offset + f.occurs * f.size - cursor
        return shrink if isinstance(shrink, int) else np.where(active, shrink, 0)

    def _emit_one(
        self,
        f: Field,
        offset: Off,
        active: Mask,
        lenient: bool,
        name: str,
        names: list[str],
        arrays: list[pa.Array[Any]],
    ) -> Off:
        if not f.is_group:
            arr, act = self._leaf(f, offset, active, lenient)
            for key in self._counter_keys.get(id(f), ()):
                if key not in self._upfront:
                    self._counts[key] = self._count(key, f, arr, offset)
            names.append(name)
            arrays.append(arr)
            if self.debug != "none" and not (f.occurs and not self.flatten):
                names.append(f"{name}_debug")
                arrays.append(self._raw(f, offset, act))
            return 0
        child_names: list[str] = []
        child_arrays: list[pa.Array[Any]] = []
        shrink = self._children(
            f.children,
            f.offset,
            offset,
            active,
            lenient,
            name if self.flatten else "",
            child_names,
            child_arrays,
        )
        if self.flatten:
            names.extend(child_names)
            arrays.extend(child_arrays)
        elif child_arrays:
            names.append(name)
            arrays.append(
                pa.StructArray.from_arrays(
                    child_arrays, names=child_names, mask=pa.array(~active, type=pa.bool_())
                )
            )
        return shrink
