"""Names of many conventions split into parts (all names invented)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stepcheck import run_arrow

from seamline.normalize import StepContext
from seamline.normalize.name_parts import parse_name
from seamline.normalize.names import NameNormalizer, NameOptions

PARTS = ("family", "given", "middle", "patronymic", "suffix")


def parts(text: str, **options: Any) -> dict[str, str | None]:
    p = parse_name(text, **options)
    return {k: getattr(p, k) for k in PARTS}


def expect(
    family: str | None, given: str | None, middle: str | None = None, **rest: str
) -> dict[str, str | None]:
    return {
        "family": family,
        "given": given,
        "middle": middle,
        "patronymic": rest.get("patronymic"),
        "suffix": rest.get("suffix"),
    }


CASES = [
    # US claims files: LAST, FIRST M
    ("DE LA CRUZ, JOSE A", {}, expect("De la Cruz", "Jose", "A")),
    ("GARCIA LOPEZ, MARIA ELENA", {}, expect("Garcia Lopez", "Maria", "Elena")),
    ("MCALLISTER, DONNA R", {}, expect("McAllister", "Donna", "R")),
    ("O'HALLORAN, KIERAN P.", {}, expect("O'Halloran", "Kieran", "P.")),
    ("WHITAKER-OYELARAN, JUNE", {}, expect("Whitaker-Oyelaran", "June")),
    ("PEMBERLY, THOMAS ALLEN JR", {}, expect("Pemberly", "Thomas", "Allen", suffix="Jr")),
    ("PEMBERLY JR., THOMAS", {}, expect("Pemberly", "Thomas", suffix="Jr")),
    ("Grayling, Odette, III", {}, expect("Grayling", "Odette", suffix="III")),
    # the comma wins over the declared order
    ("DE LA CRUZ, JOSE A", {"order": "given_first"}, expect("De la Cruz", "Jose", "A")),
    # Dutch and German particles
    ("VAN DER BERGHE, ANNEKE", {}, expect("Van der Berghe", "Anneke")),
    ("Anneke van der Berghe", {"order": "given_first"}, expect("Van der Berghe", "Anneke")),
    ("Friedhelm von Achterwald", {"order": "given_first"}, expect("Von Achterwald", "Friedhelm")),
    # Arabic particles
    ("BIN TARIQ, SAMIR", {}, expect("Bin Tariq", "Samir")),
    ("Samir ibn Tariq", {"order": "given_first"}, expect("Ibn Tariq", "Samir")),
    ("Layla Al Harithy", {"order": "given_first"}, expect("Al Harithy", "Layla")),
    # Irish and Scottish prefixes, mixed case kept for Mac
    ("seamus o'dwyer", {"order": "given_first"}, expect("O'Dwyer", "Seamus")),
    ("Ewan MacLennoch", {"order": "given_first"}, expect("MacLennoch", "Ewan")),
    ("EWAN MACHADO", {"order": "given_first"}, expect("Machado", "Ewan")),
    # Slavic and Kyrgyz patronymics, family name first
    ("САДЫРОВ Бакыт Асанович", {}, expect("Садыров", "Бакыт", patronymic="Асанович")),
    ("Petrenko Olena Ivanivna", {}, expect("Petrenko", "Olena", patronymic="Ivanivna")),
    ("Токтоматова Айгүл Асан кызы", {}, expect("Токтоматова", "Айгүл", patronymic="Асан кызы")),
    (
        "Nurlan Bakyt uulu",
        {"order": "given_first"},
        expect(None, "Nurlan", patronymic="Bakyt uulu"),
    ),
    # a US middle name is no patronymic, but the country's convention decides
    ("Ellsworth Dana Marie", {}, expect("Ellsworth", "Dana", "Marie")),
    ("Ellsworth Dana Marie", {"country": "US"}, expect("Ellsworth", "Dana", "Marie")),
    ("Sadyrov Bakyt Asan", {"country": "KG"}, expect("Sadyrov", "Bakyt", patronymic="Asan")),
    ("Sadyrov Bakyt Asanovich", {"patronymics": "never"}, expect("Sadyrov", "Bakyt", "Asanovich")),
    # a middle name before a telling patronymic
    (
        "IVANOVA, MARIA LUISA PETROVNA",
        {},
        expect("Ivanova", "Maria", "Luisa", patronymic="Petrovna"),
    ),
    # East Asian family-first
    ("Wen Xiaoling", {}, expect("Wen", "Xiaoling")),
    ("ZHOU, MEILIN", {}, expect("Zhou", "Meilin")),
    # accents kept
    ("Ñúñez Álvarez, José Ángel", {}, expect("Ñúñez Álvarez", "José", "Ángel")),
    # one word: whichever of given or family is asked for
    ("JOSEFINA", {}, expect("Josefina", "Josefina")),
]


@pytest.mark.parametrize(("text", "options", "wanted"), CASES, ids=[c[0] for c in CASES])
def test_names_of_many_conventions(
    text: str, options: dict[str, Any], wanted: dict[str, str | None]
) -> None:
    assert parts(text, **options) == wanted


def step(part: str, **options: Any) -> NameNormalizer:
    country = options.pop("country", None)
    return NameNormalizer(NameOptions(part=part, **options), StepContext(country=country))


def test_single_given_and_family_columns_keep_their_values() -> None:
    given = ["MARY", "jean-luc", "Aigerim", None]
    assert run_arrow(step("given"), given) == (["Mary", "Jean-Luc", "Aigerim", None], [None] * 4)
    assert run_arrow(step("family", order="given_first"), ["O'REILLY"])[0] == ["O'Reilly"]


def test_middle_is_null_without_a_flag_and_empty_values_are_flagged() -> None:
    values, flags = run_arrow(step("middle"), ["SMITH, JOHN", "SMITH, JOHN Q", " ", "Mr."])
    assert values == [None, "Q", None, None]
    assert flags == [None, None, "empty_name", "empty_name"]


def test_full_reorders_family_first_with_every_part() -> None:
    got = run_arrow(step("full", order="given_first"), ["Thomas Allen Pemberly Jr."])[0]
    assert got == ["Pemberly Thomas Allen Jr"]


def test_workspace_country_drives_patronymics_through_the_step() -> None:
    kg = run_arrow(step("patronymic", country="KG"), ["Sadyrov Bakyt Asan"])[0]
    us = run_arrow(step("patronymic", country="US"), ["Sadyrov Bakyt Asan"])[0]
    assert kg == ["Asan"] and us == [None]


# --- properties ----------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "de", "LA", "van", "der", "bin", "O'neil", "MCDOWELL", "MacLeod", "Jr", "III",
        "Asanovich", "kyzy", "uulu", "José", "ÁNGEL", "Айгүл", "САДЫРОВ", "Li", "Wen",
        "Mr", "Dr.", "A.", "Q", "Smith-Jones", "ß", "Ärna",
    ]
)  # fmt: skip
NAMES = st.lists(WORDS, min_size=1, max_size=6).flatmap(
    lambda ws: st.integers(0, len(ws)).map(
        lambda k: " ".join(ws[:k]) + (", " if 0 < k < len(ws) else " ") + " ".join(ws[k:])
    )
)
OPTIONS = st.fixed_dictionaries(
    {
        "order": st.sampled_from(["family_first", "given_first"]),
        "patronymics": st.sampled_from(["auto", "always", "never"]),
        "country": st.sampled_from([None, "US", "KG"]),
        "honorifics": st.booleans(),
    }
)


def _letters(text: str) -> list[str]:
    return sorted(c for c in unicodedata.normalize("NFC", text).casefold() if c.isalpha())


@settings(max_examples=300, deadline=None)
@given(NAMES, OPTIONS)
def test_no_part_loses_letters_and_parts_rejoin_to_the_cleaned_name(
    text: str, options: dict[str, Any]
) -> None:
    p = parse_name(text, **options)
    if p.cleaned is None:
        return
    if p.one_word:
        assert p.family == p.given
        rejoined = " ".join(w for w in (p.family, p.suffix) if w)
    else:
        rejoined = " ".join(w for w in (p.family, p.given, p.middle, p.patronymic, p.suffix) if w)
    # every letter of the cleaned name is in exactly one part
    assert _letters(rejoined) == _letters(p.cleaned)
    # and the cleaned name keeps every word of the input, except honorifics
    kept = [w for w in re.split(r"[\s,]+", text) if w]
    if not options["honorifics"]:
        assert _letters(p.cleaned) == _letters(" ".join(kept))
    assert p.full() is not None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=15), OPTIONS)
def test_every_part_never_crashes(values: list[str | None], options: dict[str, Any]) -> None:
    for part in ("family", "given", "middle", "patronymic", "suffix", "full"):
        out, flags = run_arrow(step(part, **dict(options)), values)
        assert len(out) == len(values)
        for raw, flag in zip(values, flags, strict=True):
            empty = raw is not None and parse_name(raw, **options).cleaned is None
            assert (flag == "empty_name") == empty
