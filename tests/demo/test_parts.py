"""The generator's building blocks: packed decimal, code page text, names, typos."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seamline.demo import names
from seamline.demo.civil import encode_text, pack_comp3
from seamline.demo.noise import pin_variant, typo


def unpack(raw: bytes) -> int:
    nibbles = [n for b in raw for n in (b >> 4, b & 0xF)]
    *digits, sign = nibbles
    assert all(d <= 9 for d in digits)
    value = int("".join(map(str, digits)))
    return -value if sign == 0xD else value


@given(st.lists(st.integers(-(10**9) + 1, 10**9 - 1), min_size=1, max_size=50))
def test_signed_comp3_round_trips(values: list[int]) -> None:
    packed = pack_comp3(np.array(values, dtype=np.int64), 9, signed=True)
    assert packed.shape == (len(values), 5)
    for row, value in zip(packed, values, strict=True):
        assert unpack(row.tobytes()) == value
        assert row[-1] & 0xF == (0xD if value < 0 else 0xC)


@given(st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=50))
def test_unsigned_comp3_round_trips_with_sign_f(values: list[int]) -> None:
    packed = pack_comp3(np.array(values, dtype=np.int64), 8, signed=False)
    assert packed.shape == (len(values), 5)
    for row, value in zip(packed, values, strict=True):
        assert unpack(row.tobytes()) == value
        assert row[-1] & 0xF == 0xF


def test_comp3_known_bytes() -> None:
    packed = pack_comp3(np.array([19870312, 0], dtype=np.int64), 8, signed=False)
    assert packed[0].tobytes() == bytes.fromhex("019870312F")
    assert packed[1].tobytes() == bytes.fromhex("000000000F")
    assert pack_comp3(np.array([-123]), 3, signed=True)[0].tobytes() == bytes.fromhex("123D")


def test_encode_text_pads_and_truncates_in_cp037() -> None:
    block = encode_text(["AB", "TOOLONG"], 4)
    assert block.shape == (2, 4)
    assert block[0].tobytes().decode("cp037") == "AB  "
    assert block[1].tobytes().decode("cp037") == "TOOL"
    assert block[0].tobytes()[:1] == b"\xc1"  # EBCDIC "A"


def test_transliterations() -> None:
    assert names.civil_latin("Жылдыз") == "ZHYLDYZ"
    assert names.clerk_latin("Жылдыз") == "Jyldyz"
    assert names.civil_latin("Үсөнова") == "USONOVA"
    assert names.clerk_latin("Үсөнова") == "Üsönova"
    assert names.civil_latin("Чыңгыз") == "CHYNGGYZ"
    assert names.patronymic("Бакыт", 2) == "Бакытовна"
    assert names.family_form("Садыков", 2) == "Садыкова"


def test_every_name_fits_the_civil_code_page() -> None:
    every = names.MALE_GIVEN + names.FEMALE_GIVEN + names.FAMILY_MALE
    for name in every:
        latin = names.civil_latin(name)
        assert latin.isascii() and latin.isupper(), name
        assert latin.encode("cp037").decode("cp037") == latin
        assert len(latin) <= 20
        assert len(names.civil_latin(names.patronymic(name, 1))) <= 24


@given(st.text(min_size=1, max_size=30), st.integers(0, 2**32 - 1))
def test_typo_changes_length_by_at_most_one(text: str, seed: int) -> None:
    out = typo(text, np.random.default_rng(seed))
    assert abs(len(out) - len(text)) <= 1


def test_pin_variants_keep_the_digits() -> None:
    pin = "21203198700123"
    variants = [pin_variant(pin, s) for s in range(4)]
    assert variants[0] == pin
    assert variants[1] == "2-12031987-00123"
    assert len(set(variants)) == 4
    assert all("".join(c for c in v if c.isdigit()) == pin for v in variants)
