"""The parsed copybook: a tree of fields with byte offsets, sizes and Arrow types."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

Kind = Literal["group", "alnum", "zoned", "packed", "binary", "float"]


@dataclass
class Field:
    """One copybook entry (a group or an elementary item) with its place in the record."""

    name: str
    level: int
    line: int = 0
    column: int = 0
    kind: Kind = "group"
    pic: str | None = None
    usage: str = "DISPLAY"
    children: list[Field] = field(default_factory=list)
    redefines: str | None = None
    occurs: int | None = None
    """Maximum number of occurrences (None: not a table)."""
    occurs_min: int = 0
    depending_on: str | None = None
    values88: dict[str, str] = field(default_factory=dict)
    """Level-88 condition names: value -> name, candidates for a code list."""
    digits: int = 0
    """Digits of a numeric item, including implied ``P`` positions."""
    scale: int = 0
    p_shift: int = 0
    """Trailing ``P`` positions: the stored digits are multiplied by 10**p_shift."""
    signed: bool = False
    sign_separate: bool = False
    sign_leading: bool = False
    little_endian: bool = False
    edited: bool = False
    """A numeric-edited picture (``9(5).99``): decoded as text, then parsed."""
    offset: int = 0
    """Byte offset of the (first occurrence of the) field inside the record."""
    size: int = 0
    """Bytes of one occurrence."""
    parent: Field | None = field(default=None, repr=False)
    is_filler: bool = False
    redefined: bool = False
    """Another field REDEFINES this one (so its bytes have two meanings)."""
    dotted: str = ""
    """Path of COBOL names from the record root, e.g. ``COMPANY.SHORT-NAME``."""

    @property
    def column_name(self) -> str:
        """The Arrow-friendly name: hyphens become underscores."""
        return self.name.replace("-", "_")

    @property
    def is_group(self) -> bool:
        return self.kind == "group"

    @property
    def total_size(self) -> int:
        return self.size * (self.occurs or 1)

    def walk(self) -> Iterator[Field]:
        yield self
        for child in self.children:
            yield from child.walk()

    def arrow_type(self) -> pa.DataType:
        """Arrow type of one occurrence of an elementary item."""
        if self.kind == "alnum":
            return pa.string()
        if self.kind == "float":
            return pa.float32() if self.size == 4 else pa.float64()
        if self.kind == "binary":
            if self.scale > 0 or self.size > 8:
                return pa.decimal128(max(self.digits, self.scale, 1), self.scale)
            if self.size <= 2 or (self.size == 4 and (self.signed or self.digits <= 9)):
                return pa.int32()
            return pa.int64()
        if self.kind in ("zoned", "packed"):
            if self.scale > 0 or self.digits > 18:
                return pa.decimal128(max(self.digits, self.scale, 1), self.scale)
            return pa.int32() if self.digits <= 9 else pa.int64()
        raise TypeError(f"{self.name} is a group")

    def type_text(self) -> str:
        """Human description, e.g. ``PIC S9(7)V99 COMP-3 → decimal(9,2)``."""
        if self.kind == "group":
            text = "group"
        else:
            usage = "" if self.usage == "DISPLAY" else f" {self.usage}"
            pic = f"PIC {self.pic}" if self.pic else self.usage
            arrow = str(self.arrow_type())
            arrow = arrow.replace("decimal128", "decimal").replace(", ", ",")
            text = f"{pic}{usage if self.pic else ''} → {arrow}"
        if self.occurs:
            dep = f" DEPENDING ON {self.depending_on}" if self.depending_on else ""
            text += f" OCCURS {self.occurs}{dep}"
        if self.redefines:
            text += f" REDEFINES {self.redefines}"
        return text


@dataclass
class Layout:
    """A copybook: its top-level records (several 01 levels overlay each other)."""

    records: list[Field]
    source: str = "<copybook>"
    renames: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Level-66 RENAMES: alias -> (from field, thru field or None)."""

    @property
    def record_length(self) -> int:
        return max((r.offset + r.total_size for r in self.records), default=0)

    @property
    def roots(self) -> list[Field]:
        """The fields that become top-level columns (the 01 record's children if one)."""
        if len(self.records) == 1 and self.records[0].is_group:
            return self.records[0].children
        return self.records

    def walk(self) -> Iterator[Field]:
        for record in self.records:
            yield from record.walk()

    def find(self, name: str) -> Field:
        """A field by COBOL name or dotted path (``COMPANY.SHORT-NAME``); KeyError if none."""
        wanted = name.upper().replace("_", "-")
        matches = [
            f
            for f in self.walk()
            if f.name == wanted or f.dotted == wanted or f.dotted.endswith("." + wanted)
        ]
        if not matches:
            raise KeyError(name)
        exact = [f for f in matches if f.name == wanted or f.dotted == wanted]
        return (exact or matches)[0]

    def leaves(self) -> list[Field]:
        return [f for f in self.walk() if not f.is_group]


def layout_table(layout: Layout) -> list[dict[str, Any]]:
    """One row per field: field, level, start (1-based), end, length, type."""
    rows: list[dict[str, Any]] = []
    for f in layout.walk():
        rows.append(
            {
                "field": f.dotted or f.name,
                "level": f.level,
                "start": f.offset + 1,
                "end": f.offset + f.total_size,
                "length": f.total_size,
                "type": f.type_text(),
            }
        )
    return rows
