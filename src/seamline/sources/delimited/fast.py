"""The fast path of the csv source: pyarrow's parser, for the stretches where it is exact.

The standard-library path (``reader.py``) keeps every record's line and raw text, which
costs a Python round trip per row. Most register exports are clean: one record per
line, valid UTF-8, the same field count everywhere. For those, pyarrow's C++ parser
gives the same values many times faster, and a record's line is its position.

The file is read in chunks cut at line ends. A chunk is taken from pyarrow only when
every one of its lines parsed into exactly one well-formed record: no blank or ragged
line, no line break inside quotes, no lone carriage return, no byte that is not UTF-8.
A chunk that is not so is tried again in pieces of ``PIECE_BYTES``; at the first piece
that is not clean either, this generator stops and returns where that piece starts and
ends. The exact path reads from there to the first record boundary at or after the
piece's end, and hands back to this path (``reader.py``), so only the stretch around a
bad record pays for line-by-line reading, and quarantine and line numbers never depend
on which path read a record.

A chunk is cut at a line end, which may fall inside a quoted value; pyarrow then reads
that line break into the chunk's last value and the rest of the value as a record of
the next chunk, with the field counts possibly still right. A chunk whose last record
holds a line break is therefore never taken: every taken chunk ends at a record end.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from seamline.sources.base import Batch, with_bookkeeping

FAST_ENCODINGS = frozenset({"utf-8", "ascii"})
"""Codec names (as ``codecs.lookup`` spells them) pyarrow reads without transcoding."""

CHUNK_BYTES = 8 << 20
PIECE_BYTES = 64 << 10
_join: Any = pc.binary_join_element_wise  # the stubs do not know scalar arguments


@dataclass(frozen=True)
class Resume:
    """Where the exact path takes over."""

    offset: int
    """Byte offset of the first line not read."""
    line: int
    """Its 1-based line number."""
    records: int
    """Records read before it."""
    stop: int = 0
    """Byte offset of the end of the stretch that was not clean."""


def _parse(chunk: bytes, names: list[str], delimiter: str, quotechar: str) -> pa.Table | None:
    """The chunk's records, or None unless each of its lines is one well-formed record."""
    lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
    if b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"):
        return None
    ragged: list[int] = []

    def note(row: pacsv.InvalidRow) -> Literal["skip", "error"]:
        ragged.append(1)
        return "skip"

    source: Any = pa.BufferReader(chunk)  # the stubs know paths and Python files only
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char=quotechar,
                double_quote=True,
                newlines_in_values=False,
                ignore_empty_lines=True,
                invalid_row_handler=note,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:  # a byte that is not UTF-8, an unterminated quote, ...
        return None
    if ragged or table.num_rows != lines:  # a blank line or a line break inside quotes
        return None
    if table.num_rows and any(
        "\n" in value or "\r" in value
        for value in table.slice(table.num_rows - 1).to_pylist()[0].values()
    ):
        return None  # the chunk ends inside a quoted value
    return table


def _pieces(chunk: bytes) -> list[bytes]:
    """The chunk cut at line ends into pieces of about ``PIECE_BYTES``."""
    out: list[bytes] = []
    start = 0
    while start < len(chunk):
        cut = chunk.find(b"\n", start + PIECE_BYTES) + 1 or len(chunk)
        out.append(chunk[start:cut])
        start = cut
    return out


def fast_batches(
    path: Path,
    names: list[str],
    offset: int,
    first_line: int,
    delimiter: str,
    quotechar: str,
    limit: int | None,
    records: int = 0,
) -> Generator[Batch, None, Resume | None]:
    """Batches of the clean chunks from ``offset`` on; returns where exact reading must go on.

    ``offset`` is the start of line ``first_line`` and of a record; ``records`` were read
    before it.
    """
    # Every line of a clean chunk is one record.
    line, carry = first_line, b""
    with path.open("rb") as fh:
        fh.seek(offset)
        while limit is None or records < limit:
            block = fh.read(CHUNK_BYTES)
            data = carry + block
            if not data:
                break
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # a line longer than a chunk: read on
                    carry = data
                    continue
                chunk, carry = data[:cut], data[cut:]
            else:
                chunk, carry = data, b""
            table = _parse(chunk, names, delimiter, quotechar)
            parts = [(chunk, table)]
            if table is None and len(chunk) > PIECE_BYTES:
                parts = [(piece, None) for piece in _pieces(chunk)]
            for piece, parsed in parts:
                if parsed is None:
                    parsed = _parse(piece, names, delimiter, quotechar)
                if parsed is None:
                    return Resume(offset, line, records, offset + len(piece))
                if limit is not None and records + parsed.num_rows > limit:
                    parsed = parsed.slice(0, limit - records)
                for batch in parsed.to_batches():
                    numbers = pa.array(np.arange(records + 1, records + batch.num_rows + 1))
                    lines = pc.add(numbers, line - records - 1)
                    positions = _join("line ", pc.cast(lines, pa.string()), "")
                    records += batch.num_rows
                    yield Batch(
                        with_bookkeeping(batch, numbers, positions), consumed=batch.num_rows
                    )
                line += parsed.num_rows
                offset += len(piece)
                if limit is not None and records >= limit:
                    break
    if records == 0:  # a file without records still lands, with its columns
        empty = pa.RecordBatch.from_arrays([pa.array([], pa.string()) for _ in names], names)
        none = with_bookkeeping(empty, pa.array([], pa.int64()), pa.array([], pa.string()))
        yield Batch(none, consumed=0)
    return None
