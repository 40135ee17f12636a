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
        # A bare nine-digit post code is written as ZIP+4 ("627041234" -> "62704-1234").
        kept = n in full or n in full.replace("-", "")
        assert kept or flag == "invalid_post_code", (text, full, flag)


# A hand-written set of real-world-shaped lines (all invented): text, full, flag.
CORPUS = [
    ("123 1/2 Main St, Troy, NY 12180", "123 1/2 MAIN ST, TROY, NY 12180", None),
    (
        "N6W23001 Bluemound Rd, Waukesha, WI 53186",
        "N6W23001 BLUEMOUND RD, WAUKESHA, WI 53186",
        None,
    ),
    ("Apt 5, 22 Elm St, Salem, OR 97301", "22 ELM ST APT 5, SALEM, OR 97301", None),
    ("22 Elm St Apt. 5 Salem OR 97301", "22 ELM ST APT 5, SALEM, OR 97301", None),
    ("22 Elm St., #5, Salem, OR 97301", "22 ELM ST # 5, SALEM, OR 97301", None),
    ("22 Elm Street Apt#5, Salem OR 97301", "22 ELM ST APT 5, SALEM, OR 97301", None),
    ("4500 US Highway 66, Flagstaff, AZ 86001", "4500 US HIGHWAY 66, FLAGSTAFF, AZ 86001", None),
    ("1800 County Road 12, Ames, IA 50010", "1800 COUNTY ROAD 12, AMES, IA 50010", None),
    ("One Oak Plaza, Dover, DE 19901", "ONE OAK PLAZA, DOVER, DE 19901", "unparsed_address"),
    ("48 maple ave, burlington vt 05401", "48 MAPLE AVE, BURLINGTON, VT 05401", None),
    ("48 Maple Ave Burlington 05401", "48 MAPLE AVE, BURLINGTON, 05401", None),
    ("48 Maple Ave, VT 05401", "48 MAPLE AVE, VT 05401", None),
    (
        "310 West Washington Boulevard, Suite 1200, Chicago, Illinois 60606-2201",
        "310 W WASHINGTON BLVD STE 1200, CHICAGO, IL 60606-2201",
        None,
    ),
    ("9 Rue Royale, New Orleans, LA 70130", "9 RUE ROYALE, NEW ORLEANS, LA 70130", None),
    (
        "77 Avenue of the Americas, New York, NY 10019",
        "77 AVENUE OF THE AMERICAS, NEW YORK, NY 10019",
        None,
    ),
    ("150 E 42nd St Fl 12 New York NY 10017", "150 E 42ND ST FL 12, NEW YORK, NY 10017", None),
    (
        "2400 Old Mill Rd Lot 44 Bozeman MT 59715",
        "2400 OLD MILL RD LOT 44, BOZEMAN, MT 59715",
        None,
    ),
    ("Rural Route 3 Box 118, Pierre, SD 57501", "RR 3 BOX 118, PIERRE, SD 57501", None),
    ("HC 65 Box 20, Elko NV 89801", "HC 65 BOX 20, ELKO, NV 89801", None),
    ("Post Office Box 301, Cheyenne, WY 82001", "PO BOX 301, CHEYENNE, WY 82001", None),
    ("POB 77, Pierre SD 57501", "PO BOX 77, PIERRE, SD 57501", None),
    ("PSC 802 Box 74, APO AE 09499", "PSC 802 BOX 74, APO, AE 09499", None),
    ("500 S Main St Rear, Moab, UT 84532", "500 S MAIN ST REAR, MOAB, UT 84532", None),
    (
        "42 Cherry Hill Rd Building 3 Floor 2 Parsippany NJ 07054",
        "42 CHERRY HILL RD BLDG 3 FL 2, PARSIPPANY, NJ 07054",
        None,
    ),
    (
        "65 Harbor View Ter Unit 2B, Portland, ME 4101",
        "65 HARBOR VIEW TER UNIT 2B, PORTLAND, ME 04101",
        "leading_zeros_restored",
    ),
    (
        "1234 Sunset Blvd., Los Angeles, Calif. 90026",
        "1234 SUNSET BLVD, LOS ANGELES, CA 90026",
        None,
    ),
    (
        "800 N. Michigan Ave. Apt 5305 Chicago, IL 60611",
        "800 N MICHIGAN AVE APT 5305, CHICAGO, IL 60611",
        None,
    ),
    ("15 Pearl St Ste. 400 Denver Colorado 80203", "15 PEARL ST STE 400, DENVER, CO 80203", None),
    ("200 Route 9, Fishkill, NY 12524", "200 ROUTE 9, FISHKILL, NY 12524", None),
    ("57 W 57th St", "57 W 57TH ST", None),
    ("7 Sycamore Cir Spc 14 Tucson AZ 85705", "7 SYCAMORE CIR SPC 14, TUCSON, AZ 85705", None),
    ("5 Elm St Dayton OH 45402 USA", "5 ELM ST, DAYTON, OH 45402", None),
    ("5 Elm St Dayton OH 45402 Canada", "5 ELM ST DAYTON OH 45402 CANADA", "unparsed_address"),
    (
        "c/o Jane Roe, 5 Elm St, Dayton OH 45402",
        "C/O JANE ROE, 5 ELM ST, DAYTON OH 45402",
        "unparsed_address",
    ),
    (
        "1010 Birch Street Southwest, Apt 3, Olympia WA 98502",
        "1010 BIRCH ST SW APT 3, OLYMPIA, WA 98502",
        None,
    ),
    (
        "410 S. 3rd St., Ste #200, Minneapolis, MN 55415",
        "410 S 3RD ST STE 200, MINNEAPOLIS, MN 55415",
        None,
    ),
    (
        "88 Pleasant Valley Rd., Unit C-4, Nashua NH 03060",
        "88 PLEASANT VALLEY RD UNIT C-4, NASHUA, NH 03060",
        None,
    ),
    (
        "3 Winding Brook Way Apt 12 Ames Iowa 50014",
        "3 WINDING BROOK WAY APT 12, AMES, IA 50014",
        None,
    ),
    ("27 Ocean Blvd E, Long Beach, NY 11561", "27 OCEAN BLVD E, LONG BEACH, NY 11561", None),
    ("1600 S Harbor Dr, San Diego, CA, 92101", "1600 S HARBOR DR, SAN DIEGO, CA 92101", None),
    (
        "720 Prospect Ave. Fl. 3 Hartford CT 06105",
        "720 PROSPECT AVE FL 3, HARTFORD, CT 06105",
        None,
    ),
]


@pytest.mark.parametrize(("text", "full", "flag"), CORPUS)
def test_real_world_shaped_lines(text: str, full: str, flag: str | None) -> None:
    p = parse_line(text, US)
    assert (p.part("full"), p.flag_for("full")) == (full, flag)


def test_corpus_read_rate() -> None:
    """Measured: 38 of 41 lines read (93 %); the three left are flagged, never guessed."""
    res = step().arrow(pa.array([t for t, _, _ in CORPUS]))
    flags = res.flags.to_pylist()
    read = sum(f in (None, "leading_zeros_restored") for f in flags)
    assert read == 38 and len(flags) == 41


def test_table_parser_alone_on_the_corpus() -> None:
    """The fallback, run on every line of the corpus without usaddress. Measured: 58 of 61
    give the same result as the model; the other 3 are flagged, none is silently wrong."""
    from seamline.normalize.address_generic import parse_table
    from seamline.normalize.address_parts import clean

    assert US is not None
    same = silent = 0
    for text, full, flag in [*CORPUS, *((t, f, None) for t, f in LINES)]:
        p = parse_table(clean(text, upper=True), US)
        if (p.part("full"), p.flag_for("full")) == (full, flag):
            same += 1
        elif p.flag_for("full") in (None, "leading_zeros_restored"):
            silent += 1
    assert (same, silent) == (58, 0)


@settings(max_examples=300, deadline=None)
@given(LATIN)
def test_table_parser_never_loses_a_number(text: str) -> None:
    from seamline.normalize.address_generic import parse_table
    from seamline.normalize.address_parts import clean

    assert US is not None
    line = clean(text, upper=True)
    p = parse_table(line, US)
    full = p.part("full") or ""
    flag = p.flag_for("full")
    assert set(full) - set(line) <= set(", #-")
    for n in re.findall(r"[0-9]+", line):
        assert n in full or flag == "invalid_post_code", (line, full, flag)


# Generated lines with known parts: how many are read right, read wrong, or flagged.
G_NAMES = ["Main", "Oak", "Elm", "Center", "Lake", "Park", "Hill", "Mill", "Pine", "Cedar"]
G_NAMES += ["5th", "Martin Luther King", "Old Mill", "Church", "Washington", "Highland"]
G_SUFFIX = ["St", "Street", "St.", "Ave", "Avenue", "Rd", "Road", "Blvd", "Pl", "Ct", "Dr"]
G_SUFFIX += ["Lane", "Ln", "Way", "Cir", "Ter", "Pkwy", ""]
G_DIR = ["", "", "", "N", "N.", "North", "NE", "SW", "South", "E"]
G_UNIT = ["", "", "", "Apt 4", "# 15C", "#7", "Ste 200", "Suite 310", "Unit B", "Fl 3"]
G_UNIT += ["Apartment 12", "Rm 101", "Bldg 2", "Lot 17"]
G_CITY = ["Springfield", "Dover", "Austin", "Salem", "Troy", "Lake City", "Mount Vernon"]
G_CITY += ["Grand Rapids", "West Palm Beach", "Fort Wayne", ""]
G_STATE = {"IL": "IL", "TX": "TX", "Ohio": "OH", "NY": "NY", "ca": "CA", "Michigan": "MI"}
G_STATE |= {"New York": "NY", "North Carolina": "NC", "": None}
G_ZIP = {"62704": "62704", "62704-1234": "62704", "02101": "02101", "2101": "02101", "": None}


def test_generated_lines_are_read_right_or_flagged() -> None:
    """Measured over 8,000 lines (seeds 3, 8, 13, 21, 2,000 each): 92.7 % read right,
    0.2 % read wrong without a flag (true ambiguities such as ``FL 2101``: a floor, or
    Florida and a ZIP that lost its zero), 7.0 % flagged."""
    import random

    seed = 3
    print(f"seed {seed}")
    rnd = random.Random(seed)
    counts = {"right": 0, "wrong": 0, "flagged": 0}
    for _ in range(1000):
        number = str(rnd.randint(1, 99999))
        words = [number, rnd.choice(G_DIR), rnd.choice(G_NAMES), rnd.choice(G_SUFFIX)]
        unit = rnd.choice(G_UNIT)
        city, state, zip_code = (
            rnd.choice(G_CITY),
            rnd.choice(list(G_STATE)),
            rnd.choice(list(G_ZIP)),
        )
        pieces = [" ".join(w for w in [*words, unit] if w), city, f"{state} {zip_code}".strip()]
        text = rnd.choice([", ", " "]).join(p for p in pieces if p)
        p = parse_line(text, US)
        if p.flag_for("full") not in (None, "leading_zeros_restored"):
            counts["flagged"] += 1
            continue
        right = (
            p.part("house_number") == number
            and (p.part("locality") or "") == city.upper()
            and p.part("region") == G_STATE[state]
            and p.part("post_code") == G_ZIP[zip_code]
        )
        counts["right" if right else "wrong"] += 1
    assert counts["right"] >= 900, counts
    assert counts["wrong"] <= 15, counts


def test_an_empty_extension_carries_no_repair_flag() -> None:
    res = step(part="post_code_ext").arrow(pa.array(["8144", "8144-0012", "08144"]))
    assert res.values.to_pylist() == [None, "0012", None]
    assert res.flags.to_pylist() == [None, "leading_zeros_restored", None]


def test_a_unit_with_the_unknown_designator_is_flagged_on_the_unit_only() -> None:
    # Publication 28: "#" where the kind of unit is not known; still to be found out.
    read = parse_line("2210 HOLLIS AVE #14B, LEDGERTON, NJ 07999", US)
    assert read.part("unit") == "# 14B"
    assert read.flag_for("unit") == "unit_designator_unknown"
    assert read.flag_for("street") is None and read.flag_for("full") is None
    for line in ("2210 HOLLIS AVE APT 14B", "2210 HOLLIS AVE STE #14B", "2210 HOLLIS AVE"):
        assert parse_line(line, US).flag_for("unit") is None, line
    got = step(part="unit").arrow(pa.array(["12 Pond Rd # 3", "12 Pond Rd Apt 3", None]))
    assert got.values.to_pylist() == ["# 3", "APT 3", None]
    assert got.flags.to_pylist() == ["unit_designator_unknown", None, None]
    assert AddressNormalizer.doubts == ("unit_designator_unknown",)
