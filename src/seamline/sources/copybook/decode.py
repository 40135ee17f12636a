"""Vectorized decoders: one elementary field for a whole block of records at once.

A block is a ``(n_records, record_length)`` uint8 matrix. Each decoder slices the field's
byte columns and turns them into an Arrow array with NumPy array arithmetic (lookup
tables, nibble splitting, dot products with powers of ten) — no Python loop per record,
except for the rare numeric-edited pictures. Numbers beyond 18 digits use the 128-bit
word arithmetic of :mod:`.wide`.
Every decoder also returns a boolean mask of records whose bytes are invalid.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seamline.sources.copybook.layout import Field
from seamline.sources.copybook.text import U8, Codec, Mask, decode_text, lookup
from seamline.sources.copybook.wide import Wide, from_digits

I64 = npt.NDArray[np.int64]
_POW10 = np.array([10**i for i in range(19)], dtype=np.int64)
_POW100 = np.array([100**i for i in range(9)], dtype=np.int64)
_PACKED_PAIR = np.array(
    [10 * (b >> 4) + (b & 15) if b >> 4 < 10 and b & 15 < 10 else -1 for b in range(256)],
    dtype=np.int8,
)


def _luts(ebcdic: bool) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """digit (-1 invalid, -2 space), overpunched digit, overpunched sign (+1/-1/0 invalid)."""
    digit = np.full(256, -1, dtype=np.int8)
    over = np.full(256, -1, dtype=np.int8)
    sign = np.zeros(256, dtype=np.int8)
    zero = 0xF0 if ebcdic else 0x30
    space = 0x40 if ebcdic else 0x20
    digit[zero : zero + 10] = np.arange(10)
    digit[space] = -2
    over[zero : zero + 10] = np.arange(10)
    sign[zero : zero + 10] = 1
    over[space] = -2
    sign[space] = 1
    if ebcdic:
        for zone, s in ((0xC0, 1), (0xA0, 1), (0xE0, 1), (0xD0, -1), (0xB0, -1)):
            over[zone : zone + 10] = np.arange(10)
            sign[zone : zone + 10] = s
    else:
        pos, neg = b"{ABCDEFGHI", b"}JKLMNOPQR"
        for d in range(10):
            over[pos[d]], sign[pos[d]] = d, 1
            over[neg[d]], sign[neg[d]] = d, -1
            over[0x70 + d], sign[0x70 + d] = d, -1  # p..y: negative in some ASCII COBOLs
    return digit, over, sign


_LUTS = {True: _luts(True), False: _luts(False)}
_DIGIT_BYTES = {ebcdic: luts[0].view(np.uint8).tobytes() for ebcdic, luts in _LUTS.items()}
"""The digit tables as ``bytes.translate`` tables (int8 values stored as their bytes)."""
_PACKED_PAIR_BYTES = _PACKED_PAIR.view(np.uint8).tobytes()


Values = npt.NDArray[np.int64] | Wide
"""Unscaled integers of a column: int64 up to 18 digits, :class:`Wide` beyond."""


def _to_arrow(values: Values, typ: pa.DataType, valid: Mask, p_shift: int = 0) -> pa.Array[Any]:
    """Unscaled integers -> int32/int64/decimal128 array (``p_shift``: trailing P digits)."""
    if isinstance(values, Wide):
        wide = values.mul_pow10(p_shift)
        if pa.types.is_decimal(typ):
            return wide.to_decimal(typ, valid)
        ints, p_shift = wide.lo.view(np.int64), 0  # the caller checked that it fits
    else:
        ints = values
    if p_shift:
        ints = ints * _POW10[p_shift]
    if pa.types.is_decimal(typ):
        return Wide.from_int64(ints).to_decimal(typ, valid)
    v = np.where(valid, ints, 0)
    if typ == pa.int32():
        return pa.array(v.astype(np.int32), type=pa.int32(), mask=~valid)
    return pa.array(v, type=pa.int64(), mask=~valid)


def _digits_value(digits: npt.NDArray[np.int8]) -> Values:
    """Digit matrix (n, k) -> int64 values (k <= 18) or 128-bit :class:`Wide` values."""
    k = digits.shape[1]
    if k <= 18:
        out: npt.NDArray[np.int64] = digits.astype(np.int64) @ _POW10[:k][::-1]
        return out
    return from_digits(digits)


def _signed(values: Values, negative: Mask) -> Values:
    if isinstance(values, Wide):
        return values.negate_where(negative)
    return np.where(negative, -values, values)


def _too_big(values: Values, digits: int) -> Mask:
    if isinstance(values, Wide):
        return values.abs_at_least(10**digits)
    if digits >= 19:
        return np.zeros(len(values), dtype=np.bool_)
    out: Mask = np.abs(values) >= _POW10[digits]
    return out


def _is_zero(values: Values) -> Mask:
    if isinstance(values, Wide):
        out: Mask = (values.hi == 0) & (values.lo == 0)
        return out
    zero: Mask = values == 0
    return zero


def decode_zoned(f: Field, sub: U8, codec: Codec) -> tuple[pa.Array[Any], Mask, Mask]:
    """DISPLAY numerics; returns (array, bad, null)."""
    if f.edited:
        return _decode_edited(f, sub, codec)
    _, over_lut, sign_lut = _LUTS[codec.ebcdic]
    n, size = sub.shape
    space = codec.space
    given = sub
    if codec.nul_blank:
        sub = np.where(sub == 0, np.uint8(space), sub)
    negative = np.zeros(n, dtype=np.bool_)
    bad = np.zeros(n, dtype=np.bool_)
    table = _DIGIT_BYTES[codec.ebcdic]
    if f.sign_separate:
        pos = 0 if f.sign_leading else size - 1
        sign_byte = sub[:, pos]
        plus, minus = (0x4E, 0x60) if codec.ebcdic else (0x2B, 0x2D)
        negative = sign_byte == minus
        bad |= ~((sign_byte == plus) | negative | (sign_byte == space))
        body = sub[:, 1:] if f.sign_leading else sub[:, :-1]
        d = lookup(table, body).view(np.int8).copy()
    else:
        d = lookup(table, sub).view(np.int8).copy()
        pos = 0 if f.sign_leading else size - 1
        d[:, pos] = over_lut[sub[:, pos]]
        sgn = sign_lut[sub[:, pos]]
        negative = sgn < 0
        bad |= sgn == 0
    if not d.size or int(d.min()) >= 0:
        # every byte a digit (the usual case): no blanks to place, no empty values
        null = np.zeros(n, dtype=np.bool_)
        values = _signed(_digits_value(d), negative)
        if not f.signed:
            bad |= negative & ~_is_zero(values)
        return _to_arrow(values, f.arrow_type(), ~bad, f.p_shift), bad, null
    null = (given == space).all(axis=1) | (given == 0).all(axis=1)
    is_space = d == -2
    bad |= (d == -1).any(axis=1)
    present = ~is_space
    count = present.sum(axis=1)
    first = present.argmax(axis=1)
    last = d.shape[1] - 1 - present[:, ::-1].argmax(axis=1)
    bad |= (count > 0) & (last - first + 1 != count)
    bad &= ~null
    trailing = np.where(count > 0, d.shape[1] - 1 - last, 0)
    if trailing.any():
        # blanks after the digits pad the number, they are no zeros: "33 " is 33
        rows = np.flatnonzero(trailing)
        src = np.arange(d.shape[1])[None, :] - trailing[rows][:, None]
        shifted = np.take_along_axis(d[rows], np.clip(src, 0, d.shape[1] - 1), axis=1)
        shifted[src < 0] = -2
        d[rows] = shifted
    values = _signed(_digits_value(np.where(d >= 0, d, 0).astype(np.int8)), negative)
    if not f.signed:
        bad |= negative & ~null & ~_is_zero(values)
    valid = ~(bad | null)
    return _to_arrow(values, f.arrow_type(), valid, f.p_shift), bad, null


_EDITED_NUMBER = re.compile(r"[0-9]*\.?[0-9]*")
_OVERPUNCH = {c: (str(d), False) for d, c in enumerate("{ABCDEFGHI")} | {
    c: (str(d), True) for d, c in enumerate("}JKLMNOPQR")
}


def _decode_edited(f: Field, sub: U8, codec: Codec) -> tuple[pa.Array[Any], Mask, Mask]:
    """Numeric-edited text (``-1,234.50``) parsed per value: such pictures are rare."""
    texts = decode_text(sub, replace(codec, trim="both", blank_null=False))[0].to_pylist()
    n = len(texts)
    bad = np.zeros(n, dtype=np.bool_)
    null = np.zeros(n, dtype=np.bool_)
    ints = [0] * n
    limit = 10**f.digits
    overpunch = "S" in (f.pic or "").upper() and not f.sign_separate
    explicit_point = "." in (f.pic or "")
    for i, text in enumerate(texts):
        t = (text or "").replace(",", "").replace("$", "").replace(" ", "").replace("*", "")
        neg = t.endswith(("-", "CR", "DB")) or t.startswith("-")
        if overpunch and t:
            # ``S9(3).99``: the sign is overpunched on the first or last digit
            at = 0 if f.sign_leading else len(t) - 1
            punched = _OVERPUNCH.get(t[at])
            if punched is not None:
                neg = neg or punched[1]
                t = t[:at] + punched[0] + t[at + 1 :]
        t = t.removesuffix("CR").removesuffix("DB").strip("+-")
        if not t:
            null[i] = True
            continue
        if not _EDITED_NUMBER.fullmatch(t) or t == ".":
            bad[i] = True
            continue
        whole, point, frac = t.partition(".")
        if not point and not explicit_point:
            whole = whole.rjust(f.scale, "0")  # implied point (V): the digits are unscaled
            whole, frac = whole[: len(whole) - f.scale], whole[len(whole) - f.scale :]
        frac = frac.rstrip("0") if len(frac) > f.scale else frac
        if len(frac) > f.scale:
            bad[i] = True
            continue
        value = int((whole + frac.ljust(f.scale, "0")) or "0")
        if value >= limit:
            bad[i] = True
            continue
        ints[i] = -value if neg else value
    values: Values = Wide.from_ints(ints) if f.digits > 18 else np.array(ints, dtype=np.int64)
    return _to_arrow(values, f.arrow_type(), ~(bad | null)), bad, null


def decode_packed(f: Field, sub: U8, codec: Codec) -> tuple[pa.Array[Any], Mask, Mask]:
    n, size = sub.shape
    last = sub[:, -1]
    sign = last & 0x0F
    negative = (sign == 0x0D) | (sign == 0x0B)
    if 2 * size - 1 <= 18:
        # a byte -> two-digit lookup (0..99, or -1 for a nibble above 9) halves the work
        body = sub[:, :-1]
        high = (last >> 4).astype(np.int64)
        bad = (sign < 10) | (high > 9)
        values: Values = high
        if size > 1:
            # column by column: NumPy reduces short rows (axis=1) slowly
            pairs = np.asfortranarray(lookup(_PACKED_PAIR_BYTES, body).view(np.int8))
            low = pairs[:, 0].copy()
            acc = pairs[:, 0].astype(np.int64)
            for j in range(1, size - 1):
                np.minimum(low, pairs[:, j], out=low)
                acc = acc * 100 + pairs[:, j]
            bad |= low < 0
            values = acc * 10 + high
    else:
        nibbles = np.empty((n, 2 * size), dtype=np.int8)
        nibbles[:, 0::2] = sub >> 4
        nibbles[:, 1::2] = sub & 0x0F
        digs = nibbles[:, :-1]
        bad = (digs > 9).any(axis=1) | (sign < 10)
        values = _digits_value(np.where(digs <= 9, digs, 0).astype(np.int8))
    # all blanks or all zero bytes mean "no value"; both have an invalid sign nibble, so
    # only those rows need the (costly) whole-field comparison
    null = np.zeros(n, dtype=np.bool_)
    maybe = np.flatnonzero(sign < 10)
    if len(maybe):
        rows = sub[maybe]
        null[maybe] = (rows == codec.space).all(axis=1) | (rows == 0).all(axis=1)
        bad &= ~null
    values = _signed(values, negative)
    # the spare high nibble of an even-digit picture may hold a digit if the type has room
    typ = f.arrow_type()
    room = typ.precision if isinstance(typ, pa.Decimal128Type) else 9 if typ == pa.int32() else 18
    bad |= _too_big(values, min(max(f.digits, 2 * size - 1), room)) & ~null
    valid = ~(bad | null)
    return _to_arrow(values, typ, valid, f.p_shift), bad, null


def decode_binary(f: Field, sub: U8, codec: Codec) -> tuple[pa.Array[Any], Mask, Mask]:
    n, size = sub.shape
    null = np.zeros(n, dtype=np.bool_)
    little = f.little_endian or (f.usage == "COMP-5" and codec.comp5_little_endian)
    typ = f.arrow_type()
    if size > 8:
        wide = Wide.from_bytes(sub, little=little, signed=f.signed)
        bad = _too_big(wide, typ.precision if isinstance(typ, pa.Decimal128Type) else 38)
        if not f.signed:
            bad |= wide.is_negative()
        return _to_arrow(wide, typ, ~bad, f.p_shift), bad, null
    dtype = np.dtype(("<" if little else ">") + ("i" if f.signed else "u") + str(size))
    raw = np.ascontiguousarray(sub).view(dtype).ravel()
    bad = np.zeros(n, dtype=np.bool_)
    if raw.dtype == np.uint64:
        bad = raw > np.uint64(2**63 - 1)
    values = raw.astype(np.int64)
    if typ == pa.int32():
        bad |= (values > 2**31 - 1) | (values < -(2**31))
    elif pa.types.is_decimal(typ):
        bad |= _too_big(values, typ.precision)
    return _to_arrow(values, typ, ~bad, f.p_shift), bad, null


def decode_float(f: Field, sub: U8, codec: Codec) -> tuple[pa.Array[Any], Mask, Mask]:
    n, size = sub.shape
    null = np.zeros(n, dtype=np.bool_)
    data = np.ascontiguousarray(sub)
    if codec.ieee_float:
        vals = data.view(">f4" if size == 4 else ">f8").ravel().astype(np.float64)
    else:
        # IBM hexadecimal float: sign bit, 7-bit excess-64 base-16 exponent, fraction.
        u = data.view(">u4" if size == 4 else ">u8").ravel().astype(np.uint64)
        bits = size * 8
        frac_bits = bits - 8
        sign = (u >> np.uint64(bits - 1)) & np.uint64(1)
        exp = ((u >> np.uint64(frac_bits)) & np.uint64(0x7F)).astype(np.int64)
        frac = (u & np.uint64((1 << frac_bits) - 1)).astype(np.float64)
        vals = np.ldexp(frac, (4 * (exp - 64) - frac_bits).astype(np.int32))
        vals = np.where(sign == 1, -vals, vals)
    bad = ~np.isfinite(vals)
    typ = f.arrow_type()
    out = vals.astype(np.float32 if size == 4 else np.float64)
    return pa.array(out, type=typ, mask=bad), bad, null


def decode_field(f: Field, sub: U8, codec: Codec) -> tuple[pa.Array[Any], Mask, Mask]:
    """Decode one elementary field: (array, bad-bytes mask, null mask)."""
    if f.kind == "alnum":
        arr, bad = decode_text(sub, codec)
        return arr, bad, np.zeros(len(bad), dtype=np.bool_)
    if f.kind == "zoned":
        return decode_zoned(f, sub, codec)
    if f.kind == "packed":
        return decode_packed(f, sub, codec)
    if f.kind == "binary":
        return decode_binary(f, sub, codec)
    if f.kind == "float":
        return decode_float(f, sub, codec)
    raise TypeError(f"{f.name} is a group")


PROBLEM = {
    "alnum": "bytes not defined in the code page",
    "zoned": "invalid zoned-decimal digit or sign",
    "packed": "invalid packed-decimal nibble",
    "binary": "binary value out of range for its picture",
    "float": "floating-point value is not finite",
}
