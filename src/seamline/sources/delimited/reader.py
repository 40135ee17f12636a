"""Stream a delimited file into Arrow batches, one text column per header name.

The standard library's C ``csv`` parser does the splitting (quoted delimiters and
line breaks included); this module adds what a register's export needs around it:
the encoding, the exact line and raw text of every record, and quarantine for
rows with the wrong number of fields or bytes the encoding does not define.
Stretches of UTF-8 files with one well-formed record per line take pyarrow's parser
instead, with the same values and lines (``fast.py``).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

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
from seamline.sources.delimited.fast import FAST_ENCODINGS, fast_batches
from seamline.sources.delimited.options import CsvOptions
from seamline.sources.delimited.sniff import (
    SAMPLE_BYTES,
    check_encoding,
    detect_encoding,
    sniff_delimiter,
)

# Undecodable bytes become lone surrogates (errors="surrogateescape"), so a bad byte
# quarantines its record instead of stopping the whole read.
_BAD_BYTES = re.compile("[\udc80-\udcff]")
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class _LineTap:
    """Iterates a text file for ``csv.reader`` and keeps the lines of the current record."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.lines: list[str] = []
        self.line_no = 0

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self.handle)
        self.lines.append(line)
        self.line_no += 1
        return line

    def take(self) -> str:
        raw = "".join(self.lines)
        self.lines.clear()
        return raw


def _unique_names(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        base = name.strip() or f"column_{i}"
        candidate, n = base, 2
        while candidate in seen:
            candidate, n = f"{base}_{n}", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


class CsvReader(Reader):
    """``kind: csv`` — text columns, ``_source_pos`` is the record's first line."""

    kind: ClassVar[str] = "csv"
    options_model: ClassVar[type[SourceOptions]] = CsvOptions
    capabilities: ClassVar[Capabilities] = Capabilities(streaming=True, position_unit="line")

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        if not isinstance(options, CsvOptions):
            raise SourceError(f"the csv reader got {type(options).__name__} options")
        self.opts: CsvOptions = options
        self.path: Path = context.resolve(options.path)
        self.encoding: str | None = None
        self.delimiter: str | None = None

    def describe(self) -> str:
        return f"csv {self.opts.path}"

    def _prepare(self) -> tuple[str, str]:
        self.path = self.source_file(self.opts.path, what="a delimited text file")
        with self.path.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        where = str(self.path)
        if self.opts.encoding == "auto":
            encoding = detect_encoding(sample, where)
        else:
            encoding = check_encoding(self.opts.encoding, where)
        delimiter = self.opts.delimiter or sniff_delimiter(
            sample.decode(encoding, errors="replace")
        )
        return encoding, delimiter

    def batches(self) -> Iterator[Batch]:
        self.encoding, self.delimiter = self._prepare()
        encoding, delimiter = self.encoding, self.delimiter
        with self._open_text(encoding) as fh:
            tap, rows = self._start(fh, delimiter)
            names = self._header(rows, tap)
            offset = self._byte_offset(tap.line_no)
            if encoding not in FAST_ENCODINGS or len(names) < 2 or offset is None:
                # Other code pages would need transcoding; with one column a blank
                # line is a record; a lone CR before the data makes byte offsets
                # uncertain. These files stay on the exact path.
                yield from self._records(rows, tap, names, 0)
                return
            first_line = tap.line_no + 1
        resume = yield from fast_batches(
            self.path, names, offset, first_line, delimiter, self.opts.quotechar, self.context.limit
        )
        if resume is None:
            return
        with self._open_text(encoding, resume.offset) as fh:
            tap = _LineTap(fh)
            tap.line_no = resume.line - 1
            yield from self._records(self._reader(tap, delimiter), tap, names, resume.records)

    def _start(self, fh: IO[str], delimiter: str) -> tuple[_LineTap, Any]:
        """Skip ``skip_rows`` lines; the csv reader over the rest, and its line tap."""
        tap = _LineTap(fh)
        for _ in range(self.opts.skip_rows):
            if next(tap, None) is None:
                break
        tap.take()
        return tap, self._reader(tap, delimiter)

    def _byte_offset(self, lines: int) -> int | None:
        """Where line ``lines + 1`` starts, or None if a lone CR makes that unclear."""
        with self.path.open("rb") as raw:
            head = b"".join(raw.readline() for _ in range(lines))
        return None if head.count(b"\r") != head.count(b"\r\n") else len(head)

    def _open_text(self, encoding: str, offset: int = 0) -> IO[str]:
        """The file as text from byte ``offset``; undecodable bytes kept as surrogates."""
        raw = self.path.open("rb")
        raw.seek(offset)
        return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")

    def _reader(self, tap: _LineTap, delimiter: str) -> Any:
        return csv.reader(tap, delimiter=delimiter, quotechar=self.opts.quotechar)

    def _records(
        self, rows: Any, tap: _LineTap, names: list[str], record_no: int
    ) -> Iterator[Batch]:
        """The records after the header, line by line; ``record_no`` were read before."""
        encoding = self.encoding or "utf-8"
        width = len(names)
        limit = self.context.limit
        values: list[list[str]] = []
        numbers: list[int] = []
        positions: list[str] = []
        quarantined: list[QuarantineRecord] = []
        while limit is None or record_no < limit:
            start = tap.line_no + 1
            try:
                row = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:
                record_no += 1
                quarantined.append(self._bad(record_no, start, tap.take(), str(exc), encoding))
                continue
            raw = tap.take()
            if not row:  # an empty line is not a record
                continue
            record_no += 1
            reason = self._problem(row, raw, width)
            if reason is not None:
                quarantined.append(self._bad(record_no, start, raw, reason, encoding))
            else:
                values.append(row)
                numbers.append(record_no)
                positions.append(f"line {start}")
            if len(values) + len(quarantined) >= self.context.batch_size:
                yield self._batch(names, values, numbers, positions, quarantined)
                values, numbers, positions, quarantined = [], [], [], []
        if values or quarantined or record_no == 0:
            yield self._batch(names, values, numbers, positions, quarantined)

    def _header(self, rows: Any, tap: _LineTap) -> list[str]:
        header: list[str] | None = None
        if self.opts.header:
            try:
                header = next(rows)
                while not header:
                    header = next(rows)
            except StopIteration:
                header = []
            tap.take()
            if header and _BAD_BYTES.search("".join(header)):
                raise SourceError(
                    f"the header of {self.path} has bytes that are not valid {self.encoding}",
                    hint="set encoding: to the file's real code page",
                )
        if self.opts.columns is not None:
            if header is not None and header and len(header) != len(self.opts.columns):
                raise SourceError(
                    f"columns: names {len(self.opts.columns)} columns but the header of "
                    f"{self.path} has {len(header)}",
                    hint="list one name per column, or remove columns: to use the header",
                )
            return _unique_names(list(self.opts.columns))
        if header is None:
            raise SourceError(
                f"{self.path}: header: false needs columns: with the column names",
                hint="add columns: [name, ...] to the source",
            )
        return _unique_names(header)

    @staticmethod
    def _problem(row: list[str], raw: str, width: int) -> str | None:
        if len(row) != width:
            return f"{len(row)} fields where the header has {width}"
        if _BAD_BYTES.search(raw) is not None:
            for i, value in enumerate(row, start=1):
                if _BAD_BYTES.search(value):
                    return f"field {i} has bytes that are not valid in the file's encoding"
            return "bytes that are not valid in the file's encoding"
        return None

    @staticmethod
    def _bad(record_no: int, line: int, raw: str, reason: str, encoding: str) -> QuarantineRecord:
        return QuarantineRecord(
            record_no=record_no,
            position=f"line {line}",
            reason=reason,
            raw=raw.encode(encoding, errors="surrogateescape"),
        )

    @staticmethod
    def _batch(
        names: list[str],
        values: list[list[str]],
        numbers: list[int],
        positions: list[str],
        quarantined: list[QuarantineRecord],
    ) -> Batch:
        if values:
            columns = [pa.array(col, type=pa.string()) for col in zip(*values, strict=True)]
        else:
            columns = [pa.array([], type=pa.string()) for _ in names]
        table = pa.RecordBatch.from_arrays(columns, names=names)
        data = with_bookkeeping(
            table, pa.array(numbers, type=pa.int64()), pa.array(positions, type=pa.string())
        )
        return Batch(data, list(quarantined))
