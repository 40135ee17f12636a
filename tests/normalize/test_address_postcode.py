"""Post codes as patterns with named parts (GB, CA, NL, US), and rules declared as data."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from seamline.errors import SpecError
from seamline.normalize.address import AddressNormalizer, AddressOptions
from seamline.normalize.address_parts import clean
from seamline.normalize.address_rules import AddressRulesSpec, countries, rules_for
from seamline.normalize.base import StepContext
from seamline.normalize.postcode import PostCodeRule
from seamline.normalize.registry import default_normalizers


def run(country: str, part: str, values: list[str | None], **extras: Any) -> tuple[list[Any], ...]:
    s = AddressNormalizer(AddressOptions(part=part), StepContext(country=country, extras=extras))
    res = s.arrow(pa.array(values, pa.string()))
    return res.values.to_pylist(), res.flags.to_pylist()


@pytest.mark.parametrize(
    ("country", "part", "values", "expected"),
    [
        (
            "GB",
            "post_code",
            ["SW1A 1AA", "sw1a1aa", "Flat 3, 12 High Street, London EC1A 1BB", "M1 1AE"],
            ["SW1A 1AA", "SW1A 1AA", "EC1A 1BB", "M1 1AE"],
        ),
        ("GB", "post_code.outward", ["SW1A 1AA", "m1 1ae", "B33 8TH"], ["SW1A", "M1", "B33"]),
        ("GB", "post_code.inward", ["SW1A 1AA", "m1 1ae", "B33 8TH"], ["1AA", "1AE", "8TH"]),
        (
            "CA",
            "post_code",
            ["K1A 0B1", "k1a0b1", "100 Queen St, Ottawa ON K1P 1J9"],
            ["K1A 0B1", "K1A 0B1", "K1P 1J9"],
        ),
        ("CA", "post_code.fsa", ["K1A 0B1", "h2x1y4"], ["K1A", "H2X"]),
        ("CA", "post_code.ldu", ["K1A 0B1", "h2x1y4"], ["0B1", "1Y4"]),
        (
            "NL",
            "post_code",
            ["1234 AB", "1234ab", "Damrak 1, 1012 LG Amsterdam"],
            ["1234 AB"] * 2 + ["1012 LG"],
        ),
        ("NL", "post_code.digits", ["1012 LG"], ["1012"]),
        ("NL", "post_code.letters", ["1012lg"], ["LG"]),
    ],
)
def test_post_code_parts(country: str, part: str, values: list[str], expected: list[str]) -> None:
    got, flags = run(country, part, values)
    assert got == expected
    assert flags == [None] * len(values)


def test_invalid_post_codes_are_null_and_flagged_when_the_whole_value_is_one() -> None:
    got, flags = run("GB", "post_code", ["SW1A", "1AA SW1A", None])
    assert got == [None, None, None]
    assert flags == ["unparsed_address", "unparsed_address", None]
    got, flags = run("NL", "post_code", ["0123 AB", "1234 SA"])  # no leading 0; SA not issued
    assert got == [None, None]


def test_country_with_only_a_post_code_rule_does_not_read_streets() -> None:
    got, flags = run("GB", "full", ["  Flat 3,12 High  Street , London EC1A 1BB"])
    assert got == ["FLAT 3, 12 HIGH STREET, LONDON EC1A 1BB"]
    assert flags == ["unparsed_address"]
    got, flags = run("GB", "street", ["12 High Street, London EC1A 1BB"])
    assert got == [None] and flags == ["unparsed_address"]


def test_unknown_post_code_group_is_a_spec_error() -> None:
    registry = default_normalizers()
    with pytest.raises(SpecError, match="no part 'fsa'") as caught:
        registry.build({"address": {"part": "post_code.fsa"}}, StepContext(country="GB"))
    assert caught.value.allowed == "post_code.outward, post_code.inward"
    with pytest.raises(SpecError, match="post_code"):
        registry.build({"address": {"part": "post_code.x y"}}, StepContext(country="GB"))


def test_rule_formats_and_padding() -> None:
    rule = PostCodeRule(
        r"(?P<post_code>[0-9]{5})(?:[ -]?(?P<post_code_ext>[0-9]{4}))?",
        "{post_code}-{post_code_ext}",
        5,
    )
    code = rule.read("8144-0012")
    assert code is not None and code.text == "08144-0012" and code.restored
    assert rule.read("81") is None  # at most two zeros restored
    assert rule.read("123456") is None
    plain = PostCodeRule(r"[0-9]{4}")
    assert plain.read(" 1234 ") is not None and plain.read("123") is None


def test_builtin_countries() -> None:
    assert countries() == ["BY", "CA", "GB", "KG", "KZ", "NL", "RU", "TJ", "US", "UZ"]
    us = rules_for("us")
    assert us is not None and us.parser == "usaddress"
    assert us.street_types["STREET"] == "ST" and us.street_types["AVENUE"] == "AVE"
    assert us.unit_words["SUITE"] == "STE" and us.unit_words["APARTMENT"] == "APT"
    assert us.regions["ILLINOIS"] == "IL" and us.regions["DC"] == "DC"
    assert rules_for("FR") is None and rules_for(None) is None


# --- a country declared by a workspace ---------------------------------------------

DE = AddressRulesSpec.model_validate(
    {
        "country": "DE",
        "house_number": "after",
        "full_line": "delivery, post_code locality",
        "street_types": {"Str.": ["Strasse", "Straße"], "Weg": [], "Platz": []},
        "unit_words": {"WHG": ["WOHNUNG"]},
        "post_code": {"pattern": "[0-9]{5}", "restore_leading_zeros": 5},
    }
)


def test_declared_country_is_read_by_the_table_parser() -> None:
    lines = ["Hauptstraße 5, 10115 Berlin", "Am Weg 12, 1067 Dresden", "Marktplatz"]
    got, flags = run("DE", "street", lines, addresses={"DE": DE})
    assert got == ["Hauptstraße", "Am Weg", None]
    assert flags == [None, "leading_zeros_restored", "unparsed_address"]
    got, _ = run("DE", "house_number", lines, addresses={"DE": DE})
    assert got == ["5", "12", None]
    got, _ = run("DE", "post_code", lines, addresses={"DE": DE})
    assert got == ["10115", "01067", None]
    got, _ = run("DE", "locality", lines, addresses={"DE": DE})
    assert got == ["Berlin", "Dresden", None]
    got, _ = run("DE", "full", lines, addresses={"DE": DE})
    assert got == ["Hauptstraße 5, 10115 Berlin", "Am Weg 12, 01067 Dresden", "Marktplatz"]


def test_declared_extension_adds_words_to_the_builtin_rules() -> None:
    extra = AddressRulesSpec.model_validate(
        {"country": "US", "street_types": {"RDWY": ["ROADWAY"]}}
    )
    got, flags = run("US", "street", ["1 Harbor Roadway, Salem, OR 97301"], addresses={"US": extra})
    assert got == ["HARBOR RDWY"] and flags == [None]
    got, _ = run("US", "street", ["1 Harbor Roadway, Salem, OR 97301"])
    assert got == ["HARBOR ROADWAY"]  # not a Publication 28 suffix


def test_rules_spec_validation() -> None:
    with pytest.raises(ValidationError, match="regular expression"):
        AddressRulesSpec.model_validate({"country": "DE", "post_code": {"pattern": "([0-9]"}})
    with pytest.raises(ValidationError, match="country"):
        AddressRulesSpec.model_validate({"country": "deu"})
    with pytest.raises(ValidationError, match="empty word"):
        AddressRulesSpec.model_validate({"country": "DE", "street_types": {"STR": [" "]}})
    with pytest.raises(ValidationError, match="extra"):
        AddressRulesSpec.model_validate({"country": "DE", "street_type": {}})
    with pytest.raises(ValidationError, match="unknown or repeated piece"):
        AddressRulesSpec.model_validate({"country": "DE", "full_line": "delivery, town"})


def test_declared_designator_extends_the_cis_words() -> None:
    alley = AddressRulesSpec.model_validate(
        {
            "country": "KG",
            "designators": [
                {"kind": "street", "canonical": "аллея", "words": ["ал", "аллея"]},
            ],
        }
    )
    text = ["Бишкек, ал. Молодежная 5"]
    got, flags = run("KG", "thoroughfare", text, addresses={"KG": alley})
    assert got == ["аллея Молодежная"] and flags == [None]
    got, flags = run("KG", "thoroughfare", text)
    assert got == ["ал Молодежная"]  # built-in words: "ал." is not known, it stays in the name
    kg = rules_for("KG")
    ru = rules_for("RU")
    assert kg is not None and ru is not None
    assert kg.designators["ул"].canonical == "улица" and "көчөсү" in kg.designators
    assert "көчөсү" not in ru.designators
    with pytest.raises(ValidationError, match="designators_from"):
        AddressRulesSpec.model_validate({"country": "KG", "designators_from": "ru"})


def test_register_matching_needs_the_cis_rules() -> None:
    registry = default_normalizers()
    with pytest.raises(SpecError, match="matching a register is not available for US"):
        registry.build({"address": {"reference": "addresses"}}, StepContext(country="US"))
    built = registry.build({"address": {"reference": "addresses"}}, StepContext(country="KG"))
    assert isinstance(built, AddressNormalizer)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=50), st.sampled_from(["FR", "GB", "CA", "NL", None]))
def test_without_street_rules_the_text_is_only_cleaned(text: str, country: str | None) -> None:
    """A country whose rules do not read streets never rewrites a letter of the address."""
    s = AddressNormalizer(AddressOptions(), StepContext(country=country))
    res = s.arrow(pa.array([text]))
    (out,), (flag,) = res.values.to_pylist(), res.flags.to_pylist()
    if not text.strip(" ,;\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"):
        return
    assert out is not None
    expected = clean(text, upper=country is not None and country != "FR")
    if flag == "unparsed_address":
        assert out == expected
    else:  # the whole value is a post code (GB/CA/NL): its standard form
        assert flag is None and country in ("GB", "CA", "NL")
