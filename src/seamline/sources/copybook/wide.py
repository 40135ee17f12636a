"""128-bit integers as pairs of uint64 arrays, for numbers wider than 18 digits.

NumPy has no 128-bit integer type, and converting each value through a Python ``int``
costs microseconds per value. Numbers of 19 to 38 digits (``PIC 9(37) COMP-3``,
``PIC S9(20) BINARY``) are instead kept as two's-complement ``(hi, lo)`` word pairs and
computed with word arithmetic over whole columns; the pair is exactly the layout of an
Arrow ``decimal128`` value (little-endian: ``lo`` then ``hi``), so the result becomes an
Arrow array without any per-value work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

U64 = npt.NDArray[np.uint64]
_LOW32 = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
_63 = np.uint64(63)


@dataclass
class Wide:
    """A column of signed 128-bit integers: value = hi * 2**64 + lo (two's complement)."""

    hi: U64
    lo: U64

    @classmethod
    def zeros(cls, n: int) -> Wide:
        return cls(np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.uint64))

    @classmethod
    def from_int64(cls, values: npt.NDArray[np.int64]) -> Wide:
        lo = values.astype(np.int64).view(np.uint64)
        hi = (values.astype(np.int64) >> 63).view(np.uint64)
        return cls(hi.copy(), lo.copy())

    @classmethod
    def from_ints(cls, values: list[int]) -> Wide:
        """From Python ints (the rare per-value paths); values must fit 128 bits."""
        lo = np.array([v & 0xFFFFFFFFFFFFFFFF for v in values], dtype=np.uint64)
        hi = np.array([(v >> 64) & 0xFFFFFFFFFFFFFFFF for v in values], dtype=np.uint64)
        return cls(hi, lo)

    @classmethod
    def from_bytes(cls, sub: npt.NDArray[np.uint8], *, little: bool, signed: bool) -> Wide:
        """Binary items of 9..16 bytes: sign-extend each row to 16 bytes, little-endian."""
        n, size = sub.shape
        le = sub[:, ::-1] if not little else sub
        top = le[:, size - 1] if size else np.zeros(n, dtype=np.uint8)
        fill = np.where(signed & (top >= 0x80), np.uint8(0xFF), np.uint8(0))
        out = np.empty((n, 16), dtype=np.uint8)
        out[:, :size] = le
        out[:, size:] = fill[:, None]
        words = out.view("<u8")
        return cls(words[:, 1].copy(), words[:, 0].copy())

    def add_small(self, values: npt.NDArray[np.int64]) -> Wide:
        """Add non-negative values below 2**63."""
        lo = self.lo + values.astype(np.uint64)
        carry = (lo < self.lo).astype(np.uint64)
        return Wide(self.hi + carry, lo)

    def mul_small(self, m: int) -> Wide:
        """Multiply by 0 <= m < 2**32, modulo 2**128."""
        mu = np.uint64(m)
        p0 = (self.lo & _LOW32) * mu
        p1 = (self.lo >> _32) * mu + (p0 >> _32)
        lo = (p1 << _32) | (p0 & _LOW32)
        hi = self.hi * mu + (p1 >> _32)
        return Wide(hi, lo)

    def mul_pow10(self, k: int) -> Wide:
        out = self
        while k > 0:
            step = min(k, 9)
            out = out.mul_small(10**step)
            k -= step
        return out

    def negate_where(self, negative: npt.NDArray[np.bool_]) -> Wide:
        """Two's-complement negation of the rows where ``negative`` holds."""
        nlo = ~self.lo + np.uint64(1)
        nhi = ~self.hi + (nlo == 0).astype(np.uint64)
        return Wide(np.where(negative, nhi, self.hi), np.where(negative, nlo, self.lo))

    def is_negative(self) -> npt.NDArray[np.bool_]:
        out: npt.NDArray[np.bool_] = (self.hi >> _63) == 1
        return out

    def abs_at_least(self, bound: int) -> npt.NDArray[np.bool_]:
        """|value| >= bound (bound < 2**127)."""
        neg = self.is_negative()
        mag = self.negate_where(neg)
        bhi, blo = np.uint64(bound >> 64), np.uint64(bound & 0xFFFFFFFFFFFFFFFF)
        out: npt.NDArray[np.bool_] = (mag.hi > bhi) | ((mag.hi == bhi) & (mag.lo >= blo))
        # |-2**127| does not fit: its magnitude still reads as negative, so it is too big
        return out | (neg & mag.is_negative())

    def to_decimal(self, typ: pa.DataType, valid: npt.NDArray[np.bool_]) -> pa.Array[Any]:
        n = len(valid)
        pair = np.empty((n, 2), dtype=np.uint64)
        pair[:, 0] = np.where(valid, self.lo, 0)
        pair[:, 1] = np.where(valid, self.hi, 0)
        mask_buf = pa.array(valid, type=pa.bool_()).buffers()[1]
        return pa.Array.from_buffers(typ, n, [mask_buf, pa.py_buffer(pair.tobytes())])


def from_digits(digits: npt.NDArray[np.int8]) -> Wide:
    """Digit matrix (n, k), most significant first, values 0..9 -> Wide, 9 digits a step."""
    n, k = digits.shape
    out = Wide.zeros(n)
    first = k % 9 or 9
    pos = 0
    for width in [first] + [9] * ((k - first) // 9):
        chunk = digits[:, pos : pos + width].astype(np.int64) @ (
            10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        )
        out = out.mul_small(10**width).add_small(chunk)
        pos += width
    return out
