"""The connect stage: read a dataset's source into the landing zone, accounting for every record.

Accepted rows go to ``<data_dir>/landing/<dataset>.parquet`` (with ``_record_no``, the
stable row id, and ``_source_pos``); records that could not be decoded go to
``<data_dir>/quarantine/<dataset>.parquet`` with their position, reason and raw bytes.
Both files are written under temporary names and renamed only when complete, and the
reader is told to :meth:`~seamline.sources.base.Reader.commit` (acknowledge queue
messages, keep a watermark) only after that, so a crash part-way loses and duplicates
nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from seamline.errors import SeamlineError, SourceError
from seamline.plugins import Registry, default_registry
from seamline.sources.base import Batch, QuarantineRecord, ReadContext, Reader, SourceOptions

_QUARANTINE_FIELDS: list[pa.Field[Any]] = [
    pa.field("_record_no", pa.int64()),
    pa.field("_source_pos", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("raw", pa.binary()),
]
QUARANTINE_SCHEMA = pa.schema(_QUARANTINE_FIELDS)

Progress = Callable[[int], None]


@dataclass
class LandingResult:
    """What one dataset's connect step read, landed and quarantined."""

    dataset: str
    read: int = 0
    landed: int = 0
    quarantined: int = 0
    landing_path: Path | None = None
    quarantine_path: Path | None = None
    seconds: float = 0.0
    schema: list[tuple[str, str]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    failed: str | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def quarantine_share(self) -> float:
        return self.quarantined / self.read if self.read else 0.0

    @property
    def ok(self) -> bool:
        return self.failed is None

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "landed": self.landed, "quarantined": self.quarantined}


def reason_kind(reason: str) -> str:
    """The reason without its specific place, to count reasons by kind."""
    head = reason.split(":", 1)[-1].strip() if reason.startswith(("byte ", "line ")) else reason
    return head[:80]


def open_reader(
    options: SourceOptions,
    context: ReadContext,
    registry: Registry | None = None,
) -> Reader:
    """The reader for a validated ``source:`` block."""
    reader_cls = (registry or default_registry()).connector(options.kind)
    return reader_cls(options, context)


def quarantine_batch(records: list[QuarantineRecord]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [
            pa.array([r.record_no for r in records], pa.int64()),
            pa.array([r.position for r in records], pa.string()),
            pa.array([r.reason for r in records], pa.string()),
            pa.array([r.raw for r in records], pa.binary()),
        ],
        schema=QUARANTINE_SCHEMA,
    )


ROW_GROUP_ROWS = 256 * 1024
ROW_GROUP_BYTES = 64 * 1024 * 1024


class _Sink:
    """Parquet writers for landed and quarantined records, finalized by rename."""

    def __init__(self, landing: Path, quarantine: Path) -> None:
        self.landing, self.quarantine = landing, quarantine
        self.tmp_landing = landing.with_name(landing.name + ".partial")
        self.tmp_quarantine = quarantine.with_name(quarantine.name + ".partial")
        self.writer: pq.ParquetWriter | None = None
        self.qwriter: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        # Readers yield batches of a few thousand rows; each write would be a row group
        # of its own, slow to write and to scan, so they are gathered first.
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = self.pending_bytes = 0

    def write(self, batch: Batch, dataset: str) -> None:
        data = batch.data
        if self.schema is None:
            self.schema = data.schema
            self.landing.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp_landing, self.schema, compression="zstd")
        elif data.schema != self.schema:
            data = _conform(data, self.schema, dataset)
        if data.num_rows:
            self.pending.append(data)
            self.pending_rows += data.num_rows
            self.pending_bytes += data.nbytes
            if self.pending_rows >= ROW_GROUP_ROWS or self.pending_bytes >= ROW_GROUP_BYTES:
                self._flush()
        if batch.quarantined:
            if self.qwriter is None:
                self.quarantine.parent.mkdir(parents=True, exist_ok=True)
                self.qwriter = pq.ParquetWriter(self.tmp_quarantine, QUARANTINE_SCHEMA)
            self.qwriter.write_batch(quarantine_batch(batch.quarantined))

    def _flush(self) -> None:
        if self.pending and self.writer is not None:
            self.writer.write_table(pa.Table.from_batches(self.pending, schema=self.schema))
        self.pending, self.pending_rows, self.pending_bytes = [], 0, 0

    def finish(self, empty_schema: pa.Schema) -> None:
        self._flush()
        if self.writer is None:
            self.landing.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp_landing, empty_schema)
        self.writer.close()
        _durable_replace(self.tmp_landing, self.landing)
        if self.qwriter is not None:
            self.qwriter.close()
            _durable_replace(self.tmp_quarantine, self.quarantine)
        else:
            self.quarantine.unlink(missing_ok=True)

    def abort(self) -> None:
        for w in (self.writer, self.qwriter):
            if w is not None:
                w.close()
        self.tmp_landing.unlink(missing_ok=True)
        self.tmp_quarantine.unlink(missing_ok=True)


def _durable_replace(tmp: Path, final: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _conform(data: pa.RecordBatch, schema: pa.Schema, dataset: str) -> pa.RecordBatch:
    """Cast a later batch to the first batch's schema, or explain why it cannot be."""
    if data.schema.names != schema.names:
        added = [n for n in data.schema.names if n not in schema.names]
        lost = [n for n in schema.names if n not in data.schema.names]
        raise SourceError(
            f"the source's columns changed part-way: added {added or 'none'}, missing {lost or 'none'}",
            where=f"dataset {dataset}",
            hint="Declare the columns in the source options so every batch has the same shape.",
        )
    try:
        return data.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SourceError(
            f"a later batch has types that do not fit the first: {exc}",
            where=f"dataset {dataset}",
        ) from exc


def land(
    dataset: str,
    options: SourceOptions,
    data_dir: Path,
    context: ReadContext,
    *,
    max_quarantine_share: float = 1.0,
    registry: Registry | None = None,
    progress: Progress | None = None,
) -> LandingResult:
    """Read one source into the landing zone. Raises SourceError if it cannot be read."""
    started = time.perf_counter()
    result = LandingResult(dataset)
    reader = open_reader(options, context, registry)
    sink = _Sink(
        data_dir / "landing" / f"{dataset}.parquet", data_dir / "quarantine" / f"{dataset}.parquet"
    )
    try:
        for batch in reader.batches():
            sink.write(batch, dataset)
            result.read += batch.read
            result.landed += batch.data.num_rows
            result.quarantined += len(batch.quarantined)
            for q in batch.quarantined:
                kind = reason_kind(q.reason)
                result.reasons[kind] = result.reasons.get(kind, 0) + 1
            if progress is not None:
                progress(batch.read)
        schema = sink.schema or pa.schema(_QUARANTINE_FIELDS[:2])
        sink.finish(schema)
    except SeamlineError:
        sink.abort()
        reader.close()
        raise
    except Exception as exc:
        sink.abort()
        reader.close()
        raise SourceError(
            f"reading the source failed: {type(exc).__name__}: {exc}",
            where=f"dataset {dataset} ({reader.describe()})",
            hint="Run with --debug for the full traceback, and report it if the input looks valid.",
        ) from exc
    result.landing_path, result.quarantine_path = (
        sink.landing,
        sink.quarantine if result.quarantined else None,
    )
    result.schema = [(f.name, str(f.type)) for f in schema]
    result.seconds = time.perf_counter() - started
    if result.read != result.landed + result.quarantined:  # pragma: no cover - guards the invariant
        raise SourceError(f"internal accounting error: read {result.read} != landed + quarantined")
    if result.quarantine_share > max_quarantine_share:
        result.failed = (
            f"{result.quarantined:,} of {result.read:,} records "
            f"({result.quarantine_share:.1%}) were quarantined, more than the allowed "
            f"{max_quarantine_share:.1%}; see {sink.quarantine}"
        )
        reader.close()
        return result
    try:
        reader.commit()
        result.state = reader.state()
    finally:
        reader.close()
    return result
