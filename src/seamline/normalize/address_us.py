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

from seamline.normalize.address_generic import parse_table, take_region
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


Unit = tuple[str | None, str | None]
"""A unit's designator and number as written, either may be missing."""


def tag(line: str) -> tuple[dict[str, str], list[Unit]] | None:
    """usaddress's labels, the words of each joined, and the units in order; None where a
    label other than a unit comes back after another label (the model read two streets,
    two places...) or a street runs over a comma. Unit labels may repeat (``BUILDING 3
    FLOOR 2``)."""
    tags: dict[str, list[str]] = {}
    units: list[Unit] = []
    last = ""
    parsed = usaddress.parse(line)
    for at, (token, label) in enumerate(parsed):
        after = parsed[at + 1][1] if at + 1 < len(parsed) else ""
        if token.endswith(",") and label in _STREET and after in _STREET:
            return None  # the model ran the street over a comma ("S PINE, GRAND RAPIDS")
        word = token.strip(" ,;")
        if label in _UNIT:
            if label.endswith("Type"):
                units.append((word, None))
            elif units and (units[-1][1] is None or last.endswith("Identifier")):
                kind, ident = units[-1]
                units[-1] = (kind, f"{ident} {word}" if ident else word)
            else:
                units.append((None, word))
        elif label in tags and label != last:
            return None
        elif word:
            tags.setdefault(label, []).append(word)
        last = label
    return {k: " ".join(v) for k, v in tags.items()}, units


def parse_us(text: str, rules: CountryRules) -> LineParts:
    """Read one US address line (never raises)."""
    line = clean(text, upper=True)
    if not line or not only_latin(line):
        return LineParts(text=line)
    tagged = tag(line)
    if tagged is None:
        return parse_table(line, rules)
    tags, unit_pairs = tagged
    country = tags.get("CountryName")
    if set(tags) - KNOWN or (country is not None and word_key(country) not in _US_NAMES):
        return LineParts(text=line)
    if "AddressNumber" not in tags and "USPSBoxID" not in tags and "USPSBoxGroupID" not in tags:
        return parse_table(line, rules)  # usaddress: "Ambiguous"
    house = " ".join(tags[k] for k in _NUMBER if k in tags) or None
    street = _street(tags, rules)
    units = [_unit(pair, rules) for pair in unit_pairs]
    locality = tags.get("PlaceName")
    locality, more = _units_in_locality(locality, rules)
    if locality is not None and "StateName" not in tags:
        if word_key(locality) in rules.regions:  # "MICHIGAN" alone: the state, no town
            locality, state = None, locality
        else:
            locality, state = take_region(locality, rules)  # "AMES IOWA": the model took both
        if state is not None:
            tags["StateName"] = state
    out = LineParts(text=line, house_number=house, locality=locality, line=rules.line)
    out.unit = " ".join(u for u in (*units, *more) if u) or None
    box = _box(tags, rules)
    out.street = box if street is None else street
    if "StateName" in tags:
        code = rules.regions.get(word_key(tags["StateName"]))
        out.region, out.invalid_region = (code, None) if code else (None, tags["StateName"])
    if "ZipCode" in tags and rules.post_code is not None:
        code_read = rules.post_code.read(tags["ZipCode"])
        out.post, out.invalid_post_code = code_read, None if code_read else tags["ZipCode"]
    read = (house is not None and street is not None) or (box is not None and not street)
    out.parsed = read and not _doubtful(tags, unit_pairs, locality, rules)
    return out.checked()


def _doubtful(
    tags: dict[str, str], units: list[Unit], locality: str | None, rules: CountryRules
) -> bool:
    """Signs that the model misread the line, which leave it unread (flagged):
    a number in the place name (``9`` taken for the town), a unit number of several words
    (``7 SALEM 2101``: the town and ZIP taken for the unit), a unit designator that is not
    one (``OHIO 2101``), or a street name ending in a
    street type while the type the model found is also a unit word (``ELM LANE TRLR 9``)."""
    if any(c.isdigit() for c in locality or ""):
        return True
    first = word_key(locality or "").split(" ")[0]
    if first in rules.directionals and first == word_key(locality or ""):
        return True  # "W" alone taken for the town
    if "StreetNamePostType" not in tags and first in rules.street_types:
        return True  # "S SPRING, WAY": the street's type taken for the town
    if any(len((number or "").lstrip("# ").split()) > 1 for _, number in units):
        return True
    for kind, number in units:
        std = rules.unit_words.get(word_key(kind)) if kind is not None else None
        if kind is not None and std is None:
            return True  # "OHIO 2101" taken for a unit
        if std is not None and number is None and std not in rules.units_alone:
            return True  # "FL" with no number: the state, not a floor
        if kind is None and number is not None and word_key(number) in rules.regions:
            return True  # "# NY"
    name = tags.get("StreetName", "").split()
    post = word_key(tags.get("StreetNamePostType", ""))
    return len(name) > 1 and word_key(name[-1]) in rules.street_types and post in rules.unit_words


def _units_in_locality(locality: str | None, rules: CountryRules) -> tuple[str | None, list[str]]:
    """Unit words the model took for the place (``REAR, MOAB``, ``FLOOR 2 PARSIPPANY``,
    ``UNIT B``)."""
    if locality is None:
        return None, []
    words = locality.replace(",", " ").split()
    found: list[str] = []
    while words:
        std = rules.unit_words.get(word_key(words[0]))
        if std is not None and std in rules.units_alone:
            found.append(std)
            words = words[1:]
        elif (
            std is not None
            and len(words) > 1
            and (any(c.isdigit() for c in words[1]) or len(words[1]) <= 2)
        ):
            found.append(f"{std} {_plain(words[1])}")
            words = words[2:]
        else:
            break
    return (" ".join(words) or None) if found else locality, found


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
        _plain(tags["StreetNamePreType"]) if "StreetNamePreType" in tags else None,
        _plain(tags["StreetName"]) if "StreetName" in tags else None,
        _std(tags.get("StreetNamePostType"), rules.street_types),
        _std(tags.get("StreetNamePostDirectional"), rules.directionals),
        _plain(tags["StreetNamePostModifier"]) if "StreetNamePostModifier" in tags else None,
    ]
    return " ".join(w for w in words if w) or None


def _unit(pair: Unit, rules: CountryRules) -> str:
    """``(Apt, 4B)`` -> ``APT 4B``; ``(None, #15C)`` -> ``# 15C`` (Publication 28: ``#``
    where the designator is unknown)."""
    designator = _std(pair[0], rules.unit_words)
    number = pair[1]
    if number is not None and number.startswith("#"):
        designator, number = designator or "#", number.lstrip("# ")
    if designator is None and number:
        designator = "#"
    return " ".join(p for p in (designator, number and _plain(number)) if p)


def _box(tags: dict[str, str], rules: CountryRules) -> str | None:
    if "USPSBoxID" not in tags and "USPSBoxGroupID" not in tags:
        return None
    group = _std(tags.get("USPSBoxGroupType"), rules.box_words)
    if group is not None:
        box = f" BOX {_plain(tags['USPSBoxID'])}" if "USPSBoxID" in tags else ""
        return f"{group} {_plain(tags.get('USPSBoxGroupID', ''))}{box}".strip()
    kind = _std(tags.get("USPSBoxType", "PO BOX"), rules.box_words)
    return f"{kind} {_plain(tags['USPSBoxID'])}"
