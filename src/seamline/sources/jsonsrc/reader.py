"""Read JSON documents and NDJSON into batches of flat records.

NDJSON is streamed line by line: a line that is not JSON (or not text in the declared
encoding) is quarantined as ``line N`` with the parser's message, and the read goes on.
A whole JSON document has no lines to fall back on, so a malformed one is a delivery
problem: the read stops with a SourceError naming ``file:line:column``. The document's
text is held in memory (the standard library has no incremental JSON parser), but the
records are parsed and landed one batch at a time, each with the line it starts on.
"""

from __future__ import annotations

import codecs
import contextlib
import json
from collections.abc import Generator, Iterator
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
from seamline.sources.jsonsrc.paths import JsonTextError, Step, get_path, parse_path, walk_document
from seamline.sources.records import PendingRecord, RecordAssembler, assemble, flatten

Decoded = PendingRecord | QuarantineRecord
Records = Generator[Decoded, None, None]

NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".jsonlines", ".ldjson")
_PEEK = 1 << 20
_KINDS = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def kind_of(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return _KINDS.get(type(value), type(value).__name__)


class _Lines:
    """Line and column of positions in a text, counted forward incrementally."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def line_at(self, pos: int) -> int:
        if pos < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line

    def column_at(self, pos: int) -> int:
        return pos - self.text.rfind("\n", 0, pos)


class JsonReader(Reader):
    """``kind: json`` — records of a JSON document or of NDJSON lines."""

    kind: ClassVar[str] = "json"
    options_model: ClassVar[type[_Options]] = JsonOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        streaming=True, schema_inference=True, position_unit="line"
    )

    def __init__(self, options: _Options, context: ReadContext) -> None:
        super().__init__(options, context)
        if not isinstance(options, JsonOptions):
            raise SourceError(f"the json reader got {type(options).__name__} options")
        self.opts: JsonOptions = options
        self.steps: tuple[Step, ...] = (
            parse_path(options.record_path) if options.record_path else ()
        )
        self.fields = {col: parse_path(p) for col, p in options.fields.items()}
        self.codec = codecs.lookup(options.encoding).name

    def describe(self) -> str:
        return f"json {self.opts.path}"

    # -- the stream of batches ----------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        path = self._file()
        fmt = self.opts.format if self.opts.format != "auto" else self._sniff(path)
        records = self._ndjson(path) if fmt == "ndjson" else self._document(path)
        with contextlib.closing(records):
            yield from self._batched(records)

    def _batched(self, records: Iterator[Decoded]) -> Iterator[Batch]:
        assembler = RecordAssembler()
        limit = self.context.limit
        size = max(1, self.context.batch_size)
        pending: list[Decoded] = []
        count = 0
        if limit is None or limit > 0:
            for record in records:
                pending.append(record)
                count += 1
                if len(pending) >= size:
                    yield assemble(assembler, pending)
                    pending = []
                if limit is not None and count >= limit:
                    break
        if pending or count == 0:
            yield assemble(assembler, pending)

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

    def _ndjson(self, path: Path) -> Records:
        record_no = 0
        for line_no, raw, text in self._lines(path):
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
                yield self._record(f.value, record_no, f"line {line_no} ({f.path})", raw)

    def _lines(self, path: Path) -> Iterator[tuple[int, bytes, str | None]]:
        """``(line number, raw bytes, text or None when it does not decode)``."""
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
            for n, raw in enumerate(fh, start=1):
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

    def _document(self, path: Path) -> Records:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise self._unreadable(path, exc) from exc
        codec = "utf-8-sig" if self.codec == "utf-8" else self.codec
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise self._encoding_error(path, exc) from exc
        if not text.strip():
            raise SourceError(
                "the file is empty, not a JSON document",
                where=str(path),
                hint="Check the delivery; an empty NDJSON file (format: ndjson) reads as no records.",
            )
        lines = _Lines(text)
        walker = walk_document(text, self.steps)
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
                where = f"{path}:{lines.line_at(exc.pos)}:{lines.column_at(exc.pos)}"
                raise SourceError(
                    f"malformed JSON: {exc.message}",
                    where=where,
                    hint="The file is broken; ask for a new delivery (NDJSON would let "
                    "the good lines through).",
                ) from None
            record_no += 1
            position = f"line {lines.line_at(found.start)} ({found.path})"
            raw = text[found.start : found.end].encode("utf-8")
            yield self._record(found.value, record_no, position, raw)

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
