"""Read Parquet and Arrow IPC files batch by batch, keeping the file's own types.

Columnar files are typed by their writer, so nothing is decoded here and nothing is
quarantined: a value cannot fail to fit. What can fail is the file itself (truncated,
not a Parquet/Arrow file, a column missing), and that is a SourceError naming the path.
``_source_pos`` is ``row N``, the 1-based row in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from seamline.errors import SourceError, did_you_mean
from seamline.sources.base import (
    BOOKKEEPING_COLUMNS,
    Batch,
    Capabilities,
    ReadContext,
    Reader,
    SourceOptions,
    with_bookkeeping,
)
from seamline.sources.parquet.options import ParquetOptions

PARQUET_MAGIC = b"PAR1"
ARROW_FILE_MAGIC = b"ARROW1"
FEATHER_V1_MAGIC = b"FEA1"


def sniff(head: bytes) -> str:
    """``parquet``, ``ipc-file``, ``ipc-stream`` or ``unknown`` from the first bytes."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(ARROW_FILE_MAGIC):
        return "ipc-file"
    if head.startswith(FEATHER_V1_MAGIC):
        return "feather-v1"
    if head.startswith(b"\xff\xff\xff\xff") and len(head) >= 8:
        return "ipc-stream"
    return "unknown"


class ParquetReader(Reader[ParquetOptions]):
    """``kind: parquet`` — rows of a Parquet or Arrow IPC file, typed by the file."""

    kind: ClassVar[str] = "parquet"
    options_model: ClassVar[type[SourceOptions]] = ParquetOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        streaming=True, schema_inference=True, position_unit="row"
    )

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)

    def describe(self) -> str:
        return f"parquet {self.opts.path}"

    def batches(self) -> Iterator[Batch]:
        path = self._file()
        try:
            with path.open("rb") as fh:
                head = fh.read(8)
        except OSError as exc:
            raise self._error(f"cannot read the file: {exc.strerror or exc}", path) from exc
        fmt = sniff(head)
        if fmt == "feather-v1":
            raise self._error(
                "this is a Feather version 1 file, which is not read",
                path,
                hint="Save it again as Feather v2 / Arrow IPC (pyarrow.feather.write_feather).",
            )
        if fmt == "unknown":
            raise self._error(
                "not a Parquet or Arrow IPC file (its first bytes are neither PAR1 nor an "
                "Arrow header)",
                path,
                hint="Check the delivery; CSV or JSON files need kind: csv or kind: json.",
            )
        try:
            yield from self._read(path, fmt)
        except (pa.ArrowException, OSError) as exc:
            raise self._error(f"the file cannot be read as {fmt}: {exc}", path) from exc

    def _read(self, path: Path, fmt: str) -> Iterator[Batch]:
        size = max(1, self.context.batch_size)
        limit = self.context.limit
        if fmt == "parquet":
            pfile = pq.ParquetFile(path)
            schema = pfile.schema_arrow
            columns = self._columns(schema, path)
            source: Iterator[pa.RecordBatch] = pfile.iter_batches(batch_size=size, columns=columns)
        elif fmt == "ipc-file":
            ifile = ipc.open_file(pa.memory_map(str(path)))
            schema = ifile.schema
            columns = self._columns(schema, path)
            source = (ifile.get_batch(i) for i in range(ifile.num_record_batches))
        else:
            stream = ipc.open_stream(pa.memory_map(str(path)))
            schema = stream.schema
            columns = self._columns(schema, path)
            source = iter(stream)
        done = 0
        for batch in source:
            picked = batch.select(columns)
            for offset in range(0, picked.num_rows, size):
                if limit is not None and done >= limit:
                    return
                take = size if limit is None else min(size, limit - done)
                piece = picked.slice(offset, min(take, picked.num_rows - offset))
                yield Batch(data=_with_rows(piece, done), consumed=piece.num_rows)
                done += piece.num_rows
        if done == 0:
            empty = pa.schema([schema.field(c) for c in columns]).empty_table()
            yield Batch(data=_with_rows(empty, 0), consumed=0)

    def _columns(self, schema: pa.Schema, path: Path) -> list[str]:
        names: list[str] = list(schema.names)
        if self.opts.columns is None:
            clash = [n for n in names if n in BOOKKEEPING_COLUMNS]
            if clash:
                raise self._error(
                    f"the file already has the column(s) {', '.join(clash)}, which seamline adds",
                    path,
                    hint="List the columns to read in the columns option, leaving those out.",
                )
            return names
        for col in self.opts.columns:
            if col not in names:
                guess = did_you_mean(col, names)
                raise self._error(
                    f"the file has no column {col!r}"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    path,
                    allowed=", ".join(names[:40]),
                    hint="Fix the columns option of the source.",
                )
        return list(self.opts.columns)

    def _file(self) -> Path:
        return self.source_file(
            self.opts.path,
            what="a single file: partitioned datasets are not read",
            hint="Point the path option at one .parquet or .arrow file.",
        )

    def _error(
        self, message: str, path: Path, *, allowed: str | None = None, hint: str | None = None
    ) -> SourceError:
        return SourceError(
            message,
            where=str(path),
            allowed=allowed,
            hint=hint or "Check that the file is a complete Parquet or Arrow IPC file.",
        )


def _with_rows(data: pa.RecordBatch | pa.Table, before: int) -> pa.RecordBatch:
    """The rows with ``_record_no`` (before+1...) and ``_source_pos`` (``row N``)."""
    numbers: pa.Array[Any] = pa.array(range(before + 1, before + 1 + data.num_rows), pa.int64())
    join: Any = pc.binary_join_element_wise  # the stubs do not allow a scalar prefix
    positions: pa.Array[Any] = join("row ", numbers.cast(pa.string()), "")
    return with_bookkeeping(data, numbers, positions)
