"""Bulk export of the golden Person records for a batch seam: NDJSON or Parquet, streamed.

An export holds every person of the reference with only the agreement's attributes.
It is produced a chunk at a time (``CHUNK`` persons: one NDJSON block, one Parquet row
group), so the answer's memory stays bounded however large the register is; the
response starts once the export's single audit event is committed.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from seamline.exchange.data import Person, PersonIndex

CHUNK = 2000
"""Persons per NDJSON block / Parquet row group."""

FORMATS = {
    "ndjson": ("application/x-ndjson", "ndjson"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
}
"""format -> (media type, file extension)."""


def index_digest(index: PersonIndex) -> str:
    """``subjects_digest`` of every record of ``index``, computed on its first export only."""
    if index.digest is None:
        index.digest = subjects_digest(index.people)
    return index.digest


def subjects_digest(people: Sequence[Person]) -> str:
    """sha256 over the exported entity ids, one a line, in export order.

    The audit event of an export keeps this digest and the count instead of every id:
    a national register would make one event of megabytes. An auditor holding the
    reference snapshot recomputes it to learn exactly whose records went out.
    """
    h = hashlib.sha256()
    for p in people:
        h.update(p.entity_id.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def ndjson_chunks(people: Sequence[Person], attributes: Sequence[str]) -> Iterator[bytes]:
    """One JSON object a line, ``{"id", "attributes"}`` like a lookup's answer."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for start in range(0, len(people), CHUNK):
        lines = [
            dumps({"id": p.entity_id, "attributes": {a: p.values.get(a) for a in attributes}})
            for p in people[start : start + CHUNK]
        ]
        yield ("\n".join(lines) + "\n").encode("utf-8")


class _Drain(io.RawIOBase):
    """A write-only file for pyarrow whose bytes are taken out after each row group."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[bytes] = []
        self.at = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        b = bytes(data)
        self.parts.append(b)
        self.at += len(b)
        return len(b)

    def tell(self) -> int:
        return self.at

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def export_schema(index: PersonIndex, attributes: Sequence[str]) -> pa.Schema:
    """``id`` and the agreement's attributes, typed as in the reference table."""
    fields = [pa.field("id", pa.string(), nullable=False)]
    for a in attributes:
        typ = pa.string()
        if index.schema is not None and a in index.schema.names:
            typ = index.schema.field(a).type
        fields.append(pa.field(a, typ))
    return pa.schema(fields)


def parquet_chunks(
    index: PersonIndex, people: Sequence[Person], attributes: Sequence[str]
) -> Iterator[bytes]:
    """A Parquet file, one row group per chunk, each yielded as soon as it is written."""
    schema = export_schema(index, attributes)
    sink = _Drain()
    with pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema, compression="zstd") as writer:
        for start in range(0, len(people), CHUNK):
            chunk = people[start : start + CHUNK]
            columns = [pa.array([p.entity_id for p in chunk], pa.string())]
            columns += [
                pa.array([p.values.get(a) for p in chunk], schema.field(a).type) for a in attributes
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            data = sink.take()
            if data:
                yield data
    data = sink.take()  # the footer
    if data:
        yield data
