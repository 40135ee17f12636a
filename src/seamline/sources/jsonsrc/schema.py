"""Column types of a JSON source: inferred from every record, or declared in ``types:``.

A column's type comes from all its values in the read, never from the first ones:
booleans only -> boolean, integers only -> integer, integers and decimals -> number,
anything else (text, or numbers mixed with text) -> text, where a string keeps its
characters (``"08144"`` stays ``08144``) and a number becomes its JSON text. Inferred
types therefore never reject a record. A declared type is a contract: a value that is
not of it (or text that does not convert to it) puts its record in quarantine, naming
the field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

from seamline.sources.base import Batch, QuarantineRecord, with_bookkeeping
from seamline.sources.records import PendingRecord

Declared = Literal["string", "integer", "number", "boolean", "date", "timestamp"]
ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}
_INT = re.compile(r"\s*[+-]?\d+\s*")
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_INT64 = (-(2**63), 2**63)


def kind(value: Any) -> str | None:
    """The JSON kind of a value as typing sees it (None for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if _INT64[0] <= value < _INT64[1] else "big"
    if isinstance(value, float):
        return "number"
    return "text" if isinstance(value, str) else "json"  # lists, objects: JSON text


def infer(kinds: set[str]) -> Declared:
    """The type of a column whose values had these kinds."""
    if kinds <= {"boolean"} and kinds:
        return "boolean"
    if kinds <= {"integer"} and kinds:
        return "integer"
    if kinds <= {"integer", "number"} and kinds:
        return "number"
    return "string"


def as_text(value: Any) -> str:
    """A value as text: a string as it is, anything else as its JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        out = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _INT.fullmatch(value)
    ):
        out = int(value)
    else:
        raise ValueError(f"{_show(value)} is not an integer")
    if not _INT64[0] <= out < _INT64[1]:
        raise ValueError(f"{out} does not fit a 64-bit integer")
    return out


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    raise ValueError(f"{_show(value)} is not a number")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{_show(value)} is not a boolean (true or false)")


def _date(value: Any) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{_show(value)} is not an ISO 8601 date (e.g. 2024-03-12)")


def _timestamp(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if stamp.tzinfo is not None:
                stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
            return stamp
    raise ValueError(f"{_show(value)} is not an ISO 8601 timestamp (e.g. 2024-03-12T08:30:00Z)")


def _show(value: Any) -> str:
    text = as_text(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


CONVERT: dict[str, Callable[[Any], Any]] = {
    "string": as_text,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "timestamp": _timestamp,
}


@dataclass
class Schema:
    """The columns of a read in order of first appearance, with their types."""

    types: dict[str, Declared] = field(default_factory=dict)
    declared: dict[str, Declared] = field(default_factory=dict)
    convert: dict[str, Callable[[Any], Any] | None] = field(default_factory=dict)
    """Per column the conversion, or None where the values already are of the type."""


class Scan:
    """The first pass: every column's value kinds over the whole read."""

    def __init__(self, declared: Mapping[str, Declared]) -> None:
        self.declared = dict(declared)
        self.kinds: dict[str, set[str]] = {}

    def add(self, values: Mapping[str, Any]) -> None:
        kinds = self.kinds
        for name, value in values.items():
            seen = kinds.get(name)
            if seen is None:
                seen = kinds[name] = set()
            k = kind(value)
            if k is not None:
                seen.add(k)

    def merge(self, later: Scan) -> None:
        """Add the scan of a later part of the same file (columns keep their first place)."""
        for name, seen in later.kinds.items():
            self.kinds.setdefault(name, set()).update(seen)

    def schema(self) -> Schema:
        out = Schema(declared=self.declared)
        for name in [*self.kinds, *(n for n in self.declared if n not in self.kinds)]:
            seen = self.kinds.get(name, set())
            typ = self.declared.get(name) or infer(seen)
            out.types[name] = typ
            # Values already of the type pass as they are; pyarrow takes them directly.
            native = {
                "boolean": {"boolean"},
                "integer": {"integer"},
                "number": {"integer", "number"},
                "string": {"text"},
            }
            out.convert[name] = None if seen <= native.get(typ, set()) else CONVERT[typ]
        return out


class Builder:
    """Columns of one batch, filled record by record (no record is held as a dict)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.columns: dict[str, list[Any]] = {n: [] for n in schema.types}
        self.numbers: list[int] = []
        self.positions: list[str] = []
        self.rejected: list[QuarantineRecord] = []
        self.text = 0
        """Bytes of source text taken in (the reader cuts batches by it too)."""

    def __len__(self) -> int:
        return len(self.numbers) + len(self.rejected)

    def quarantine(self, q: QuarantineRecord) -> None:
        self.rejected.append(q)
        self.text += len(q.raw)

    def add(self, rec: PendingRecord) -> None:
        """Append a record's values; one failing a declared type is quarantined instead."""
        self.text += len(rec.raw)
        convert = self.schema.convert
        row: dict[str, Any] = {}
        try:
            for name, value in rec.values.items():
                fn = convert[name]
                row[name] = value if fn is None or value is None else fn(value)
        except ValueError as exc:
            reason = f"field {name}: {exc} (declared {self.schema.types[name]})"
            self.rejected.append(QuarantineRecord(rec.record_no, rec.position, reason, rec.raw))
            return
        self.numbers.append(rec.record_no)
        self.positions.append(rec.position)
        for n, column in self.columns.items():
            column.append(row.get(n))

    def batch(self) -> Batch:
        types = self.schema.types
        names = list(types)
        arrays = [pa.array(self.columns[n], type=ARROW[types[n]]) for n in names]
        rows = len(self.numbers)
        if names:
            table = pa.RecordBatch.from_arrays(arrays, names=names)
        else:  # records that were all empty objects: rows without data columns
            table = pa.RecordBatch.from_arrays([pa.nulls(rows)], names=["_"]).select([])
        data = with_bookkeeping(
            table, pa.array(self.numbers, type=pa.int64()), pa.array(self.positions, pa.string())
        )
        return Batch(
            data=data,
            quarantined=sorted(self.rejected, key=lambda q: q.record_no),
            consumed=rows + len(self.rejected),
        )
