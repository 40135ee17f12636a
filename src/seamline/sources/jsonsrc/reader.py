"""Read JSON documents and NDJSON into batches of flat records, streaming both.

NDJSON is read line by line: a line that is not JSON (or not text in the declared
encoding) is quarantined as ``line N`` with the parser's message, and the read goes on.
A JSON document is read in chunks (:mod:`seamline.sources.jsonsrc.walk`): a malformed
record of the records' array is quarantined with its line and the read goes on at the
next item; a file that ends inside that array (truncated) lands the records before it
and quarantines the partial one, saying the file ends inside it. A malformation outside
the records' array is a delivery problem: the read stops with a SourceError naming
``file:line:column``.

Column types come from the whole read, in two passes over the file: the first only
scans every record's value kinds, the second decodes with the types fixed
(:mod:`seamline.sources.jsonsrc.schema`). The alternative, widening a column's type
when a later value does not fit and rewriting the batches already landed, would need
the landing zone to take back written batches, and batches of one type per delivery
would still only be known at the end; two passes parse twice but keep memory at one
batch and need nothing from the landing zone. Measured on a 228 MB array of 1,000,000
records (11 fields, nested object, list): 34 CPU seconds for both passes, of which the
scan is 14; peak memory grew by 87 MB, the same as for a 23 MB file (55 MB of it is
there even for a 1 MB file), where loading the whole document grew it by 688 MB.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from seamline.errors import SourceError
from seamline.sources.base import (
    BOOKKEEPING_COLUMNS,
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
)
from seamline.sources.base import SourceOptions as _Options
from seamline.sources.jsonsrc.options import JsonOptions
from seamline.sources.jsonsrc.paths import Step, get_path, parse_path
from seamline.sources.jsonsrc.schema import Builder, Scan, Schema
from seamline.sources.jsonsrc.stream import TextStream
from seamline.sources.jsonsrc.walk import Broken, JsonTextError, walk_document
from seamline.sources.parallel import (
    MIN_RANGE_BYTES,
    LineSpan,
    line_spans,
    ordered,
    read_ranges,
    resolve_workers,
)
from seamline.sources.records import PendingRecord, flatten

Decoded = PendingRecord | QuarantineRecord
Records = Generator[Decoded, None, None]

NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".jsonlines", ".ldjson")
_PEEK = 1 << 20
BATCH_TEXT = 4 << 20
"""A batch is cut after this much source text too: decoded records weigh several times it."""
_KINDS = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def kind_of(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return _KINDS.get(type(value), type(value).__name__)


class JsonReader(Reader[JsonOptions]):
    """``kind: json`` — records of a JSON document or of NDJSON lines."""

    kind: ClassVar[str] = "json"
    options_model: ClassVar[type[_Options]] = JsonOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        streaming=True, schema_inference=True, position_unit="line"
    )

    def __init__(self, options: _Options, context: ReadContext) -> None:
        super().__init__(options, context)
        self.steps: tuple[Step, ...] = (
            parse_path(self.opts.record_path) if self.opts.record_path else ()
        )
        self.fields = {col: parse_path(p) for col, p in self.opts.fields.items()}
        self.codec = codecs.lookup(self.opts.encoding).name

    def describe(self) -> str:
        return f"json {self.opts.path}"

    # -- the stream of batches ----------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        path = self._file()
        fmt = self.opts.format if self.opts.format != "auto" else self._sniff(path)
        if (
            fmt == "ndjson"
            and self.context.limit is None
            and not self.codec.startswith(("utf-16", "utf-32"))
        ):
            size = path.stat().st_size
            workers = resolve_workers(self.opts.workers, size, self.context.ranges)
            if workers > 1:
                yield from self._parallel(path, workers)
                return
        scan = Scan(self.opts.types)
        with contextlib.closing(self._records(path, fmt, keep_raw=False)) as first:
            for record in self._limited(first):
                if isinstance(record, PendingRecord):
                    scan.add(record.values)
        schema = scan.schema()
        with contextlib.closing(self._records(path, fmt, keep_raw=True)) as records:
            yield from self._batched(self._limited(records), schema)

    def _parallel(self, path: Path, workers: int) -> Iterator[Batch]:
        """NDJSON cut after line breaks: each part scanned, then read, by a pool of processes;
        the parts' scans merge into one schema in between."""
        size = path.stat().st_size
        target = min(64 << 20, max(MIN_RANGE_BYTES, size // (4 * workers)))
        spans = line_spans(path, target)
        scan = Scan(self.opts.types)
        runner = self.context.ranges
        scans = [(scan_span, self.opts, self.context, s) for s in spans]
        for part in ordered(scans, workers, str(path), runner=runner):
            scan.merge(part)
        schema = scan.schema()
        tasks = [(read_span, self.opts, self.context, s, schema) for s in spans]
        yield from read_ranges(tasks, workers, str(path), runner)

    def _records(self, path: Path, fmt: str, *, keep_raw: bool) -> Records:
        return self._ndjson(path) if fmt == "ndjson" else self._document(path, keep_raw)

    def _limited(self, records: Iterable[Decoded]) -> Iterator[Decoded]:
        limit = self.context.limit
        if limit is not None and limit <= 0:
            return
        for count, record in enumerate(records, start=1):
            yield record
            if limit is not None and count >= limit:
                return

    def _batched(self, records: Iterator[Decoded], schema: Schema) -> Iterator[Batch]:
        """Batches of ``batch_size`` records or about ``BATCH_TEXT`` bytes of source text."""
        size = max(1, self.context.batch_size)
        builder = Builder(schema)
        count = 0
        for record in records:
            if isinstance(record, PendingRecord):
                builder.add(record)
            else:
                builder.quarantine(record)
            count += 1
            if len(builder) >= size or builder.text >= BATCH_TEXT:
                yield builder.batch()
                builder = Builder(schema)
        if len(builder) or count == 0:
            yield builder.batch()

    # -- one record ---------------------------------------------------------------

    def _record(self, value: Any, record_no: int, position: str, raw: bytes) -> Decoded:
        if not isinstance(value, dict):
            reason = f"JSON {kind_of(value)}, expected an object"
            return QuarantineRecord(record_no, position, reason, raw)
        if self.fields:
            values = {col: get_path(value, steps) for col, steps in self.fields.items()}
        else:
            values = flatten(value)
            clash = [n for n in BOOKKEEPING_COLUMNS if n in values]
            if clash:
                reason = f"field {clash[0]} has the name of a column seamline adds"
                return QuarantineRecord(record_no, position, reason, raw)
        return PendingRecord(record_no, position, values, raw)

    # -- NDJSON ---------------------------------------------------------------------

    def _ndjson(self, path: Path, span: LineSpan | None = None) -> Records:
        record_no = 0
        for line_no, raw, text in self._lines(path, span):
            if text is None:
                record_no += 1
                yield QuarantineRecord(record_no, f"line {line_no}", self._not_text(raw), raw)
                continue
            if not text.strip():
                continue  # blank lines separate nothing and are not records
            if not self.steps:
                record_no += 1
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    reason = f"not JSON: {exc.msg} at column {exc.colno}"
                    yield QuarantineRecord(record_no, f"line {line_no}", reason, raw)
                    continue
                except RecursionError:
                    reason = "not JSON this reader can parse: nested too deeply"
                    yield QuarantineRecord(record_no, f"line {line_no}", reason, raw)
                    continue
                yield self._record(value, record_no, f"line {line_no}", raw)
                continue
            try:
                found = list(walk_document(text, self.steps))
            except JsonTextError as exc:
                record_no += 1
                at = f" at column {exc.pos + 1}" if exc.pos is not None else ""
                prefix = "" if exc.pos is None else "not JSON: "
                yield QuarantineRecord(record_no, f"line {line_no}", prefix + exc.message + at, raw)
                continue
            for f in found:
                record_no += 1
                position = f"line {line_no} ({f.path})"
                if isinstance(f, Broken):
                    reason = f"not JSON: {f.message} at column {f.pos + 1}"
                    if f.truncated:
                        reason = f"not JSON: {f.message} (at column {f.pos + 1})"
                    yield QuarantineRecord(record_no, position, reason, raw)
                else:
                    yield self._record(f.value, record_no, position, raw)

    def _lines(
        self, path: Path, span: LineSpan | None = None
    ) -> Iterator[tuple[int, bytes, str | None]]:
        """``(line number, raw bytes, text or None when it does not decode)``; ``span``:
        only the lines of that byte range (not for UTF-16 and UTF-32)."""
        if self.codec.startswith(("utf-16", "utf-32")):
            # Not ASCII-compatible: lines cannot be split in bytes, so decode as a
            # stream; a decoding error then stops the read (it is the wrong encoding).
            with self._open(path) as fh:
                reader = codecs.getreader(self.codec)(fh, "strict")
                try:
                    for n, line in enumerate(reader, start=1):
                        text = line.lstrip("\ufeff") if n == 1 else line
                        yield n, line.encode(self.codec), text.rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise self._encoding_error(path, exc) from exc
            return
        with self._open(path) as fh:
            lines: Iterable[bytes] = fh
            first = 1
            if span is not None:
                fh.seek(span[0])
                lines, first = io.BytesIO(fh.read(span[1] - span[0])), span[2]
            for n, raw in enumerate(lines, start=first):
                raw = raw.rstrip(b"\r\n")
                if n == 1 and self.codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                try:
                    yield n, raw, raw.decode(self.codec)
                except UnicodeDecodeError:
                    yield n, raw, None

    def _not_text(self, raw: bytes) -> str:
        try:
            raw.decode(self.codec)
        except UnicodeDecodeError as exc:
            return (
                f"not {self.opts.encoding} text: {exc.reason} at byte {exc.start + 1} of the line"
            )
        return f"not {self.opts.encoding} text"  # pragma: no cover - only called on failure

    # -- a whole document -----------------------------------------------------------

    def _document(self, path: Path, keep_raw: bool) -> Records:
        with self._open(path) as fh:
            stream = TextStream(fh.read, self.codec)
            try:
                yield from self._walk(path, stream, keep_raw)
            except UnicodeDecodeError as exc:
                raise self._encoding_error(path, exc) from exc

    def _walk(self, path: Path, stream: TextStream, keep_raw: bool) -> Records:
        if stream.ws(0) >= stream.end:
            raise SourceError(
                "the file is empty, not a JSON document",
                where=str(path),
                hint="Check the delivery; an empty NDJSON file (format: ndjson) reads as no records.",
            )
        walker = walk_document(stream, self.steps)
        record_no = 0
        while True:
            try:
                found = next(walker)
            except StopIteration:
                return
            except JsonTextError as exc:
                if exc.pos is None:
                    raise SourceError(
                        exc.message,
                        where=str(path),
                        hint="Check the record_path option against the document.",
                    ) from None
                where = f"{path}:{stream.line_at(exc.pos)}:{stream.column_at(exc.pos)}"
                raise SourceError(
                    f"malformed JSON: {exc.message}",
                    where=where,
                    hint="The file is broken outside its records; ask for a new delivery.",
                ) from None
            record_no += 1
            position = f"line {stream.line_at(found.start)} ({found.path})"
            raw = stream.text(found.start, found.end).encode("utf-8") if keep_raw else b""
            if isinstance(found, Broken):
                yield QuarantineRecord(record_no, position, self._broken(stream, found), raw)
            else:
                yield self._record(found.value, record_no, position, raw)

    @staticmethod
    def _broken(stream: TextStream, broken: Broken) -> str:
        at = f"line {stream.line_at(broken.pos)} column {stream.column_at(broken.pos)}"
        if broken.truncated:
            return f"truncated: {broken.message} (at {at}); records after it, if any, are missing"
        return f"not JSON: {broken.message} at {at}; the read went on after it"

    # -- files and errors -------------------------------------------------------------

    def _file(self) -> Path:
        return self.source_file(
            self.opts.path,
            what="a JSON file",
            hint="Point the path option at a .json or .ndjson file.",
        )

    def _open(self, path: Path) -> BinaryIO:
        try:
            return path.open("rb")
        except OSError as exc:
            raise self._unreadable(path, exc) from exc

    def _sniff(self, path: Path) -> str:
        """``ndjson`` or ``json``: by name, else by whether line 1 is a whole object."""
        if path.suffix.lower() in NDJSON_SUFFIXES:
            return "ndjson"
        with self._open(path) as fh:
            head = fh.read(_PEEK)
        text = head.decode(self.codec, errors="replace").lstrip("\ufeff")
        lines = [ln for ln in text.split("\n") if ln.strip()]
        if not lines:
            return "ndjson"  # empty: no records either way, and no error
        if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
            return "json"
        try:
            first = json.loads(lines[0])
        except (json.JSONDecodeError, RecursionError):
            return "json"
        return "ndjson" if isinstance(first, dict) else "json"

    def _unreadable(self, path: Path, exc: OSError) -> SourceError:
        return SourceError(
            f"cannot read {self.opts.path}: {exc.strerror or exc}",
            where=f"dataset {self.context.dataset}",
            hint=f"Check that {path} is readable by this user.",
        )

    def _encoding_error(self, path: Path, exc: UnicodeDecodeError) -> SourceError:
        bom = ""
        if exc.object[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            bom = " (it starts with a UTF-16 byte order mark)"
        return SourceError(
            f"the file is not {self.opts.encoding} text{bom}: {exc.reason} at byte {exc.start}",
            where=str(path),
            hint="Set encoding: in the source options (e.g. utf-16 or cp1251).",
        )


def scan_span(options: JsonOptions, context: ReadContext, span: LineSpan) -> Scan:
    """The first pass over one part of an NDJSON file, in a worker."""
    reader = JsonReader(options, context)
    scan = Scan(options.types)
    for record in reader._ndjson(reader._file(), span):
        if isinstance(record, PendingRecord):
            scan.add(record.values)
    return scan


def read_span(
    options: JsonOptions, context: ReadContext, span: LineSpan, schema: Schema
) -> tuple[int, list[Batch]]:
    """One part of an NDJSON file read in a worker: (its records, its batches from 1)."""
    reader = JsonReader(options, context)
    batches = list(reader._batched(reader._ndjson(reader._file(), span), schema))
    return sum(b.data.num_rows + len(b.quarantined) for b in batches), batches
