"""The fast path of the csv source: pyarrow's parser, for the stretches where it is exact.

The standard-library path (``reader.py``) keeps every record's line and raw text, which
costs a Python round trip per row. Most register exports are clean: one record per
line, valid UTF-8, the same field count everywhere. For those, pyarrow's C++ parser
gives the same values many times faster, and a record's line is its position.

The file is read in chunks cut at line ends. A chunk is taken from pyarrow only when
every one of its lines parsed into exactly one well-formed record: no blank or ragged
line, no line break inside quotes, no lone carriage return, no byte that is not UTF-8.
At the first chunk that is not so, this generator stops and returns where it stopped;
the exact path reads the rest of the file from there, so quarantine and line numbers
never depend on which path read a record.
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
    return table


def fast_batches(
    path: Path,
    names: list[str],
    offset: int,
    first_line: int,
    delimiter: str,
    quotechar: str,
    limit: int | None,
) -> Generator[Batch, None, Resume | None]:
    """Batches of the clean chunks from ``offset`` on; returns where exact reading must go on."""
    # Every line of a clean chunk is one record: record r is on line first_line + r - 1.
    records, carry = 0, b""
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
            if table is None:
                return Resume(offset, first_line + records, records)
            if limit is not None and records + table.num_rows > limit:
                table = table.slice(0, limit - records)
            for batch in table.to_batches():
                numbers = pa.array(np.arange(records + 1, records + batch.num_rows + 1))
                lines = pc.add(numbers, first_line - 1)
                positions = _join("line ", pc.cast(lines, pa.string()), "")
                records += batch.num_rows
                yield Batch(with_bookkeeping(batch, numbers, positions), consumed=batch.num_rows)
            offset += len(chunk)
    if records == 0:  # a file without records still lands, with its columns
        empty = pa.RecordBatch.from_arrays([pa.array([], pa.string()) for _ in names], names)
        none = with_bookkeeping(empty, pa.array([], pa.int64()), pa.array([], pa.string()))
        yield Batch(none, consumed=0)
    return None
