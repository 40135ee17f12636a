"""The text step: whitespace, case, NFC, removal; SQL and Arrow agree."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stepcheck import run_arrow, run_sql

from seamline.errors import SpecError
from seamline.normalize import StepContext, default_normalizers
from seamline.normalize.text import WS, WS_CHARS, TextNormalizer, TextOptions

# Latin, Russian and Kyrgyz letters, digits, punctuation and odd spaces (NBSP, tab,
# ideographic space, combining acute) - what agency registers actually contain.
ALPHABET = st.sampled_from(
    [*"abcXYZ Жылдыз АЙГҮЛ өңү ёЁ 019-'.,\t\n", "\u00a0", "\u3000", "\u0301", "\u200b"]
)
TEXTS = st.lists(st.one_of(st.none(), st.text(ALPHABET, max_size=20)), max_size=12)


FIXTURE = [
    "  Aigul\u00a0\u00a0 Toktogulova ",
    "БАКЫТ   садыков",
    "e\u0301mile",  # decomposed é
    "",
    "   ",
    None,
    "o'neil-SMITH\tжылдыз",
    "«Кут-Билим» ОсОО",
]

OPTION_SETS = [
    {},
    {"case": "upper"},
    {"case": "lower"},
    {"case": "title"},
    {"trim": False, "collapse_spaces": False, "empty_is_null": False},
    {"nfc": False, "case": "title"},
    {"remove": "«»'-", "case": "title"},
    {"remove": "\u200b", "trim": False},
]


def test_defaults_trim_collapse_compose_and_null_empty() -> None:
    values, flags = run_arrow(TextNormalizer(TextOptions()), FIXTURE)
    assert values == [
        "Aigul Toktogulova",
        "БАКЫТ садыков",
        "émile",
        None,
        None,
        None,
        "o'neil-SMITH жылдыз",
        "«Кут-Билим» ОсОО",
    ]
    assert values[2] == "\u00e9mile"  # composed
    assert flags == [None] * len(FIXTURE)


def test_cases_and_removal() -> None:
    title = TextNormalizer(TextOptions(case="title"))
    assert run_arrow(title, ["ABDYLDAEVA-SMITH o'neil", "бакыт САДЫКОВ"])[0] == [
        "Abdyldaeva-Smith O'Neil",
        "Бакыт Садыков",
    ]
    upper = TextNormalizer(TextOptions(case="upper"))
    assert run_arrow(upper, ["Айгүл өмүрбекова"])[0] == ["АЙГҮЛ ӨМҮРБЕКОВА"]
    removing = TextNormalizer(TextOptions(remove='«»"', case="lower"))
    assert run_arrow(removing, ["«Кут-Билим»  ОсОО", '""'])[0] == ["кут-билим осоо", None]


def test_options_keep_spaces_and_empties_when_asked() -> None:
    step = TextNormalizer(TextOptions(trim=False, collapse_spaces=False, empty_is_null=False))
    assert run_arrow(step, ["  a  b ", ""])[0] == ["  a  b ", ""]
    only_collapse = TextNormalizer(TextOptions(trim=False))
    assert run_arrow(only_collapse, ["  a \u00a0b "])[0] == [" a b "]


@pytest.mark.parametrize("options", OPTION_SETS)
def test_sql_equals_arrow_on_fixture(options: dict[str, Any]) -> None:
    step = TextNormalizer(TextOptions(**options))
    assert run_sql(step, FIXTURE) == run_arrow(step, FIXTURE)


@settings(max_examples=40, deadline=None)
@given(TEXTS, st.sampled_from(OPTION_SETS))
def test_sql_equals_arrow_property(values: list[str | None], options: dict[str, Any]) -> None:
    step = TextNormalizer(TextOptions(**options))
    assert run_sql(step, values) == run_arrow(step, values)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=20), st.sampled_from(OPTION_SETS)
)
def test_never_crashes_keeps_length_and_is_idempotent(
    values: list[str | None], options: dict[str, Any]
) -> None:
    step = TextNormalizer(TextOptions(**options))
    once, flags = run_arrow(step, values)
    assert all(f is None for f in flags)
    assert all(o is None for v, o in zip(values, once, strict=True) if v is None)
    twice, _ = run_arrow(step, once)
    assert twice == once


def test_whitespace_regex_class_and_trim_characters_agree() -> None:
    # SQL trims with the RE2 class WS, Arrow with the listed WS_CHARS: same set
    chars = [chr(c) for c in range(0x3100) if not 0xD800 <= c <= 0xDFFF]
    in_class = pc.match_substring_regex(pa.array(chars), f"^{WS}$").to_pylist()
    assert [c for c, hit in zip(chars, in_class, strict=True) if hit] == sorted(WS_CHARS)


def test_non_string_input_becomes_text() -> None:
    step = TextNormalizer(TextOptions())
    result = step.arrow(pa.array([12, None, 7], pa.int64()))
    assert result.values.to_pylist() == ["12", None, "7"]


def test_registry_builds_step_and_rejects_bad_options() -> None:
    registry = default_normalizers()
    step = registry.build({"text": {"case": "title"}}, StepContext())
    assert isinstance(step, TextNormalizer)
    assert run_arrow(step, ["  aigul  "])[0] == ["Aigul"]
    with pytest.raises(SpecError, match="case"):
        registry.build({"text": {"case": "camel"}}, StepContext())
    with pytest.raises(SpecError, match="trimm"):
        registry.build({"text": {"trimm": True}}, StepContext())
