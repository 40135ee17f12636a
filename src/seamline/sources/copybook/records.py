"""Split a data file into records: fixed length, variable length (:mod:`.blocks`), or lines.

The file is memory-mapped and cut into frames of at most ``batch_size`` records; each
frame holds the records padded into a ``(n, width)`` uint8 matrix plus each record's
real length, its byte (or line) position, and framing problems (a truncated last
record, an RDW length out of range) that send the record to quarantine.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import mmap
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from seamline.errors import SourceError
from seamline.sources.copybook.blocks import (
    RAW_LIMIT,
    Cut,
    Descriptors,
    Piece,
    blocked,
    variable,
)


@dataclass
class Frame:
    matrix: npt.NDArray[np.uint8]
    lengths: npt.NDArray[np.int64]
    positions: npt.NDArray[np.int64]
    """Byte offset of each record in the file (line number for text records)."""
    broken: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    """Row -> (reason, raw bytes) for records that cannot be framed properly."""

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    def raw(self, row: int) -> bytes:
        if row in self.broken:
            return self.broken[row][1]
        return bytes(self.matrix[row, : int(self.lengths[row])])


@dataclass(frozen=True)
class Framing:
    record_format: str
    width: int
    """Bytes of one record as the layout sees it (payload after record_start_offset)."""
    record_length: int
    """Full fixed record length (F/FB), including record start/end offsets."""
    record_start_offset: int = 0
    record_end_offset: int = 0
    rdw_big_endian: bool = True
    rdw_includes_header: bool = True
    rdw_adjustment: int = 0
    rdw_in_record: bool = False
    file_start_offset: int = 0
    file_end_offset: int = 0
    batch_size: int = 65_536
    record_size: Callable[[npt.NDArray[np.uint8], int], int] | None = None
    """F/FB under variable_size_occurs: each record's size, read from its counters."""
    compression: str = "none"


_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}


def compression_of(path: Path, compression: str) -> str:
    """``auto``: by the file name's suffix (.gz, .bz2, .xz)."""
    if compression != "auto":
        return compression
    return _SUFFIXES.get(path.suffix.lower(), "none")


def _unpack(path: Path, compression: str, out: IO[bytes]) -> None:
    if compression == "gzip":
        with gzip.open(path, "rb") as packed:
            shutil.copyfileobj(packed, out, 1 << 20)
    elif compression == "bz2":
        with bz2.open(path, "rb") as packed:
            shutil.copyfileobj(packed, out, 1 << 20)
    else:
        with lzma.open(path, "rb") as packed:
            shutil.copyfileobj(packed, out, 1 << 20)


def _open(path: Path, compression: str = "none") -> tuple[Any, npt.NDArray[np.uint8]]:
    if compression != "none":
        # unpacked to an unnamed temporary file and mapped, so the file may exceed memory
        with tempfile.TemporaryFile() as plain:
            try:
                _unpack(path, compression, plain)
            except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                raise SourceError(
                    f"cannot unpack the {compression} data file: {exc}",
                    where=str(path),
                    hint="Check the file, or set source.compression (none, gzip, bz2, xz).",
                ) from None
            plain.flush()
            if plain.tell() == 0:
                return None, np.zeros(0, dtype=np.uint8)
            mm = mmap.mmap(plain.fileno(), 0, access=mmap.ACCESS_READ)
        return mm, np.frombuffer(mm, dtype=np.uint8)
    with path.open("rb") as fh:
        size = path.stat().st_size
        if size == 0:
            return None, np.zeros(0, dtype=np.uint8)
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return mm, np.frombuffer(mm, dtype=np.uint8)


def data_span(size: int, framing: Framing) -> tuple[int, int]:
    """Where the records of a file of ``size`` bytes start and end."""
    start = min(framing.file_start_offset, size)
    return start, max(start, size - framing.file_end_offset)


def frames(path: Path, framing: Framing, span: tuple[int, int] | None = None) -> Iterator[Frame]:
    """The file's records a frame at a time; ``span``: only the bytes from..to (record
    boundaries, for a part of a parallel read)."""
    mm, data = _open(path, framing.compression)
    try:
        start, end = span if span is not None else data_span(len(data), framing)
        if framing.record_format in ("F", "FB") and framing.record_size is not None:
            yield from _sized(data, start, end, framing, framing.record_size)
        elif framing.record_format in ("F", "FB"):
            yield from _fixed(data, start, end, framing)
        elif framing.record_format in ("V", "VB", "VBS"):
            yield from _variable(data, start, end, framing, str(path))
        else:
            yield from _lines(data, start, end, framing)
    finally:
        del data
        if mm is not None:
            # a caller may still hold a view; then the mapping is freed with it
            with contextlib.suppress(BufferError):
                mm.close()


def _gather(
    data: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    width: int,
) -> npt.NDArray[np.uint8]:
    """Copy records of varying length into a zero-padded (n, width) matrix."""
    n = len(starts)
    if n == 0 or width == 0:
        return np.zeros((n, width), dtype=np.uint8)
    cols = np.arange(width, dtype=np.int64)
    idx = starts[:, None] + cols[None, :]
    inside = cols[None, :] < lengths[:, None]
    idx = np.where(inside, idx, 0)
    out: npt.NDArray[np.uint8] = data[idx]
    out[~inside] = 0
    return out


def _fixed(data: npt.NDArray[np.uint8], start: int, end: int, fr: Framing) -> Iterator[Frame]:
    rl = fr.record_length
    total = (end - start) // rl
    lo, hi = fr.record_start_offset, rl - fr.record_end_offset
    for first in range(0, total, fr.batch_size):
        k = min(fr.batch_size, total - first)
        begin = start + first * rl
        mat = data[begin : begin + k * rl].reshape(k, rl)[:, lo:hi]
        positions = begin + np.arange(k, dtype=np.int64) * rl
        yield Frame(mat, np.full(k, hi - lo, dtype=np.int64), positions)
    tail = (end - start) - total * rl
    if tail:
        begin = start + total * rl
        raw = bytes(data[begin:end])
        mat = np.zeros((1, hi - lo), dtype=np.uint8)
        reason = f"truncated record: {tail} bytes where the record length is {rl}"
        yield Frame(
            mat, np.zeros(1, dtype=np.int64), np.array([begin]), {0: (reason, raw[:RAW_LIMIT])}
        )


def _variable(
    data: npt.NDArray[np.uint8], start: int, end: int, fr: Framing, where: str
) -> Iterator[Frame]:
    d = Descriptors(
        big_endian=fr.rdw_big_endian,
        includes_header=fr.rdw_includes_header,
        adjustment=fr.rdw_adjustment,
        in_record=fr.rdw_in_record,
        start_offset=fr.record_start_offset,
        end_offset=fr.record_end_offset,
    )
    if fr.record_format == "V":
        pieces = variable(data, start, end, d, where)
    else:
        pieces = blocked(data, start, end, d, spanned=fr.record_format == "VBS")
    batch: list[Piece | Cut] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) == fr.batch_size:
            yield _frame(data, batch, fr.width)
            batch = []
    if batch:
        yield _frame(data, batch, fr.width)


def _sized(
    data: npt.NDArray[np.uint8],
    start: int,
    end: int,
    fr: Framing,
    record_size: Callable[[npt.NDArray[np.uint8], int], int],
) -> Iterator[Frame]:
    """Records back to back, each as long as its OCCURS DEPENDING ON counts make it."""
    pos = start
    batch: list[Piece] = []
    while pos < end:
        size = record_size(data, pos + fr.record_start_offset)
        full = fr.record_start_offset + size + fr.record_end_offset
        if pos + full > end:
            reason = (
                f"truncated record: {end - pos} bytes where its counts make it {full} bytes long"
            )
            batch.append(Piece(pos, broken=reason, raw=bytes(data[pos:end])[:RAW_LIMIT]))
            pos = end
        else:
            batch.append(Piece(pos, pos + fr.record_start_offset, size))
            pos += full
        if len(batch) == fr.batch_size or pos >= end:
            yield _frame(data, batch, fr.width)
            batch = []


def _frame(data: npt.NDArray[np.uint8], pieces: Sequence[Piece | Cut], width: int) -> Frame:
    special = [(row, p) for row, p in enumerate(pieces) if isinstance(p, Piece)]
    rows = [p if not isinstance(p, Piece) else (p.pos, p.start, p.length) for p in pieces]
    cuts = np.array(rows, dtype=np.int64).reshape(len(rows), 3)
    ln = cuts[:, 2].copy()
    mat = _gather(data, cuts[:, 1].copy(), np.minimum(ln, width), width)
    broken: dict[int, tuple[str, bytes]] = {}
    for row, p in special:
        if p.broken is not None:
            broken[row] = (p.broken, p.raw)
        elif p.data is not None:  # a spanned record, assembled from its segments
            k = min(width, len(p.data))
            mat[row, :k] = np.frombuffer(p.data, dtype=np.uint8, count=k)
            mat[row, k:] = 0
    return Frame(mat, ln, cuts[:, 0].copy(), broken)


def _lines(data: npt.NDArray[np.uint8], start: int, end: int, fr: Framing) -> Iterator[Frame]:
    region = data[start:end]
    newlines = np.flatnonzero(region == 0x0A).astype(np.int64)
    line_starts = np.concatenate([[0], newlines + 1]).astype(np.int64)
    line_ends = np.concatenate([newlines, [len(region)]]).astype(np.int64)
    if len(region) and line_starts[-1] == len(region):
        line_starts, line_ends = line_starts[:-1], line_ends[:-1]
    elif not len(region):
        return
    cr = line_ends > line_starts
    cr_at = np.where(cr, line_ends - 1, 0)
    line_ends = np.where(cr & (region[cr_at] == 0x0D), line_ends - 1, line_ends)
    for first in range(0, len(line_starts), fr.batch_size):
        s = line_starts[first : first + fr.batch_size] + fr.record_start_offset
        ln = np.maximum(0, line_ends[first : first + fr.batch_size] - s - fr.record_end_offset)
        mat = _gather(region, s, np.minimum(ln, fr.width), fr.width)
        numbers = np.arange(first + 1, first + 1 + len(s), dtype=np.int64)
        yield Frame(mat, ln, numbers)
