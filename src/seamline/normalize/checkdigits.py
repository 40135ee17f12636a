"""Check-digit algorithms over whole batches of compact identifiers.

python-stdnum (``stdnum.luhn``, ``stdnum.verhoeff``, ``stdnum.damm``,
``stdnum.iso7064.*``) is the reference implementation and the tests check these
functions against it. It works one Python string at a time, though, and identifiers
are nearly all distinct, so the dictionary-encode-then-loop trick does not help them:
a million PINs would be a million calls. These versions turn the values of one length
into a ``(rows, length)`` digit matrix and run each algorithm as a loop over the
*columns* (at most a few dozen), vectorized over the rows with numpy.

Values the matrix cannot hold (letters for MOD 97-10, odd characters) fall back to the
stdnum function per distinct value, so the result is always the library's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as _pc
from sqlglot import exp
from stdnum import damm, luhn, verhoeff
from stdnum.iso7064 import mod_11_2, mod_11_10, mod_97_10

# pyarrow-stubs' overloads reject ``pa.Array[Any]`` arguments; results are checked by tests.
pc: Any = _pc

Algorithm = Literal[
    "none",
    "luhn",
    "mod11",
    "iso7064_mod11_2",
    "iso7064_mod11_10",
    "iso7064_mod97_10",
    "verhoeff",
    "damm",
]
BoolArray = npt.NDArray[np.bool_]
IntMatrix = npt.NDArray[np.int64]

# Verhoeff: the dihedral group D5 multiplication table and the position permutation.
_VERHOEFF_D = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ],
    dtype=np.int64,
)
_VERHOEFF_P = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ],
    dtype=np.int64,
)
# Damm: the totally anti-symmetric quasigroup of order 10 (Damm 2004).
_DAMM = np.array(
    [
        [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
        [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
        [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
        [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
        [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
        [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
        [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
        [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
        [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
        [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
    ],
    dtype=np.int64,
)


def _luhn(d: IntMatrix) -> BoolArray:
    doubled = d[:, ::-1].copy()
    odd = doubled[:, 1::2] * 2
    doubled[:, 1::2] = odd - 9 * (odd > 9)
    return np.asarray(doubled.sum(axis=1) % 10 == 0)


def _mod11(d: IntMatrix) -> BoolArray:
    data = d[:, :-1][:, ::-1]
    if data.shape[1] == 0:
        return np.zeros(d.shape[0], dtype=np.bool_)
    weights = (np.arange(data.shape[1]) % 6) + 2
    check = (11 - (data * weights).sum(axis=1) % 11) % 11
    return np.asarray((check != 10) & (check == d[:, -1]))


def _mod11_2(d: IntMatrix) -> BoolArray:
    check = np.zeros(d.shape[0], dtype=np.int64)
    for col in range(d.shape[1]):
        check = (2 * check + d[:, col]) % 11
    return np.asarray(check == 1)


def _mod11_10(d: IntMatrix) -> BoolArray:
    check = np.full(d.shape[0], 5, dtype=np.int64)
    for col in range(d.shape[1]):
        check = ((np.where(check == 0, 10, check) * 2) % 11 + d[:, col]) % 10
    return np.asarray(check == 1)


def _mod97_10(d: IntMatrix) -> BoolArray:
    check = np.zeros(d.shape[0], dtype=np.int64)
    for col in range(d.shape[1]):
        check = (check * 10 + d[:, col]) % 97
    return np.asarray(check == 1)


def _verhoeff(d: IntMatrix) -> BoolArray:
    check = np.zeros(d.shape[0], dtype=np.int64)
    for i, col in enumerate(range(d.shape[1] - 1, -1, -1)):
        check = _VERHOEFF_D[check, _VERHOEFF_P[i % 8][d[:, col]]]
    return np.asarray(check == 0)


def _damm(d: IntMatrix) -> BoolArray:
    check = np.zeros(d.shape[0], dtype=np.int64)
    for col in range(d.shape[1]):
        check = _DAMM[check, d[:, col]]
    return np.asarray(check == 0)


_MATRIX: dict[str, Callable[[IntMatrix], BoolArray]] = {
    "luhn": _luhn,
    "mod11": _mod11,
    "iso7064_mod11_2": _mod11_2,
    "iso7064_mod11_10": _mod11_10,
    "iso7064_mod97_10": _mod97_10,
    "verhoeff": _verhoeff,
    "damm": _damm,
}

# The library's per-value validators: the fallback for values a digit matrix cannot hold.
_REFERENCE: dict[str, Callable[[str], bool]] = {
    "luhn": luhn.is_valid,
    "iso7064_mod11_2": mod_11_2.is_valid,
    "iso7064_mod11_10": mod_11_10.is_valid,
    "iso7064_mod97_10": mod_97_10.is_valid,
    "verhoeff": verhoeff.is_valid,
    "damm": damm.is_valid,
}


def mod11_is_valid(number: str) -> bool:
    """Scalar MOD 11 (weights 2..7 from the rightmost data digit; remainder 10 is invalid).

    Written by hand: python-stdnum has no generic weighted mod 11 (each national
    identifier there carries its own weights).
    """
    if len(number) < 2 or not (number.isascii() and number.isdigit()):
        return False
    data = [int(c) for c in reversed(number[:-1])]
    total = sum(digit * (i % 6 + 2) for i, digit in enumerate(data))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(number[-1])


def _reference(algorithm: str) -> Callable[[str], bool]:
    if algorithm == "mod11":
        return mod11_is_valid
    return _REFERENCE[algorithm]


def digit_matrix(values: pa.Array[Any], length: int) -> IntMatrix:
    """The ASCII bytes of equal-length, non-null strings as a ``(rows, length)`` matrix."""
    binary = values.cast(pa.binary())
    buffers = binary.buffers()
    offset_buffer, data = buffers[1], buffers[2]
    if offset_buffer is None or data is None or len(binary) == 0:
        return np.zeros((len(binary), length), dtype=np.int64)
    offsets = np.frombuffer(memoryview(offset_buffer), dtype=np.int32)
    offsets = offsets[binary.offset : binary.offset + len(binary) + 1]
    raw = np.frombuffer(memoryview(data), dtype=np.uint8)[offsets[0] : offsets[-1]]
    return np.asarray(raw.reshape(len(binary), length).astype(np.int64))


def is_valid(algorithm: Algorithm, values: pa.Array[Any]) -> BoolArray:
    """Whether each compact value passes ``algorithm`` (null counts as not valid)."""
    strings = values.cast(pa.string())
    n = len(strings)
    if algorithm == "none":
        return np.asarray(strings.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    result = np.zeros(n, dtype=np.bool_)
    digit_re = "^[0-9]+X?$" if algorithm == "iso7064_mod11_2" else "^[0-9]+$"
    digits = pc.fill_null(pc.match_substring_regex(strings, digit_re), False)
    lengths = pc.fill_null(pc.binary_length(strings), 0).to_numpy()
    digit_mask = digits.to_numpy(zero_copy_only=False)
    for length in np.unique(lengths[digit_mask]).tolist():
        rows = np.flatnonzero(digit_mask & (lengths == length))
        matrix = digit_matrix(pc.take(strings, pa.array(rows)), int(length)) - ord("0")
        matrix[matrix == ord("X") - ord("0")] = 10
        result[rows] = _MATRIX[algorithm](matrix)
    # Anything else (letters for MOD 97-10, a stray character): the library decides,
    # once per distinct value.
    # Only ASCII letters and digits reach it: stdnum's ``int()`` would accept other
    # scripts' digits, which a compact identifier must not contain.
    alnum = pc.fill_null(pc.match_substring_regex(strings, "^[0-9A-Z]+$"), False)
    rest = np.flatnonzero(~digit_mask & alnum.to_numpy(zero_copy_only=False))
    if len(rest):
        check = _reference(algorithm)
        sub = pc.take(strings, pa.array(rest))
        uniques = pc.unique(sub)
        verdict = pa.array([check(v) for v in uniques.to_pylist()], pa.bool_())
        result[rest] = pc.take(verdict, pc.index_in(sub, uniques)).to_numpy(zero_copy_only=False)
    return result


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def luhn_sql(value: exp.Expr) -> exp.Expr:
    """SQL of Luhn validity over a compact text expression: true, false, or null for null.

    Like the library: only ASCII digits can pass. The digits are read right to left
    (``(d, i)``: a digit and its 1-based position), every second one doubled, with
    doubling done by a lookup list so ``2d - 9`` needs no branch.
    """
    d, i = exp.to_identifier("d"), exp.to_identifier("i")
    digit = exp.Sub(this=_fn("ascii", d.copy()), expression=exp.Literal.number(48))
    doubled = exp.Bracket(
        this=exp.Array(expressions=[exp.Literal.number(n) for n in (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)]),
        expressions=[exp.Add(this=digit.copy(), expression=exp.Literal.number(1))],
    )
    even = exp.EQ(
        this=exp.Mod(this=i.copy(), expression=exp.Literal.number(2)),
        expression=exp.Literal.number(0),
    )
    weighted = exp.Lambda(
        this=exp.Case(ifs=[exp.If(this=even, true=doubled)], default=digit),
        expressions=[d, i],
    )
    chars = _fn("string_split", _fn("reverse", value.copy()), exp.Literal.string(""))
    total = _fn("list_sum", _fn("list_transform", chars, weighted))
    passes = exp.EQ(
        this=exp.Mod(this=total, expression=exp.Literal.number(10)),
        expression=exp.Literal.number(0),
    )
    digits_only = _fn("regexp_full_match", value.copy(), exp.Literal.string("[0-9]+"))
    return exp.Case(ifs=[exp.If(this=digits_only, true=passes)], default=exp.false())


SQL_CHECKS: dict[str, Callable[[exp.Expr], exp.Expr]] = {"luhn": luhn_sql}
"""Check-digit algorithms the engine can run in SQL (the others run in Arrow)."""
