"""Turn decoded records (dicts, e.g. JSON messages) into Arrow batches with stable shape.

The landing zone needs every batch of a read to have the same columns and types as
the first one. :class:`RecordAssembler` remembers the columns and types it has seen:
a column's type is fixed by its first non-null value (boolean, integer, float or
text; nested objects are flattened with ``_``, lists become JSON text). A later value
that does not fit (text in an integer column) puts its record in quarantine with the
reason instead of failing the read, and columns seen in earlier batches are always
present (null where a record lacks them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from seamline.sources.base import Batch, QuarantineRecord, with_bookkeeping

_NAMES = {
    "bool": "boolean",
    "int64": "integer",
    "double": "number",
    "string": "text",
}


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested objects with ``_``; lists become JSON text."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}_{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten(value, name))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out


def _type_of(value: Any) -> pa.DataType:
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    return pa.string()


def _fit(value: Any, typ: pa.DataType) -> Any:
    """The value converted to the column's type, or raise ValueError."""
    if value is None:
        return None
    if typ == pa.string():
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if typ == pa.bool_():
        if isinstance(value, bool):
            return value
    elif typ == pa.int64():
        if isinstance(value, int) and not isinstance(value, bool):
            if -(2**63) <= value < 2**63:
                return value
            raise ValueError(f"{value} does not fit a 64-bit integer")
    elif typ == pa.float64() and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    found = _NAMES.get(str(_type_of(value)), str(_type_of(value)))
    raise ValueError(f"expected {_NAMES.get(str(typ), str(typ))}, got {found} {value!r}")


@dataclass
class PendingRecord:
    """One decoded record waiting to be assembled: its ordinal, position and raw bytes."""

    record_no: int
    position: str
    values: dict[str, Any]
    raw: bytes = b""


@dataclass
class RecordAssembler:
    """Builds batches of a stable shape from flat dict records across a whole read."""

    types: dict[str, pa.DataType] = field(default_factory=dict)

    def assemble(
        self,
        records: list[PendingRecord],
        quarantined: list[QuarantineRecord] | None = None,
    ) -> Batch:
        """One batch from ``records``; records that do not fit join ``quarantined``."""
        rejected = list(quarantined or [])
        for rec in records:
            for name, value in rec.values.items():
                if name not in self.types and value is not None:
                    self.types[name] = _type_of(value)
        for rec in records:
            for name in rec.values:
                self.types.setdefault(name, pa.string())
        names = list(self.types)
        columns: dict[str, list[Any]] = {n: [] for n in names}
        numbers: list[int] = []
        positions: list[str] = []
        for rec in records:
            try:
                row = {n: _fit(v, self.types[n]) for n, v in rec.values.items()}
            except ValueError as exc:
                bad = next(
                    n
                    for n, v in rec.values.items()
                    if not _fits(v, self.types[n])  # the first failing field
                )
                rejected.append(
                    QuarantineRecord(rec.record_no, rec.position, f"field {bad}: {exc}", rec.raw)
                )
                continue
            numbers.append(rec.record_no)
            positions.append(rec.position)
            for n in names:
                columns[n].append(row.get(n))
        arrays = [pa.array(columns[n], type=self.types[n]) for n in names]
        table = pa.RecordBatch.from_arrays(arrays, names=names) if names else _empty(len(numbers))
        data = with_bookkeeping(
            table, pa.array(numbers, type=pa.int64()), pa.array(positions, type=pa.string())
        )
        rejected.sort(key=lambda q: q.record_no)
        return Batch(
            data=data, quarantined=rejected, consumed=len(records) + len(quarantined or [])
        )


def _fits(value: Any, typ: pa.DataType) -> bool:
    try:
        _fit(value, typ)
    except ValueError:
        return False
    return True


def _empty(rows: int) -> pa.RecordBatch:
    """A batch with rows but no data columns (records that were all empty objects)."""
    return pa.RecordBatch.from_pydict({}) if rows == 0 else _no_columns(rows)


def _no_columns(rows: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.nulls(rows)], names=["_"]).select([])


def decode_json(record_no: int, body: bytes) -> PendingRecord | QuarantineRecord:
    """One message body as a record (``message N``), or a quarantine entry saying why not."""
    position = f"message {record_no}"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return QuarantineRecord(record_no, position, f"not UTF-8 text: {exc.reason}", body)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        return QuarantineRecord(record_no, position, reason, body)
    if not isinstance(value, dict):
        kind = type(value).__name__
        return QuarantineRecord(record_no, position, f"JSON {kind}, expected an object", body)
    return PendingRecord(record_no, position, flatten(value), body)


def assemble(assembler: RecordAssembler, decoded: list[PendingRecord | QuarantineRecord]) -> Batch:
    """A batch from decoded messages, in order; bad ones are quarantined."""
    good = [d for d in decoded if isinstance(d, PendingRecord)]
    bad = [d for d in decoded if isinstance(d, QuarantineRecord)]
    return assembler.assemble(good, bad)
