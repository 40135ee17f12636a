"""US addresses: usaddress tagging, USPS Publication 28 standardization, ZIP+4 parts.

Every line here is invented (street names, numbers and places are made up or common
names; none is a real person's address).
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.normalize.address import AddressNormalizer, AddressOptions, parse_line
from seamline.normalize.address_rules import rules_for
from seamline.normalize.base import StepContext

US = rules_for("US")


def step(**options: Any) -> AddressNormalizer:
    return AddressNormalizer(AddressOptions(**options), StepContext(country="US"))


def parts(text: str) -> dict[str, str | None]:
    p = parse_line(text, US)
    names = ("house_number", "street", "unit", "locality", "region", "post_code", "post_code_ext")
    return {n: p.part(n) for n in names} | {"full": p.part("full"), "flag": p.flag_for("full")}


# text -> standardized full line (flag None)
LINES = [
    ("5259 CENTER PL. # 15C", "5259 CENTER PL # 15C"),
    ("123 Main Street, Springfield, IL 62704-1234", "123 MAIN ST, SPRINGFIELD, IL 62704-1234"),
    ("123 Main St, Springfield, IL 62704", "123 MAIN ST, SPRINGFIELD, IL 62704"),
    ("123 Main St., Springfield, Illinois 62704", "123 MAIN ST, SPRINGFIELD, IL 62704"),
    ("1200 N. Elm St. Apt 4B, Austin, TX 78701", "1200 N ELM ST APT 4B, AUSTIN, TX 78701"),
    (
        "1200 North Elm Street Apartment 4B Austin TX 78701",
        "1200 N ELM ST APT 4B, AUSTIN, TX 78701",
    ),
    ("77 NE 5th Ave Ste 200 Miami FL 33132", "77 NE 5TH AVE STE 200, MIAMI, FL 33132"),
    (
        "77 Northeast 5th Avenue, Suite 200, Miami, FL 33132",
        "77 NE 5TH AVE STE 200, MIAMI, FL 33132",
    ),
    (
        "4410 Lakeview Boulevard #12, Madison, WI 53703",
        "4410 LAKEVIEW BLVD # 12, MADISON, WI 53703",
    ),
    ("18 Willow Ct Unit 3, Dayton OH 45402", "18 WILLOW CT UNIT 3, DAYTON, OH 45402"),
    ("900 Harbor Drive SW, Olympia, WA 98501", "900 HARBOR DR SW, OLYMPIA, WA 98501"),
    ("PO Box 123, Dover, DE 19901", "PO BOX 123, DOVER, DE 19901"),
    ("P.O. Box 4471 Boise ID 83702", "PO BOX 4471, BOISE, ID 83702"),
    ("RR 2 Box 45, Tulsa OK 74101", "RR 2 BOX 45, TULSA, OK 74101"),
    ("742 Evergreen Terrace", "742 EVERGREEN TER"),
    ("31 Quarry Road, Burlington, VT", "31 QUARRY RD, BURLINGTON, VT"),
    ("2 Mill Pond Ln Concord NH 03301", "2 MILL POND LN, CONCORD, NH 03301"),
    (
        "600 Pine Hollow Rd Fl 2, Asheville, NC 28801",
        "600 PINE HOLLOW RD FL 2, ASHEVILLE, NC 28801",
    ),
    ("55 Cedar Pkwy Bldg 7, Reno, NV 89501", "55 CEDAR PKWY BLDG 7, RENO, NV 89501"),
    ("  10   Oak  Ave ,  Ames , IA  50010 ", "10 OAK AVE, AMES, IA 50010"),
]


@pytest.mark.parametrize(("text", "expected"), LINES)
def test_standardized_lines(text: str, expected: str) -> None:
    got = parts(text)
    assert got["full"] == expected
    assert got["flag"] is None


def test_issue_examples() -> None:
    """The two lines that were rewritten with Russian words before."""
    first = parts("5259 CENTER PL. # 15C")
    assert first["house_number"] == "5259"
    assert first["street"] == "CENTER PL"
    assert first["unit"] == "# 15C"
    second = parts("123 Main Street, Springfield, IL 62704-1234")
    assert second == {
        "house_number": "123",
        "street": "MAIN ST",
        "unit": None,
        "locality": "SPRINGFIELD",
        "region": "IL",
        "post_code": "62704",
        "post_code_ext": "1234",
        "full": "123 MAIN ST, SPRINGFIELD, IL 62704-1234",
        "flag": None,
    }


@pytest.mark.parametrize(
    ("text", "flag", "full"),
    [
        ("hello world", "unparsed_address", "HELLO WORLD"),
        ("Broadway & W 42nd St, New York NY", "unparsed_address", None),
        ("Main Street, Springfield, IL 62704", "unparsed_address", None),  # no house number
        ("12 Main St, Springfield, ZZ 62704", "invalid_region", None),
        ("55 Elm Street Springfield IL 627041", "invalid_post_code", None),
        ("88 Oak Rd Unit 3 Trenton NJ 8608", "leading_zeros_restored", None),
        ("Бишкек, ул. Киевская 96", "unparsed_address", "БИШКЕК, УЛ. КИЕВСКАЯ 96"),
        ("Attn Billing Dept, 5 Elm St, Troy NY 12180", "unparsed_address", None),
    ],
)
def test_flags_keep_the_text(text: str, flag: str, full: str | None) -> None:
    got = parts(text)
    assert got["flag"] == flag
    if full is not None:
        assert got["full"] == full
    # Whatever the flag, every number of the input is still in the output.
    for number in re.findall(r"[0-9]+", text):
        assert number in str(got["full"]) or flag == "invalid_post_code"


def test_lost_leading_zero_is_padded_and_flagged() -> None:
    got = parts("88 Oak Rd Unit 3 Trenton NJ 8608")
    assert got["post_code"] == "08608"
    assert got["full"] == "88 OAK RD UNIT 3, TRENTON, NJ 08608"
    res = step(part="post_code").arrow(pa.array(["8144", "08144", "144", "62704-1234", "1"]))
    assert res.values.to_pylist() == ["08144", "08144", "00144", "62704", None]
    assert res.flags.to_pylist() == [
        "leading_zeros_restored",
        None,
        "leading_zeros_restored",
        None,
        "unparsed_address",
    ]


def test_zip_plus_four_parts_from_a_zip_column() -> None:
    values = pa.array(["62704-1234", "62704 1234", "627041234", "62704", "12345-67", None])
    five = step(part="post_code").arrow(values)
    four = step(part="post_code_ext").arrow(values)
    assert five.values.to_pylist() == ["62704", "62704", "62704", "62704", None, None]
    assert four.values.to_pylist() == ["1234", "1234", "1234", None, None, None]
    assert five.flags.to_pylist()[:4] == [None] * 4
    assert five.flags.to_pylist()[4] == "unparsed_address"
    full = step(part="full").arrow(values)
    assert full.values.to_pylist()[:2] == ["62704-1234", "62704-1234"]
    assert full.flags.to_pylist()[0] == "unparsed_address"  # a ZIP is not an address


def test_parts_for_split_mapping() -> None:
    """Each part is its own step over the same column (a ``split:`` mapping)."""
    column = pa.array(
        [
            "1200 N. Elm St. Apt 4B, Austin, TX 78701-4412",
            "PO Box 123, Dover, DE 19901",
            "hello world",
            None,
        ]
    )
    expected = {
        "house_number": ["1200", None, None, None],
        "street": ["N ELM ST", "PO BOX 123", None, None],
        "unit": ["APT 4B", None, None, None],
        "locality": ["AUSTIN", "DOVER", None, None],
        "region": ["TX", "DE", None, None],
        "post_code": ["78701", "19901", None, None],
        "post_code_ext": ["4412", None, None, None],
        "thoroughfare": ["N ELM ST", "PO BOX 123", None, None],
        "locator_designator": ["1200", None, None, None],
        "flat": ["APT 4B", None, None, None],
        "post_name": ["AUSTIN", "DOVER", None, None],
        "admin_unit_l1": ["TX", "DE", None, None],
        "admin_unit_l2": [None, None, None, None],
    }
    for part, values in expected.items():
        res = step(part=part).arrow(column)
        assert res.values.to_pylist() == values, part
        assert res.flags.to_pylist() == [None, None, "unparsed_address", None], part
    none = step(part="none").arrow(column)
    assert none.values.to_pylist() == column.to_pylist()


def test_table_fallback_reads_what_the_model_cannot() -> None:
    """A repeated label sends the line to the table parser, which still reads it."""
    got = parts("12 Main St Apt 4 Apt 5 Springfield IL 62704")
    assert got["house_number"] == "12" or got["flag"] == "unparsed_address"
    assert "12" in str(got["full"]) and "5" in str(got["full"])


def test_no_country_means_no_rules() -> None:
    s = AddressNormalizer(AddressOptions(), StepContext())
    res = s.arrow(pa.array(["123  Main Street ,Springfield", "Бишкек, ул. Киевская 96"]))
    assert res.values.to_pylist() == ["123 Main Street, Springfield", "Бишкек, ул. Киевская 96"]
    assert res.flags.to_pylist() == ["unparsed_address"] * 2
    fr = AddressNormalizer(AddressOptions(country="FR"), StepContext(country="US"))
    assert fr.arrow(pa.array(["12 rue de la Paix"])).flags.to_pylist() == ["unparsed_address"]


# --- properties ------------------------------------------------------------------------

WORDS = st.sampled_from(
    ["Main", "Oak", "Elm", "Center", "Lake", "Park", "Hill", "Mill", "Pine", "Cedar", "5th"]
)
SUFFIX = st.sampled_from(["St", "Street", "St.", "Ave", "Avenue", "Rd", "Blvd", "Pl.", "Ct", ""])
DIRECTION = st.sampled_from(["", "N", "N.", "North", "NE", "SW", "West"])
UNIT = st.sampled_from(["", "Apt 4", "# 15C", "#7", "Ste 200", "Unit B", "Apartment 12", "Fl 3"])
CITY = st.sampled_from(["Springfield", "Dover", "Austin", "Salem", "Troy", "Fairview", ""])
STATE = st.sampled_from(["IL", "TX", "Ohio", "NY", "ca", ""])
ZIP = st.sampled_from(["62704", "62704-1234", "02101", "2101", ""])


@st.composite
def us_lines(draw: st.DrawFn) -> tuple[str, str]:
    number = str(draw(st.integers(min_value=1, max_value=99999)))
    street = " ".join(
        w
        for w in (draw(DIRECTION), draw(WORDS), draw(st.sampled_from(["", "Creek"])), draw(SUFFIX))
        if w
    )
    sep = draw(st.sampled_from([", ", " "]))
    tail = " ".join(w for w in (draw(STATE), draw(ZIP)) if w)
    pieces = [f"{number} {street} {draw(UNIT)}".strip(), draw(CITY), tail]
    return sep.join(p for p in pieces if p), number


@settings(max_examples=400, deadline=None)
@given(us_lines())
def test_us_line_keeps_its_house_number_and_alphabet(drawn: tuple[str, str]) -> None:
    text, number = drawn
    p = parse_line(text, US)
    full = p.part("full")
    assert full is not None
    assert all(not c.isalpha() or ("A" <= c <= "Z") for c in full), full
    if p.flag_for("full") in (None, "leading_zeros_restored", "invalid_region"):
        assert p.part("house_number") == number, (text, full)
        assert full.startswith(number + " ")
    else:  # unread: the cleaned text, every number still there
        assert number in full


LATIN = st.text(
    alphabet=st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefxyz0123456789 ,.#-/&'")),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(LATIN)
def test_any_latin_text_stays_latin_and_keeps_its_numbers(text: str) -> None:
    p = parse_line(text, US)
    full = p.part("full") or ""
    assert all(not c.isalpha() or c.isascii() for c in full)
    flag = p.flag_for("full")
    assert flag in (None, *AddressNormalizer.flags)
    for n in re.findall(r"[0-9]+", text):
        assert n in full or flag == "invalid_post_code", (text, full, flag)
