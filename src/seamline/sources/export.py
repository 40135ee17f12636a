"""Write what a reader yields to a file a person can open: Parquet, JSON lines or CSV."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from seamline.errors import UsageError
from seamline.sources.base import Reader
from seamline.sources.landing import QUARANTINE_SCHEMA, quarantine_batch

FORMATS = (".parquet", ".jsonl", ".ndjson", ".csv")


@dataclass
class ExportResult:
    read: int = 0
    written: int = 0
    quarantined: int = 0
    output: Path | None = None
    quarantine: Path | None = None
    preview: list[dict[str, Any]] = field(default_factory=list)
    schema: list[tuple[str, str]] = field(default_factory=list)


class _Writer:
    def __init__(self, path: Path) -> None:
        if path.suffix not in FORMATS:
            raise UsageError(
                f"cannot write {path.name}: unknown output format {path.suffix or '(none)'}",
                allowed=", ".join(FORMATS),
            )
        self.path = path
        self.pq: pq.ParquetWriter | None = None
        self.csv: pacsv.CSVWriter | None = None
        self.text: IO[str] | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self.path.suffix == ".parquet":
            if self.pq is None:
                self.pq = pq.ParquetWriter(self.path, batch.schema)
            self.pq.write_batch(batch)
        elif self.path.suffix == ".csv":
            if self.csv is None:
                self.csv = pacsv.CSVWriter(str(self.path), batch.schema)
            self.csv.write_batch(batch)
        else:
            if self.text is None:
                self.text = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            for row in batch.to_pylist():
                self.text.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        for w in (self.pq, self.csv, self.text):
            if w is not None:
                w.close()


def export(
    reader: Reader[Any], output: Path | None, *, limit: int | None = None, preview: int = 20
) -> ExportResult:
    """Read everything (or ``limit`` records) and write it to ``output``; keep a preview."""
    result = ExportResult(output=output)
    writer = _Writer(output) if output is not None else None
    qwriter: pq.ParquetWriter | None = None
    try:
        for batch in reader.batches():
            data = batch.data
            if limit is not None and result.written + data.num_rows > limit:
                data = data.slice(0, max(limit - result.written, 0))
            if not result.schema:
                result.schema = [(f.name, str(f.type)) for f in data.schema]
            if writer is not None and data.num_rows:
                writer.write(data)
            if len(result.preview) < preview:
                result.preview.extend(data.slice(0, preview - len(result.preview)).to_pylist())
            result.read += data.num_rows + len(batch.quarantined)
            result.written += data.num_rows
            result.quarantined += len(batch.quarantined)
            if batch.quarantined and output is not None:
                if qwriter is None:
                    result.quarantine = output.with_name(output.stem + ".quarantine.parquet")
                    qwriter = pq.ParquetWriter(result.quarantine, QUARANTINE_SCHEMA)
                qwriter.write_batch(quarantine_batch(batch.quarantined))
            if limit is not None and result.written >= limit:
                break
    finally:
        reader.close()
        if writer is not None:
            writer.close()
        if qwriter is not None:
            qwriter.close()
    return result
