"""The connect stage: read a dataset's source into the landing zone, accounting for every record.

Accepted rows go to a Parquet file (with ``_record_no``, the stable row id, and
``_source_pos``); records that could not be decoded go to a quarantine file with their
position, reason and raw bytes. In a run, the files are those of one delivery (see
:mod:`seamline.sources.deliveries`); called on its own, :func:`land` writes
``<data_dir>/landing/<dataset>.parquet`` and ``<data_dir>/quarantine/<dataset>.parquet``.
Both files are written under temporary names and renamed only when complete, and the
reader is told to :meth:`~seamline.sources.base.Reader.commit` (acknowledge queue
messages, keep a watermark) only after that, so a crash part-way loses and duplicates
nothing. The record numbers of every delivery are checked to be exactly ``1..read``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seamline.crypto.parquet import ParquetFiles
from seamline.errors import SeamlineError, SourceError
from seamline.plugins import Registry, default_registry
from seamline.sources.base import (
    RECORD_NO,
    Batch,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
)
from seamline.store.deliveries import SOURCE_TIME, SOURCE_TIME_BASIS

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
    layout: int = 0
    """Of the quarantined, rows that are the source's layout (not counted as bad data)."""
    landing_path: Path | None = None
    quarantine_path: Path | None = None
    seconds: float = 0.0
    schema: list[tuple[str, str]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    failed: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    committed: bool = False
    """The reader was told to commit (messages acknowledged, watermark moved on)."""
    metadata: dict[str, str] = field(default_factory=dict)
    """What the reader chose or did beyond the rows (``Reader.metadata()``), and when the
    source last changed (``source_time``, ``source_time_basis``) if the reader knows."""

    @property
    def quarantine_share(self) -> float:
        """The share of bad records: quarantined layout rows (totals, titles) do not count."""
        return (self.quarantined - self.layout) / self.read if self.read else 0.0

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
) -> Reader[Any]:
    """The reader for a validated ``source:`` block."""
    reader_cls = (registry or default_registry()).connector(options.kind)
    return reader_cls(options, context)


@dataclass(frozen=True)
class Target:
    """Where one landing goes, and the ``_record_no`` its first record gets."""

    landing: Path
    quarantine: Path
    first_record_no: int = 1

    @classmethod
    def single(cls, data_dir: Path, dataset: str) -> Target:
        """``landing/<dataset>.parquet`` and ``quarantine/<dataset>.parquet``, numbered from 1."""
        return cls(
            data_dir / "landing" / f"{dataset}.parquet",
            data_dir / "quarantine" / f"{dataset}.parquet",
        )


class RecordNumbers:
    """The record numbers a reader gave, checked to be exactly ``1..read`` at the end.

    One byte per record (a NumPy mask), so a delivery of ten million records costs
    10 MB; a number below 1 or seen twice is caught as it arrives.
    """

    def __init__(self) -> None:
        self.seen = np.zeros(1024, dtype=np.bool_)
        self.count = 0
        self.problem: str | None = None

    def add(self, numbers: np.ndarray[Any, Any]) -> None:
        if self.problem is not None or numbers.size == 0:
            return
        low, high = int(numbers.min()), int(numbers.max())
        if low < 1:
            self.problem = f"record number {low} is below 1"
            return
        if high >= self.seen.size:
            grown = np.zeros(max(high + 1, self.seen.size * 2), dtype=np.bool_)
            grown[: self.seen.size] = self.seen
            self.seen = grown
        values, counts = np.unique(numbers, return_counts=True)
        twice = np.concatenate([values[counts > 1], values[self.seen[values]]])
        if twice.size:
            self.problem = f"record number {int(twice.min()):,} was given twice"
            return
        self.seen[numbers] = True
        self.count += numbers.size

    def check(self, read: int) -> str | None:
        """None when the numbers are exactly ``1..read``, else what is wrong."""
        if self.problem is not None:
            return self.problem
        if self.count != read or not self.seen[1 : read + 1].all():
            missing = np.flatnonzero(~self.seen[1 : read + 1])[:5] + 1
            return f"the reader reported {read:,} records read but numbered {self.count:,}" + (
                f"; missing: {', '.join(str(int(m)) for m in missing)}" if missing.size else ""
            )
        return None


def quarantine_batch(records: list[QuarantineRecord], offset: int = 0) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [
            pa.array([r.record_no + offset for r in records], pa.int64()),
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

    def __init__(
        self, files: ParquetFiles, landing: Path, quarantine: Path, offset: int = 0
    ) -> None:
        self.files = files
        self.landing, self.quarantine, self.offset = landing, quarantine, offset
        self.numbers = RecordNumbers()
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
        if RECORD_NO in data.schema.names:
            numbers = data.column(RECORD_NO).to_numpy(zero_copy_only=False)
            bad = np.array([q.record_no for q in batch.quarantined], dtype=np.int64)
            self.numbers.add(np.concatenate([numbers.astype(np.int64), bad]))
            if self.offset:
                i = data.schema.get_field_index(RECORD_NO)
                shifted = pc.add(data.column(i), pa.scalar(self.offset, pa.int64()))
                data = data.set_column(i, data.schema.field(i), shifted)
        else:
            self.numbers.add(np.array([q.record_no for q in batch.quarantined], dtype=np.int64))
        if self.schema is None:
            self.schema = data.schema
            self.landing.parent.mkdir(parents=True, exist_ok=True)
            self.writer = self.files.writer(self.tmp_landing, self.schema, compression="zstd")
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
                self.qwriter = self.files.writer(self.tmp_quarantine, QUARANTINE_SCHEMA)
            self.qwriter.write_batch(quarantine_batch(batch.quarantined, self.offset))

    def _flush(self) -> None:
        if self.pending and self.writer is not None:
            self.writer.write_table(pa.Table.from_batches(self.pending, schema=self.schema))
        self.pending, self.pending_rows, self.pending_bytes = [], 0, 0

    def finish(self, empty_schema: pa.Schema) -> None:
        self._flush()
        if self.writer is None:
            self.landing.parent.mkdir(parents=True, exist_ok=True)
            self.writer = self.files.writer(self.tmp_landing, empty_schema)
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
    files: ParquetFiles,
    max_quarantine_share: float = 1.0,
    registry: Registry | None = None,
    progress: Progress | None = None,
    target: Target | None = None,
    key_columns: Sequence[str] = (),
    commit_failed: bool = False,
) -> LandingResult:
    """Read one source into the landing zone. Raises SourceError if it cannot be read.

    A landing over ``max_quarantine_share`` fails (``result.failed``) and the reader
    does not commit (the source is read again next time), unless ``commit_failed``:
    a delivery of an ``append`` source keeps its good rows in the state, so its
    messages are acknowledged and its watermark moves on.
    """
    started = time.perf_counter()
    result = LandingResult(dataset)
    reader = open_reader(options, context, registry)
    target = target or Target.single(data_dir, dataset)
    sink = _Sink(files, target.landing, target.quarantine, target.first_record_no - 1)
    try:
        for batch in reader.batches():
            sink.write(batch, dataset)
            result.read += batch.read
            result.landed += batch.data.num_rows
            result.quarantined += len(batch.quarantined)
            result.layout += sum(1 for q in batch.quarantined if q.layout)
            for q in batch.quarantined:
                kind = reason_kind(q.reason)
                result.reasons[kind] = result.reasons.get(kind, 0) + 1
            if progress is not None:
                progress(batch.read)
        _check_accounting(result, sink.numbers, dataset, reader)
        result.metadata = dict(reader.metadata())
        when = reader.source_time()
        if when is not None:
            result.metadata[SOURCE_TIME] = when.at.astimezone(UTC).isoformat()
            result.metadata[SOURCE_TIME_BASIS] = when.basis
        if result.landed:
            _check_key(sink.schema, key_columns, dataset)
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
    if result.quarantine_share > max_quarantine_share:
        bad = result.quarantined - result.layout
        layout = f" (and {result.layout:,} layout rows)" if result.layout else ""
        result.failed = (
            f"{bad:,} of {result.read:,} records "
            f"({result.quarantine_share:.1%}) were quarantined{layout}, more than the allowed "
            f"{max_quarantine_share:.1%}. The records and their reasons are in "
            f"{sink.quarantine}"
        )
        if not commit_failed:
            reader.close()
            return result
    try:
        reader.commit()
        result.committed = True
        result.state = reader.state()
    finally:
        reader.close()
    return result


def _check_key(schema: pa.Schema | None, key: Sequence[str], dataset: str) -> None:
    """The ``key`` columns are in what landed (checked before anything is acknowledged)."""
    missing = [k for k in key if schema is not None and k not in schema.names]
    if missing:
        names = [n for n in (schema.names if schema is not None else []) if not n.startswith("_")]
        raise SourceError(
            f"the key columns {missing} are not among the columns read",
            where=f"dataset {dataset}",
            allowed=", ".join(names),
            hint="Fix the source's key option; nothing was landed or acknowledged.",
        )


def _check_accounting(
    result: LandingResult, numbers: RecordNumbers, dataset: str, reader: Reader[Any]
) -> None:
    """Every record read is landed or quarantined, under exactly the numbers ``1..read``."""
    problem = numbers.check(result.read)
    if problem is None and result.read != result.landed + result.quarantined:
        problem = (
            f"read {result.read:,} records but landed {result.landed:,} and "
            f"quarantined {result.quarantined:,}"
        )
    if problem is not None:
        raise SourceError(
            f"the reader did not account for every record: {problem}",
            where=f"dataset {dataset} ({reader.describe()})",
            hint="Nothing was landed or acknowledged; this is a defect of the connector "
            f"{reader.kind!r}, please report it with this message.",
        )
