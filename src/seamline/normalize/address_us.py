"""US address lines: tagged by usaddress, standardized by USPS Publication 28 tables.

usaddress (a conditional random field trained on US addresses, shipped with its model;
it runs offline) labels each token: ``AddressNumber``, ``StreetNamePreDirectional``,
``StreetName``, ``StreetNamePostType``, ``OccupancyType``, ``USPSBoxType``,
``PlaceName``, ``StateName``, ``ZipCode``... Only the labelled words are standardized
(``CENTER`` in ``5259 CENTER PL`` stays a name, while ``PL.`` becomes ``PL``). A line
it cannot tag as one street address or box (repeated labels, an ambiguous reading) goes
to the table parser; a line with a label that has no place in a delivery address (a
recipient, a landmark, a building name, another country) or with a letter that is not
Latin is left unread and flagged.
"""

from __future__ import annotations

from collections.abc import Mapping

import usaddress

from seamline.normalize.address_generic import parse_table
from seamline.normalize.address_parts import LineParts, clean, only_latin
from seamline.normalize.address_rules import CountryRules, word_key

_NUMBER = ("AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix")
_STREET = (
    "StreetNamePreDirectional",
    "StreetNamePreModifier",
    "StreetNamePreType",
    "StreetName",
    "StreetNamePostType",
    "StreetNamePostDirectional",
    "StreetNamePostModifier",
)
_UNIT = ("SubaddressType", "SubaddressIdentifier", "OccupancyType", "OccupancyIdentifier")
_BOX = ("USPSBoxGroupType", "USPSBoxGroupID", "USPSBoxType", "USPSBoxID")
_PLACE = ("PlaceName", "StateName", "ZipCode", "CountryName")
KNOWN = frozenset((*_NUMBER, *_STREET, *_UNIT, *_BOX, *_PLACE))
_US_NAMES = frozenset({"US", "USA", "U S", "U S A", "UNITED STATES", "UNITED STATES OF AMERICA"})


def _std(value: str | None, table: Mapping[str, str]) -> str | None:
    if value is None:
        return None
    return table.get(word_key(value), _plain(value))


def _plain(value: str) -> str:
    """A word as written, upper case, without dots and the commas around it."""
    return " ".join(value.replace(".", " ").split()).strip(" ,")


def parse_us(text: str, rules: CountryRules) -> LineParts:
    """Read one US address line (never raises)."""
    line = clean(text, upper=True)
    if not line or not only_latin(line):
        return LineParts(text=line)
    try:
        tagged, kind = usaddress.tag(line)
    except usaddress.RepeatedLabelError:
        return parse_table(line, rules)
    if kind not in ("Street Address", "PO Box"):
        return parse_table(line, rules) if kind == "Ambiguous" else LineParts(text=line)
    tags: dict[str, str] = {k: str(v).strip(" ,") for k, v in tagged.items()}
    country = tags.get("CountryName")
    if set(tags) - KNOWN or (country is not None and word_key(country) not in _US_NAMES):
        return LineParts(text=line)
    house = " ".join(tags[k] for k in _NUMBER if k in tags) or None
    street = _street(tags, rules)
    unit = _unit(tags, rules)
    box = _box(tags, rules)
    out = LineParts(text=line, house_number=house, unit=unit, locality=tags.get("PlaceName"))
    out.street = box if street is None else street
    if "StateName" in tags:
        code = rules.regions.get(word_key(tags["StateName"]))
        out.region, out.invalid_region = (code, None) if code else (None, tags["StateName"])
    if "ZipCode" in tags and rules.post_code is not None:
        code_read = rules.post_code.read(tags["ZipCode"])
        out.post, out.invalid_post_code = code_read, None if code_read else tags["ZipCode"]
    out.parsed = (house is not None and street is not None) or (box is not None and not street)
    out.__post_init__()
    return out


def _street(tags: dict[str, str], rules: CountryRules) -> str | None:
    if "StreetName" not in tags and "StreetNamePreType" not in tags:
        return None
    name = tags.get("StreetName", "").split()
    if (
        "StreetNamePostType" not in tags
        and len(name) > 1
        and word_key(name[-1]) in rules.street_types
    ):
        # A suffix the model does not know (one a workspace added) stays in the name.
        tags = {**tags, "StreetName": " ".join(name[:-1]), "StreetNamePostType": name[-1]}
    words = [
        _std(tags.get("StreetNamePreDirectional"), rules.directionals),
        _plain(tags["StreetNamePreModifier"]) if "StreetNamePreModifier" in tags else None,
        _std(tags.get("StreetNamePreType"), rules.street_types),
        _plain(tags["StreetName"]) if "StreetName" in tags else None,
        _std(tags.get("StreetNamePostType"), rules.street_types),
        _std(tags.get("StreetNamePostDirectional"), rules.directionals),
        _plain(tags["StreetNamePostModifier"]) if "StreetNamePostModifier" in tags else None,
    ]
    return " ".join(w for w in words if w) or None


def _unit(tags: dict[str, str], rules: CountryRules) -> str | None:
    pieces: list[str] = []
    for kind, ident in (
        ("SubaddressType", "SubaddressIdentifier"),
        ("OccupancyType", "OccupancyIdentifier"),
    ):
        number = tags.get(ident)
        designator = _std(tags.get(kind), rules.unit_words)
        if number is not None and number.startswith("#"):
            designator, number = designator or "#", number.lstrip("# ")
        if designator is None and number is not None:
            designator = "#"  # Publication 28: "#" where the designator is unknown
        pieces.append(" ".join(p for p in (designator, number and _plain(number)) if p))
    return " ".join(p for p in pieces if p) or None


def _box(tags: dict[str, str], rules: CountryRules) -> str | None:
    if "USPSBoxID" not in tags and "USPSBoxGroupID" not in tags:
        return None
    group = _std(tags.get("USPSBoxGroupType"), rules.box_words)
    if group is not None:
        box = f" BOX {_plain(tags['USPSBoxID'])}" if "USPSBoxID" in tags else ""
        return f"{group} {_plain(tags.get('USPSBoxGroupID', ''))}{box}".strip()
    kind = _std(tags.get("USPSBoxType", "PO BOX"), rules.box_words)
    return f"{kind} {_plain(tags['USPSBoxID'])}"
