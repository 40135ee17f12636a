"""The name step and name_key."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from stepcheck import run_arrow

from seamline.errors import SpecError
from seamline.normalize import StepContext, default_normalizers
from seamline.normalize.names import NameNormalizer, NameOptions, name_key


def name(**options: Any) -> NameNormalizer:
    return NameNormalizer(NameOptions(**options))


FIXTURE = [
    "  ТОКТОГУЛОВА  айгүл асан КЫЗЫ ",
    "ABDYLDAEVA-SMITH, Jyldyz",
    "Mr. o'neil-SMITH",
    "Г-Н Садыков Бакыт Асанович",
    "г-жа Өмүрбекова Чолпон",
    "Бакыт мырза",
    "Dr.Sadykov",
    "Mr.",
    "",
    None,
    "Aigul Nurlanovna Toktogulova",
    "Aigul Asan kyzy",
    "Nurlan Bakyt uulu",
    "Aigul",
    "Айым",
]

OPTION_SETS = [
    {},
    {"case": "upper"},
    {"case": "none", "honorifics": False},
    {"part": "family"},
    {"part": "given"},
    {"part": "patronymic"},
    {"part": "full"},
    {"part": "family", "order": "given_first"},
    {"part": "given", "order": "given_first"},
    {"part": "patronymic", "order": "given_first"},
    {"part": "full", "order": "given_first", "case": "lower"},
]


def test_cleaning_case_and_honorifics() -> None:
    values, flags = run_arrow(name(), FIXTURE)
    assert values == [
        "Токтогулова Айгүл Асан кызы",
        "Abdyldaeva-Smith Jyldyz",
        "O'Neil-Smith",
        "Садыков Бакыт Асанович",
        "Өмүрбекова Чолпон",
        "Бакыт",
        "Sadykov",
        None,
        None,
        None,
        "Aigul Nurlanovna Toktogulova",
        "Aigul Asan kyzy",
        "Nurlan Bakyt uulu",
        "Aigul",
        "Айым",  # a lone word is a name, not an honorific
    ]
    assert flags == [None] * 7 + ["empty_name", "empty_name"] + [None] * 6


def test_honorifics_can_be_kept() -> None:
    values, _ = run_arrow(name(honorifics=False), ["Mr. Bakyt Sadykov", "Бакыт мырза"])
    assert values == ["Mr. Bakyt Sadykov", "Бакыт Мырза"]


def test_parts_family_first() -> None:
    row = ["САДЫКОВ Бакыт Асанович", "Токтогулова Айгүл Асан кызы", "Sadykov"]
    assert run_arrow(name(part="family"), row)[0] == ["Садыков", "Токтогулова", "Sadykov"]
    # a one-word value is whichever part is asked for (a given-name-only column)
    assert run_arrow(name(part="given"), row)[0] == ["Бакыт", "Айгүл", "Sadykov"]
    # a part the name lacks is null, not a flagged value
    assert run_arrow(name(part="patronymic"), row) == (
        ["Асанович", "Асан кызы", None],
        [None, None, None],
    )


def test_parts_given_first_and_reordering() -> None:
    row = ["Bakyt Asanovich Sadykov", "Aigul Toktogulova", "Aigul Asan kyzy"]
    assert run_arrow(name(part="family", order="given_first"), row)[0] == [
        "Sadykov",
        "Toktogulova",
        None,  # "kyzy" closes a patronymic, it is no family name
    ]
    assert run_arrow(name(part="patronymic", order="given_first"), row)[0] == [
        "Asanovich",
        None,
        "Asan kyzy",
    ]
    assert run_arrow(name(part="full", order="given_first"), row)[0] == [
        "Sadykov Bakyt Asanovich",
        "Toktogulova Aigul",
        "Aigul Asan kyzy",
    ]


def test_the_step_has_one_definition_run_in_arrow() -> None:
    step = name(part="family")
    assert step.sql(exp.column("v")) is None
    assert step.memoize and not step.prefer_sql


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=15),
    st.sampled_from([o for o in OPTION_SETS if "part" not in o or o["part"] == "full"]),
)
def test_never_crashes_and_is_idempotent(values: list[str | None], options: dict[str, Any]) -> None:
    step = name(**options)
    once, flags = run_arrow(step, values)
    for raw, out, flag in zip(values, once, flags, strict=True):
        assert (flag == "empty_name") == (raw is not None and out is None)
    if options.get("order") != "given_first":  # reordering twice swaps back
        assert run_arrow(step, once)[0] == once


def test_registry_builds_name_and_rejects_bad_part() -> None:
    registry = default_normalizers()
    step = registry.build({"name": {"part": "given"}}, StepContext())
    assert run_arrow(step, ["садыков бакыт"])[0] == ["Бакыт"]
    with pytest.raises(SpecError, match="part"):
        registry.build({"name": {"part": "second"}}, StepContext())


# --- name_key ----------------------------------------------------------------------


def keys(values: list[str | None], **kwargs: Any) -> list[str | None]:
    return name_key(pa.array(values, pa.string()), **kwargs).to_pylist()


@pytest.mark.parametrize(
    "spellings",
    [
        ["Жылдыз", "ZHYLDYZ", "Jyldyz", "Žyldyz", "Zhyldyz"],
        ["Айбек", "Aibek", "Aybek", "AIBEK"],
        ["Юлия", "Iuliia", "Yuliya", "Yulia"],
        ["Бакыт", "Bakyt", "Bakit"],
        ["Өмүрбек", "Omurbek", "Ömürbek"],
        ["Айгүл", "Aigul", "Aygül", "AIGUL"],
        ["Чолпон", "Cholpon", "Čolpon"],
        ["Хасан", "Khasan", "Hasan"],
        ["Елена", "Yelena", "Elena"],
        ["Аңсар", "Ansar", "Angsar"],
        ["Садыкова-Токтогулова", "SADYKOVA TOKTOGULOVA", "sadykova'toktogulova"],
    ],
)
def test_name_key_merges_common_spellings(spellings: list[str]) -> None:
    got = keys(spellings)
    assert len(set(got)) == 1, got
    assert got[0] is not None and got[0].isascii() and got[0].isalpha()


def test_name_key_keeps_different_names_apart_and_handles_nulls() -> None:
    got = keys(["Айгүл", "Айбек", "Бакыт", "Жылдыз", None, "123 --"])
    assert len(set(got[:4])) == 4
    assert got[4:] == [None, None]


def test_name_key_without_folding_is_plain_romanization() -> None:
    assert keys(["Жылдыз", "Jyldyz"], fold=False) == ["zhyldyz", "jyldyz"]
    assert keys(["Жылдыз"], scheme="bgn_pcgn_ky", fold=False) == ["jyldyz"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=25)), max_size=15))
def test_name_key_never_crashes_and_is_idempotent(values: list[str | None]) -> None:
    once = keys(values)
    assert len(once) == len(values)
    assert all(k is None or (k.isascii() and k.isalpha() and k.islower()) for k in once)
    assert keys(once) == once


def test_a_whole_word_after_the_given_name_makes_given_and_middle_ambiguous() -> None:
    def one(part: str, text: str) -> tuple[str | None, str | None]:
        return NameNormalizer(NameOptions(part=part)).one(text)

    # A double given name or a given and a middle name: kept, and flagged.
    assert one("given", "OKAFOR, ROSE ELLEN") == ("Rose", "ambiguous_given_name")
    assert one("middle", "OKAFOR, ROSE ELLEN") == ("Ellen", "ambiguous_given_name")
    # A middle initial is no doubt, nor is the family name or a patronymic.
    assert one("given", "OKAFOR, ROSE E") == ("Rose", None)
    assert one("given", "OKAFOR, ROSE E.") == ("Rose", None)
    assert one("family", "OKAFOR, ROSE ELLEN") == ("Okafor", None)
    assert one("given", "Асанов Айбек Нурланович") == ("Айбек", None)
    assert "ambiguous_given_name" in default_normalizers().doubt_flags()
