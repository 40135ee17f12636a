"""The vectorized check-digit algorithms agree with python-stdnum, value for value."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import damm, luhn, verhoeff
from stdnum.iso7064 import mod_11_2, mod_11_10, mod_97_10

from seamline.normalize.checkdigits import Algorithm, is_valid, mod11_is_valid

REFERENCE: dict[Algorithm, Callable[[str], bool]] = {
    "luhn": luhn.is_valid,
    "iso7064_mod11_2": mod_11_2.is_valid,
    "iso7064_mod11_10": mod_11_10.is_valid,
    "iso7064_mod97_10": mod_97_10.is_valid,
    "verhoeff": verhoeff.is_valid,
    "damm": damm.is_valid,
    "mod11": mod11_is_valid,
}
# How the library makes a number valid: data digits -> the full number.
COMPLETE: dict[Algorithm, Callable[[str], str]] = {
    "luhn": lambda d: d + luhn.calc_check_digit(d),
    "iso7064_mod11_2": lambda d: d + mod_11_2.calc_check_digit(d),
    "iso7064_mod11_10": lambda d: d + mod_11_10.calc_check_digit(d),
    "iso7064_mod97_10": lambda d: d + mod_97_10.calc_check_digits(d),
    "verhoeff": lambda d: d + verhoeff.calc_check_digit(d),
    "damm": lambda d: d + damm.calc_check_digit(d),
}

digits = st.text(alphabet="0123456789", min_size=1, max_size=30)


def _check(algorithm: Algorithm, values: list[str | None]) -> None:
    got = is_valid(algorithm, pa.array(values, pa.string())).tolist()
    want = [v is not None and REFERENCE[algorithm](v) for v in values]
    assert got == want, [(v, g, w) for v, g, w in zip(values, got, want, strict=True) if g != w]


@pytest.mark.parametrize("algorithm", sorted(REFERENCE))
@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(digits, st.none()), max_size=40))
def test_random_digit_strings_agree_with_stdnum(
    algorithm: Algorithm, values: list[str | None]
) -> None:
    _check(algorithm, values)


@pytest.mark.parametrize("algorithm", sorted(COMPLETE))
@settings(max_examples=40, deadline=None)
@given(data=st.lists(digits, min_size=1, max_size=30))
def test_numbers_made_valid_by_stdnum_are_valid(algorithm: Algorithm, data: list[str]) -> None:
    values = [COMPLETE[algorithm](d) for d in data]
    assert is_valid(algorithm, pa.array(values)).all()
    # One changed digit breaks every one of these algorithms.
    broken = [
        v[:-1] + str((int(v[-1]) + 1) % 10) if v[-1].isdigit() else v[:-1] + "0" for v in values
    ]
    _check(algorithm, broken)  # type: ignore[arg-type]


def test_known_values() -> None:
    assert is_valid("luhn", pa.array(["79927398713", "79927398710"])).tolist() == [True, False]
    assert is_valid("iso7064_mod11_2", pa.array(["079X", "0794"])).tolist() == [True, False]
    assert is_valid("verhoeff", pa.array(["2363", "2364"])).tolist() == [True, False]
    assert is_valid("damm", pa.array(["5724", "5723"])).tolist() == [True, False]
    # MOD 11 by hand: 9*2+8*3+7*4+6*5+5*6+4*7+3*2+2*3+1*4 = 174, 174 % 11 = 9, 11-9 = 2.
    assert is_valid("mod11", pa.array(["1234567892", "1234567893"])).tolist() == [True, False]
    # Remainder 1 would need check "10": no digit can carry it, so never valid.
    assert not mod11_is_valid("60")
    assert not any(mod11_is_valid(f"6{d}") for d in "0123456789")


def test_letters_go_to_the_library() -> None:
    # An IBAN rearranged for MOD 97-10 (country and check moved to the end).
    values = ["WEST12345698765432GB82", "WEST12345698765432GB83", "west12345698765432gb82"]
    assert is_valid("iso7064_mod97_10", pa.array(values)).tolist() == [True, False, False]
    # Other scripts' digits are not digits of a compact identifier.
    assert is_valid("luhn", pa.array(["٧٩٩٢٧٣٩٨٧١٣"])).tolist() == [False]


def test_sliced_and_mixed_length_batches() -> None:
    values = ["0", "79927398713", None, "", "4111111111111111", "12a4", "79927398713"]
    sliced = pa.array(values)[2:]
    got = is_valid("luhn", sliced).tolist()
    assert got == [False, False, True, False, True]
    assert is_valid("none", pa.array(["x", None])).tolist() == [True, False]


def test_a_million_values_in_one_pass() -> None:
    rng = np.random.default_rng(7)
    data = [str(x) for x in rng.integers(10**12, 10**13, size=2000)]
    values = [luhn.calc_check_digit(d) and d + luhn.calc_check_digit(d) for d in data]
    assert is_valid("luhn", pa.array(values * 50)).all()


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(digits, st.text(max_size=6), st.none()), max_size=40))
def test_luhn_sql_agrees_with_stdnum(values: list[str | None]) -> None:
    from sqlglot import exp

    from seamline.engine import DuckDBEngine
    from seamline.normalize.checkdigits import luhn_sql

    table = pa.table({"i": list(range(len(values))), "v": pa.array(values, pa.string())})
    with DuckDBEngine() as eng:
        eng.register_arrow("t", table)
        query = exp.select(exp.alias_(luhn_sql(exp.column("v")), "ok")).from_("t").order_by("i")
        got = eng.arrow(query).column("ok").to_pylist()
    want = [v is not None and luhn.is_valid(v) for v in values]
    assert got == want, [(v, g, w) for v, g, w in zip(values, got, want, strict=True) if g != w]
