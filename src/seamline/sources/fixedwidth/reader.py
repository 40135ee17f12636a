"""Read fixed-width text files: one record a line, columns cut at declared positions.

Positions count characters of the decoded line, so a UTF-8 file with Cyrillic names
lines up the way it looks in an editor; in single-byte encodings (cp1251, cp866)
characters and bytes are the same. Every field is trimmed of surrounding spaces and a
blank field is null. A line that is too short, does not decode, or has a typed field
whose text does not parse is quarantined as ``line N`` with the column and the reason.
Empty (or all-blank) lines are not records and are skipped.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import pyarrow as pa

from seamline.errors import SourceError
from seamline.sources.base import (
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
    with_bookkeeping,
)
from seamline.sources.fixedwidth.options import FixedWidthColumn, FixedWidthOptions
from seamline.sources.parallel import (
    MIN_RANGE_BYTES,
    LineSpan,
    line_spans,
    read_ranges,
    resolve_workers,
)

Convert = Callable[[str], Any]

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")


def arrow_type(col: FixedWidthColumn) -> pa.DataType:
    if col.type == "integer":
        return pa.int64()
    if col.type == "decimal":
        return pa.decimal128(max(col.length, col.scale + 1), col.scale)
    if col.type == "date":
        return pa.date32()
    return pa.string()


def converter(col: FixedWidthColumn) -> Convert:
    """Text (already trimmed, not blank) to the column's value; ValueError says why not."""
    if col.type == "integer":

        def to_int(text: str) -> int:
            if not _INTEGER.fullmatch(text):
                raise ValueError(f"{text!r} is not an integer")
            value = int(text)
            if not -(2**63) <= value < 2**63:
                raise ValueError(f"{text!r} does not fit a 64-bit integer")
            return value

        return to_int
    if col.type == "decimal":
        quantum = Decimal(1).scaleb(-col.scale)
        digits = max(col.length, col.scale + 1)

        def to_decimal(text: str) -> Decimal:
            if not _DECIMAL.fullmatch(text):
                raise ValueError(f"{text!r} is not a decimal number")
            try:
                value = Decimal(text) if "." in text else Decimal(text).scaleb(-col.scale)
                exact = value.quantize(quantum)
            except InvalidOperation:
                raise ValueError(f"{text!r} does not fit {digits} digits") from None
            if exact != value:
                raise ValueError(f"{text!r} has more than {col.scale} decimal places")
            if len(exact.as_tuple().digits) > digits:
                raise ValueError(f"{text!r} does not fit {digits} digits")
            return exact

        return to_decimal
    if col.type == "date":
        fmt = col.format or "%Y-%m-%d"

        @functools.lru_cache(maxsize=8192)  # strptime is slow and dates repeat a lot
        def to_date(text: str) -> dt.date:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                raise ValueError(f"{text!r} is not a date in the format {fmt}") from None

        return to_date
    return str


class FixedWidthReader(Reader[FixedWidthOptions]):
    """``kind: fixed_width`` — typed columns cut out of text lines."""

    kind: ClassVar[str] = "fixed_width"
    options_model: ClassVar[type[SourceOptions]] = FixedWidthOptions
    capabilities: ClassVar[Capabilities] = Capabilities(streaming=True, position_unit="line")

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        self.codec = codecs.lookup(self.opts.encoding).name
        self.width = max(c.end for c in self.opts.columns)
        self.types = [arrow_type(c) for c in self.opts.columns]
        self.cuts = [(c.start - 1, c.end, converter(c)) for c in self.opts.columns]

    def describe(self) -> str:
        return f"fixed_width {self.opts.path}"

    def batches(self) -> Iterator[Batch]:
        path = self._file()
        limit = self.context.limit
        if limit is None and not self.codec.startswith(("utf-16", "utf-32")):
            size = path.stat().st_size
            workers = resolve_workers(self.opts.workers, size, self.context.ranges)
            if workers > 1:
                target = min(64 << 20, max(MIN_RANGE_BYTES, size // (4 * workers)))
                tasks = [
                    (read_span, self.opts, self.context, span) for span in line_spans(path, target)
                ]
                yield from read_ranges(tasks, workers, str(path), self.context.ranges)
                return
        yield from self._records(self._lines(path), limit)

    def _records(
        self, lines: Iterator[tuple[int, bytes, str | None]], limit: int | None
    ) -> Iterator[Batch]:
        """Batches of the lines' records, numbered from 1."""
        size = max(1, self.context.batch_size)
        cols = self.opts.columns
        record_no = 0
        values: list[list[Any]] = [[] for _ in cols]
        numbers: list[int] = []
        positions: list[str] = []
        bad: list[QuarantineRecord] = []
        yielded = False
        for line_no, raw, text in lines:
            if limit is not None and record_no >= limit:
                break
            if text is not None and not text.strip():
                continue
            record_no += 1
            where = f"line {line_no}"
            row, reason = self._parse(text, raw)
            if row is None:
                bad.append(QuarantineRecord(record_no, where, reason, raw))
            else:
                numbers.append(record_no)
                positions.append(where)
                for i, v in enumerate(row):
                    values[i].append(v)
            if len(numbers) + len(bad) >= size:
                yield self._batch(values, numbers, positions, bad)
                yielded = True
                values, numbers, positions, bad = [[] for _ in cols], [], [], []
        if numbers or bad or not yielded:
            yield self._batch(values, numbers, positions, bad)

    def _parse(self, text: str | None, raw: bytes) -> tuple[list[Any] | None, str]:
        if text is None:
            try:
                raw.decode(self.codec)
            except UnicodeDecodeError as exc:
                return None, (
                    f"not {self.opts.encoding} text: {exc.reason} at byte {exc.start + 1}"
                )
            return None, f"not {self.opts.encoding} text"  # pragma: no cover
        if len(text) < self.width:
            if not self.opts.allow_short_lines:
                return None, (f"the line has {len(text)} characters, the layout needs {self.width}")
            text = text.ljust(self.width)
        row: list[Any] = []
        for first, end, convert in self.cuts:
            field = text[first:end].strip()
            if not field:
                row.append(None)
                continue
            try:
                row.append(convert(field))
            except ValueError as exc:
                col = self.opts.columns[len(row)]
                return None, f"column {col.name} (characters {col.start}-{col.end}): {exc}"
        return row, ""

    def _batch(
        self,
        values: list[list[Any]],
        numbers: list[int],
        positions: list[str],
        bad: list[QuarantineRecord],
    ) -> Batch:
        arrays: list[pa.Array[Any]] = [
            pa.array(v, type=t) for v, t in zip(values, self.types, strict=True)
        ]
        table = pa.RecordBatch.from_arrays(arrays, names=[c.name for c in self.opts.columns])
        data = with_bookkeeping(
            table, pa.array(numbers, pa.int64()), pa.array(positions, pa.string())
        )
        return Batch(data=data, quarantined=bad, consumed=len(numbers) + len(bad))

    # -- lines -----------------------------------------------------------------------

    def _lines(
        self, path: Path, span: LineSpan | None = None
    ) -> Iterator[tuple[int, bytes, str | None]]:
        """``(line number, raw bytes, text or None)`` after ``skip_rows``; ``span``: only
        the lines of that byte range (not for UTF-16 and UTF-32)."""
        skip = self.opts.skip_rows
        if self.codec.startswith(("utf-16", "utf-32")):
            # Not ASCII-compatible: lines cannot be split in bytes; decode as a stream,
            # and a decoding error stops the read (the encoding is wrong, not a line).
            with self._open(path) as fh:
                stream = codecs.getreader(self.codec)(fh, "strict")
                try:
                    for n, line in enumerate(stream, start=1):
                        if n > skip:
                            text = line.rstrip("\r\n").lstrip("\ufeff")
                            yield n, line.encode(self.codec), text
                except UnicodeDecodeError as exc:
                    raise SourceError(
                        f"the file is not {self.opts.encoding} text: {exc.reason}",
                        where=str(path),
                        hint="Check the encoding option.",
                    ) from exc
            return
        with self._open(path) as fh:
            lines: Iterable[bytes] = fh
            first = 1
            if span is not None:
                fh.seek(span[0])
                lines, first = io.BytesIO(fh.read(span[1] - span[0])), span[2]
            for n, raw in enumerate(lines, start=first):
                if n <= skip:
                    continue
                raw = raw.rstrip(b"\r\n")
                if n == 1 and self.codec == "utf-8":
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                try:
                    yield n, raw, raw.decode(self.codec)
                except UnicodeDecodeError:
                    yield n, raw, None

    def _file(self) -> Path:
        return self.source_file(
            self.opts.path,
            what="a text file",
            hint="Point the path option at the fixed-width file.",
        )

    def _open(self, path: Path) -> BinaryIO:
        try:
            return path.open("rb")
        except OSError as exc:
            raise SourceError(
                f"cannot read {self.opts.path}: {exc.strerror or exc}",
                where=f"dataset {self.context.dataset}",
                hint=f"Check that {path} is readable by this user.",
            ) from exc


def read_span(
    options: FixedWidthOptions, context: ReadContext, span: LineSpan
) -> tuple[int, list[Batch]]:
    """Read one range of lines in a worker: (its records, its batches numbered from 1)."""
    reader = FixedWidthReader(options, context)
    batches = list(reader._records(reader._lines(reader._file(), span), None))
    return sum(b.data.num_rows + len(b.quarantined) for b in batches), batches
