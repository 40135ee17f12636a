"""Text fields: bytes -> Unicode through a 256-entry code page table, a block at a time.

A table lookup (``numpy.take``) turns a ``(n, width)`` byte matrix into code points; those
are encoded to UTF-8 with array arithmetic and handed to Arrow as one string buffer, so
no Python string is built per value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seamline.sources.copybook.codepages import UNDEFINED, decode_table, is_ebcdic

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
DROP = 0xFFFFFFFE
"""Table entry of a byte that is left out of the text (``control_chars: drop``)."""


@dataclass(frozen=True)
class Codec:
    """What decoding depends on besides the field: code page, float format, trimming."""

    table: npt.NDArray[np.uint32]
    ebcdic: bool
    ieee_float: bool = False
    trim: str = "right"
    comp5_little_endian: bool = False
    blank_null: bool = False
    """Text that is empty after trimming becomes null."""
    nul_blank: bool = False
    """0x00 bytes in DISPLAY numbers read as blanks instead of invalid digits."""

    @classmethod
    def for_encoding(cls, encoding: str, *, control_chars: str = "keep", **kwargs: Any) -> Codec:
        table = decode_table(encoding)
        control = (table < 0x20) | ((table >= 0x7F) & (table < 0xA0))
        if control_chars == "space":
            table = np.where(control, np.uint32(0x20), table)
        elif control_chars == "drop":
            table = np.where(control, np.uint32(DROP), table)
        return cls(table, is_ebcdic(encoding), **kwargs)

    @property
    def space(self) -> int:
        return 0x40 if self.ebcdic else 0x20

    @cached_property
    def narrow(self) -> U8:
        """Byte -> ASCII byte, or 0x80 where the code point needs the general path."""
        ascii_ok = self.table < 0x80
        out: U8 = np.where(ascii_ok, self.table, 0x80).astype(np.uint8)
        return out

    @cached_property
    def narrow_bytes(self) -> bytes:
        """:attr:`narrow` as a ``bytes.translate`` table."""
        return self.narrow.tobytes()


def lookup(table: bytes, sub: U8) -> U8:
    """``table[sub]`` for a 256-entry byte table.

    ``bytes.translate`` runs the lookup in C at memory speed, several times faster than
    NumPy's fancy indexing with uint8 indices (which goes through a generic gather).
    """
    if not sub.size:
        return np.zeros(sub.shape, dtype=np.uint8)
    flat = np.ascontiguousarray(sub).tobytes().translate(table)
    return np.frombuffer(flat, dtype=np.uint8).reshape(sub.shape)


def ascii_strings(chars: U8) -> pa.Array[Any]:
    """ASCII byte matrix (n, width) -> StringArray sharing one buffer, no copy per value."""
    n, width = chars.shape
    offsets = np.arange(n + 1, dtype=np.int32) * width
    data = np.ascontiguousarray(chars)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.data), pa.py_buffer(data.data))


def utf8_strings(cps: npt.NDArray[np.uint32]) -> pa.Array[Any]:
    """Code point matrix (n, width) -> StringArray, encoding UTF-8 with array arithmetic."""
    n, width = cps.shape
    if width == 0 or n == 0:
        return pa.array([""] * n, type=pa.string())
    if int(cps.max()) < 0x80:
        return ascii_strings(cps.astype(np.uint8))
    lens = 1 + (cps >= 0x80).astype(np.int32) + (cps >= 0x800) + (cps >= 0x10000)
    lens[cps == DROP] = 0
    b = np.zeros((n, width, 4), dtype=np.uint8)
    one, two, three = lens == 1, lens == 2, lens == 3
    four = lens == 4
    b[..., 0] = np.select(
        [one, two, three],
        [cps, 0xC0 | (cps >> 6), 0xE0 | (cps >> 12)],
        0xF0 | (cps >> 18),
    ).astype(np.uint8)
    b[..., 1] = np.select(
        [two, three],
        [0x80 | (cps & 0x3F), 0x80 | ((cps >> 6) & 0x3F)],
        0x80 | ((cps >> 12) & 0x3F),
    ).astype(np.uint8)
    b[..., 2] = np.where(three, 0x80 | (cps & 0x3F), 0x80 | ((cps >> 6) & 0x3F)).astype(np.uint8)
    b[..., 3] = np.where(four, 0x80 | (cps & 0x3F), 0).astype(np.uint8)
    data = b[np.arange(4)[None, None, :] < lens[..., None]]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lens.sum(axis=1), out=offsets[1:])
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.data), pa.py_buffer(data.tobytes()))


def _trim(arr: pa.Array[Any], how: str) -> pa.Array[Any]:
    if how == "right":
        return pc.utf8_rtrim(arr, characters=" ")
    if how == "both":
        return pc.utf8_trim(arr, characters=" ")
    if how == "left":
        return pc.utf8_ltrim(arr, characters=" ")
    return arr


def decode_text(sub: U8, codec: Codec) -> tuple[pa.Array[Any], Mask]:
    """Text field of every record: (strings, mask of records with undefined bytes)."""
    n = sub.shape[0]
    chars = lookup(codec.narrow_bytes, sub)
    if not sub.size or int(chars.max()) < 0x80:
        # the common case: every byte maps to ASCII, one uint8 gather does it all
        arr = ascii_strings(chars)
        bad = np.zeros(n, dtype=np.bool_)
    else:
        cps = codec.table[sub]
        undefined = cps == UNDEFINED
        bad = undefined.any(axis=1)
        if bad.any():
            cps = np.where(undefined, np.uint32(0xFFFD), cps)
        arr = utf8_strings(cps)
    arr = _trim(arr, codec.trim)
    if codec.blank_null:
        blank = pc.equal(pc.utf8_length(cast(pa.StringArray, arr)), pa.scalar(0))
        arr = pc.if_else(blank, pa.scalar(None, pa.string()), arr)
    return arr, bad
