"""Stream a delimited file into Arrow batches, one text column per header name.

The standard library's C ``csv`` parser does the splitting (quoted delimiters and
line breaks included); this module adds what a register's export needs around it:
the encoding (``encoding.py``), the exact line and raw text of every record, and
quarantine for rows with the wrong number of fields or bytes the encoding does not
define (the reason names the byte offset of the first such byte).
Stretches of UTF-8 files with one well-formed record per line take pyarrow's parser
instead, with the same values and lines (``fast.py``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
from collections.abc import Generator, Iterator
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
from seamline.sources.delimited.encoding import (
    SAMPLE_BYTES,
    ByteCounter,
    EncodingChoice,
    check_encoding,
    detect_encoding,
    first_bad_byte,
)
from seamline.sources.delimited.fast import FAST_ENCODINGS, Resume, fast_batches
from seamline.sources.delimited.options import CsvOptions
from seamline.sources.delimited.sniff import sniff_delimiter

# Undecodable bytes become lone surrogates (errors="surrogateescape"), so a bad byte
# quarantines its record instead of stopping the whole read.
_BAD_BYTES = re.compile("[\udc80-\udcff]")
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
log = logging.getLogger(__name__)

ENCODING_KEY = b"seamline.encoding"
ENCODING_RULE_KEY = b"seamline.encoding_rule"
"""Schema metadata of every batch (and so of the landed Parquet file): the codec read, and why."""


class _LineTap:
    """Iterates a text file for ``csv.reader`` and keeps the lines of the current record."""

    def __init__(self, handle: IO[str], counter: ByteCounter, offset: int) -> None:
        self.handle = handle
        self.lines: list[str] = []
        self.line_no = 0
        self.counter = counter
        self.offset: int | None = offset
        """Byte offset of the next line (None once a line cannot be measured)."""
        self.record_start: int | None = offset
        """Byte offset of the current (or last taken) record's first line."""

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self.handle)
        if not self.lines:
            self.record_start = self.offset
        self.lines.append(line)
        self.line_no += 1
        if self.offset is not None:
            size = self.counter.size(line)
            self.offset = None if size is None else self.offset + size
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


class CsvReader(Reader[CsvOptions]):
    """``kind: csv`` — text columns, ``_source_pos`` is the record's first line."""

    kind: ClassVar[str] = "csv"
    options_model: ClassVar[type[SourceOptions]] = CsvOptions
    capabilities: ClassVar[Capabilities] = Capabilities(streaming=True, position_unit="line")

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        self.path: Path = context.resolve(self.opts.path)
        self.encoding: str | None = None
        """The codec the file is read with (``auto`` resolved)."""
        self.encoding_rule: str | None = None
        """Why that codec: ``declared``, ``byte-order mark`` or the sample's counts."""
        self.delimiter: str | None = None

    def describe(self) -> str:
        return f"csv {self.opts.path}"

    def metadata(self) -> dict[str, str]:
        """What the read chose that the data does not show: the encoding and why."""
        if self.encoding is None:
            return {}
        return {"encoding": self.encoding, "encoding_rule": self.encoding_rule or ""}

    def _prepare(self) -> tuple[EncodingChoice, str]:
        self.path = self.source_file(self.opts.path, what="a delimited text file")
        with self.path.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES + 1)
        whole = len(sample) <= SAMPLE_BYTES
        sample = sample[:SAMPLE_BYTES]
        where = str(self.path)
        if self.opts.encoding == "auto":
            choice = detect_encoding(sample, where, whole_file=whole)
        else:
            choice = check_encoding(self.opts.encoding, where)
        delimiter = self.opts.delimiter or sniff_delimiter(
            sample.decode(choice.name, errors="replace")
        )
        return choice, delimiter

    def batches(self) -> Iterator[Batch]:
        choice, self.delimiter = self._prepare()
        self.encoding, self.encoding_rule = choice.name, choice.rule
        log.info(
            "dataset %s: %s read as %s (%s)",
            self.context.dataset,
            self.opts.path,
            choice.name,
            choice.rule,
        )
        tags = {ENCODING_KEY: choice.name.encode(), ENCODING_RULE_KEY: choice.rule.encode()}
        for batch in self._read(choice.name, self.delimiter):
            yield Batch(batch.data.replace_schema_metadata(tags), batch.quarantined, batch.consumed)

    def _read(self, encoding: str, delimiter: str) -> Iterator[Batch]:
        counter = ByteCounter(encoding)
        with self._open_text(encoding) as fh:
            tap, rows = self._start(fh, delimiter, counter)
            names = self._header(rows, tap)
            offset = self._byte_offset(tap.line_no)
            if encoding not in FAST_ENCODINGS or len(names) < 2 or offset is None:
                # Other code pages would need transcoding; with one column a blank
                # line is a record; a lone CR before the data makes byte offsets
                # uncertain. These files stay on the exact path.
                yield from self._records(rows, tap, names, 0)
                return
            after: Resume | None = Resume(offset, tap.line_no + 1, 0)
        while after is not None:
            # pyarrow for the clean stretches, line by line around the records that are not
            resume = yield from fast_batches(
                self.path,
                names,
                after.offset,
                after.line,
                delimiter,
                self.opts.quotechar,
                self.context.limit,
                after.records,
            )
            if resume is None:
                return
            with self._open_text(encoding, resume.offset) as fh:
                tap = _LineTap(fh, counter, resume.offset)
                tap.line_no = resume.line - 1
                rows = self._reader(tap, delimiter)
                after = yield from self._records(rows, tap, names, resume.records, resume.stop)

    def _start(self, fh: IO[str], delimiter: str, counter: ByteCounter) -> tuple[_LineTap, Any]:
        """Skip ``skip_rows`` lines; the csv reader over the rest, and its line tap."""
        tap = _LineTap(fh, counter, counter.start)
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
        self, rows: Any, tap: _LineTap, names: list[str], record_no: int, stop: int | None = None
    ) -> Generator[Batch, None, Resume | None]:
        """The records after the header, line by line; ``record_no`` were read before.

        With ``stop``, reading ends at the first record boundary at or after that byte
        offset and returns where the next record starts (None at the end of the file).
        """
        codec = tap.counter.codec
        width = len(names)
        limit = self.context.limit
        values: list[list[str]] = []
        numbers: list[int] = []
        positions: list[str] = []
        quarantined: list[QuarantineRecord] = []
        after: Resume | None = None
        while limit is None or record_no < limit:
            start = tap.line_no + 1
            if stop is not None and tap.offset is not None and tap.offset >= stop:
                after = Resume(tap.offset, start, record_no)
                break
            try:
                row = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:
                record_no += 1
                quarantined.append(self._bad(record_no, start, tap.take(), str(exc), codec))
                continue
            raw = tap.take()
            if not row:  # an empty line is not a record
                continue
            record_no += 1
            reason = self._problem(row, raw, width, tap)
            if reason is not None:
                quarantined.append(self._bad(record_no, start, raw, reason, codec))
            else:
                values.append(row)
                numbers.append(record_no)
                positions.append(f"line {start}")
            if len(values) + len(quarantined) >= self.context.batch_size:
                yield self._batch(names, values, numbers, positions, quarantined)
                values, numbers, positions, quarantined = [], [], [], []
        if values or quarantined or (record_no == 0 and after is None):
            yield self._batch(names, values, numbers, positions, quarantined)
        return after

    def _header(self, rows: Any, tap: _LineTap) -> list[str]:
        header: list[str] | None = None
        if self.opts.header:
            try:
                header = next(rows)
                while not header:
                    header = next(rows)
            except StopIteration:
                header = []
            raw = tap.take()
            if header and _BAD_BYTES.search("".join(header)):
                at = self._bad_byte(raw, tap)
                raise SourceError(
                    f"the header of {self.path} has bytes that are not valid "
                    f"{self.encoding}: {at}; the columns cannot be named",
                    hint="Set encoding: to the file's real code page, or repair the header line.",
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

    def _problem(self, row: list[str], raw: str, width: int, tap: _LineTap) -> str | None:
        if len(row) != width:
            return f"{len(row)} fields where the header has {width}"
        if _BAD_BYTES.search(raw) is None:
            return None
        field = next((i for i, v in enumerate(row, start=1) if _BAD_BYTES.search(v)), None)
        where = f"field {field} " if field is not None else ""
        return f"{self._bad_byte(raw, tap)}: {where}has bytes that are not valid {self.encoding}"

    @staticmethod
    def _bad_byte(raw: str, tap: _LineTap) -> str:
        """``byte N (0xFF)``: where in the file the first undecodable byte of ``raw`` is."""
        found = first_bad_byte(raw)
        if found is None:  # pragma: no cover - called for text with a bad byte only
            return "a byte"
        index, value = found
        before = tap.counter.size(raw[:index])
        if tap.record_start is None or before is None:
            return f"a byte 0x{value:02X}"
        return f"byte {tap.record_start + before} (0x{value:02X})"

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
        return Batch(data, list(quarantined), len(numbers) + len(quarantined))
