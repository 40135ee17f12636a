"""Variable-length records: RDW-prefixed (V), in BDW blocks (VB), spanned across segments (VBS).

z/OS writes a record descriptor word (RDW) before each record: a 2-byte length that counts
its own 4 bytes, then 2 bytes that are zero (in VBS the third byte says whether the segment
is a whole record, or the first, a middle or the last part of one). VB files group records
in blocks, each after a block descriptor word (BDW): a 2-byte block length counting its own
4 bytes and 2 zero bytes, or, with the top bit set, a 31-bit length (an extended BDW).

Hand-written because the records are cut out of a memory-mapped file one descriptor at a
time (no Python library reads RDW/BDW files; Cobrix is a JVM library). A descriptor that
cannot be right (a length out of range, non-zero reserved bytes) sends what it covers to
quarantine: the rest of the block in VB (the next block is read as usual), the rest of the
file in V.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from seamline.errors import SourceError

RAW_LIMIT = 1 << 20
"""Quarantined raw bytes are cut to this many bytes (a runaway unreadable tail can be huge)."""

_WHOLE, _FIRST, _LAST, _MIDDLE = 0, 1, 2, 3


@dataclass
class Piece:
    """One record cut from the file: where it starts, its bytes' place, or why it is broken."""

    pos: int
    """Byte offset of the record's (first) descriptor word in the file."""
    start: int = 0
    length: int = 0
    data: bytes | None = None
    """The record's bytes when they are not contiguous in the file (spanned segments)."""
    broken: str | None = None
    raw: bytes = b""


Cut = tuple[int, int, int]
"""An ordinary record: (descriptor position, first byte, length) — cheaper than a Piece."""


@dataclass(frozen=True)
class Descriptors:
    """How to read the descriptor words."""

    big_endian: bool = True
    includes_header: bool = True
    """The lengths count the descriptor's own 4 bytes (z/OS); False: only the data."""
    adjustment: int = 0
    in_record: bool = False
    """The record's bytes start at its RDW (the copybook describes the RDW)."""
    start_offset: int = 0
    end_offset: int = 0


def _hex(head: bytes) -> str:
    return head.hex(" ").upper()


def _rdw(head: bytes, d: Descriptors) -> tuple[int, int, int]:
    """(data length after the RDW, segment code, reserved byte that must be zero)."""
    if d.big_endian:
        value, code, reserved = head[0] << 8 | head[1], head[2], head[3]
    else:
        value, code, reserved = head[3] << 8 | head[2], head[1], head[0]
    return value - (4 if d.includes_header else 0) + d.adjustment, code, reserved


def _piece(pos: int, data_len: int, d: Descriptors) -> Cut:
    head = 0 if d.in_record else 4
    length = max(0, data_len + 4 - head - d.start_offset - d.end_offset)
    return (pos, pos + head + d.start_offset, length)


def _broken(buf: npt.NDArray[np.uint8], pos: int, end: int, reason: str) -> Piece:
    return Piece(pos, broken=reason, raw=bytes(buf[pos : min(end, pos + RAW_LIMIT)]))


def _chain_fills(
    buf: npt.NDArray[np.uint8], pos: int, end: int, d: Descriptors, exact: bool = True
) -> bool:
    """Whether RDWs starting at ``pos`` cut ``[pos, end)`` exactly (at most 64 of them;
    ``exact=False``: the first 64 are sound)."""
    for _ in range(64):
        if pos == end:
            return True
        if end - pos < 4:
            return False
        data_len, code, reserved = _rdw(bytes(buf[pos : pos + 4]), d)
        if data_len <= 0 or code or reserved or pos + 4 + data_len > end:
            return False
        pos += 4 + data_len
    return not exact


def _advice(buf: npt.NDArray[np.uint8], start: int, end: int, d: Descriptors) -> str:
    """What to change when an RDW breaks: the settings under which the file splits."""
    for includes, big in ((True, False), (False, True), (True, True)):
        changed = replace(
            d, includes_header=d.includes_header ^ includes, big_endian=d.big_endian ^ big
        )
        if _chain_fills(buf, start, end, changed, exact=False):
            settings = [f"rdw_includes_header: {str(changed.includes_header).lower()}"] * includes
            settings += [f"rdw_big_endian: {str(changed.big_endian).lower()}"] * big
            return f" The file splits cleanly with {' and '.join(settings)}."
    return (
        " Check rdw_big_endian, rdw_includes_header (the length counts the RDW itself, as on "
        "z/OS, or only the data) and whether the file has block descriptors (record_format VB)."
    )


def variable(
    buf: npt.NDArray[np.uint8], start: int, end: int, d: Descriptors, where: str
) -> Iterator[Piece | Cut]:
    """V: one RDW before each record; the first broken RDW ends the file's records."""
    view = memoryview(buf.data)  # indexing a memoryview is much cheaper than numpy
    big = d.big_endian
    less = (4 if d.includes_header else 0) - d.adjustment
    skip = (0 if d.in_record else 4) + d.start_offset
    more = 4 - skip - d.end_offset
    pos = start
    while pos < end:
        if pos != start and end - pos >= 4:  # the common case, kept short
            if big:
                value, junk = view[pos] << 8 | view[pos + 1], view[pos + 2] | view[pos + 3]
            else:
                value, junk = view[pos + 3] << 8 | view[pos + 2], view[pos] | view[pos + 1]
            data_len = value - less
            if not junk and data_len > 0 and pos + 4 + data_len <= end:
                yield (pos, pos + skip, max(0, data_len + more))
                pos += 4 + data_len
                continue
        if end - pos < 4:
            yield _broken(
                buf, pos, end, f"truncated record descriptor word: {end - pos} bytes left"
            )
            return
        head = bytes(view[pos : pos + 4])
        data_len, code, reserved = _rdw(head, d)
        problem = ""
        if code or reserved:
            problem = "its reserved bytes are not zero"
        elif data_len <= 0:
            problem = f"it gives length {data_len}, not positive"
        elif pos + 4 + data_len > end:
            problem = (
                f"it gives length {data_len}, past the end of the data ({end - pos - 4} bytes left)"
            )
        if problem:
            yield _broken(
                buf,
                pos,
                end,
                f"record descriptor word {_hex(head)} is not valid: {problem}; the rest of the "
                "file cannot be split into records." + _advice(buf, start, end, d),
            )
            return
        if pos == start and data_len > 4 and _chain_fills(buf, pos + 4, pos + 4 + data_len, d):
            raise SourceError(
                "the file starts with a block descriptor word: the first record holds "
                "nothing but whole records with their own descriptor words",
                where=f"{where}: byte {pos}",
                hint="Set source.record_format to VB (or VBS for spanned records).",
            )
        yield _piece(pos, data_len, d)
        pos += 4 + data_len


def _bdw(head: bytes, d: Descriptors) -> tuple[int, str]:
    """(data length of the block after its BDW, problem or '')."""
    b = head if d.big_endian else head[::-1]
    if b[0] & 0x80:  # extended BDW: a 31-bit length in all 4 bytes
        value = (b[0] & 0x7F) << 24 | b[1] << 16 | b[2] << 8 | b[3]
        return value - (4 if d.includes_header else 0), ""
    value = b[0] << 8 | b[1]
    if b[2] or b[3]:
        return 0, "its reserved bytes are not zero"
    return value - (4 if d.includes_header else 0), ""


def blocked(
    buf: npt.NDArray[np.uint8], start: int, end: int, d: Descriptors, spanned: bool
) -> Iterator[Piece | Cut]:
    """VB/VBS: blocks after a BDW, each holding RDW records (VBS: record segments)."""
    view = memoryview(buf.data)
    pos = start
    open_parts: list[bytes] = []
    open_pos = 0
    while pos < end:
        if end - pos < 4:
            yield _broken(buf, pos, end, f"truncated block descriptor word: {end - pos} bytes left")
            break
        head = bytes(view[pos : pos + 4])
        block_len, problem = _bdw(head, d)
        if not problem and block_len <= 0:
            problem = f"it gives length {block_len}, not positive"
        elif not problem and pos + 4 + block_len > end:
            problem = f"it gives length {block_len}, past the end of the data ({end - pos - 4} bytes left)"
        if problem:
            yield _broken(
                buf,
                pos,
                end,
                f"block descriptor word {_hex(head)} is not valid: {problem}; the rest of the "
                "file cannot be split into blocks",
            )
            break
        block_end = pos + 4 + block_len
        at = pos + 4
        while at < block_end:
            if block_end - at < 4:
                yield _broken(
                    buf,
                    at,
                    block_end,
                    f"{block_end - at} bytes at the end of the block hold no record",
                )
                break
            rhead = bytes(view[at : at + 4])
            data_len, code, reserved = _rdw(rhead, d)
            bad = ""
            if reserved or (code if not spanned else code > 3):
                bad = "its reserved bytes are not valid"
            elif data_len <= 0 and not (spanned and code in (_LAST, _MIDDLE) and data_len == 0):
                bad = f"it gives length {data_len}, not positive"
            elif at + 4 + data_len > block_end:
                bad = f"it gives length {data_len}, past the end of its block"
            if bad:
                yield _broken(
                    buf,
                    at,
                    block_end,
                    f"record descriptor word {_hex(rhead)} is not valid: {bad}; the rest of "
                    "the block is not split into records (the next block is read). If every "
                    "block fails so, the file may have no block descriptors (record_format V).",
                )
                break
            if not spanned or code == _WHOLE:
                if open_parts:
                    yield _unfinished(open_pos, open_parts)
                    open_parts = []
                yield _piece(at, data_len, d)
            elif code == _FIRST:
                if open_parts:
                    yield _unfinished(open_pos, open_parts)
                open_pos = at
                open_parts = [_segment(buf, at, data_len, d, first=True)]
            elif not open_parts:
                yield Piece(
                    at,
                    broken="a middle or last segment of a spanned record without its first segment",
                    raw=bytes(buf[at : at + 4 + data_len]),
                )
            else:
                open_parts.append(_segment(buf, at, data_len, d, first=False))
                if code == _LAST:
                    yield _joined(open_pos, open_parts, d)
                    open_parts = []
            at += 4 + data_len
        pos = block_end
    if open_parts:
        yield _unfinished(open_pos, open_parts)


def _segment(
    buf: npt.NDArray[np.uint8], at: int, data_len: int, d: Descriptors, first: bool
) -> bytes:
    skip = 0 if (d.in_record and first) else 4  # the first segment's RDW starts the record
    return bytes(buf[at + skip : at + 4 + data_len])


def _joined(pos: int, parts: list[bytes], d: Descriptors) -> Piece:
    data = b"".join(parts)
    cut = data[d.start_offset : max(d.start_offset, len(data) - d.end_offset)]
    return Piece(pos, 0, len(cut), data=cut)


def _unfinished(pos: int, parts: list[bytes]) -> Piece:
    raw = b"".join(parts)
    return Piece(
        pos,
        broken=f"spanned record of {len(parts)} segments ({len(raw)} bytes) has no last segment",
        raw=raw[:RAW_LIMIT],
    )
