"""Post-Soviet addresses: the ``cis`` parser (Kyrgyz Republic, Russia, Kazakhstan,
Belarus, Uzbekistan, Tajikistan).

Addresses arrive in many shapes: ``"Бишкек, ул. Киевская 96"``,
``"г. Бишкек ул Киевская д. 96 кв 5"``, ``"720040, Чуйская обл., с. Сокулук, ул. Ленина,
д. 5"``, ``"МЫРЗА-АКЕ УЛ. ШОПОКОВА 86"``. The parser splits the text at commas and at
designator words (tables in :mod:`seamline.normalize.address_tables`), then reads each
piece as a region, district, locality, street, house, flat or post code.

Part names follow the ISA Core Location vocabulary, except that ``admin_unit_l1`` is the
region (oblast) and ``admin_unit_l2`` the district (raion): the country is the step's
``country`` option, not part of the text. ``post_name`` is the locality (the post town).
The plain part names map onto them: ``house_number`` is the house (``96А``), ``street``
the thoroughfare, ``unit`` the flat, ``region`` the oblast; ``post_code_ext`` is null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seamline.normalize.address_tables import (
    LATIN_TO_CYRILLIC,
    Designator,
    designators_for,
    post_code_pattern,
    scan,
    segments,
)

if TYPE_CHECKING:
    from seamline.normalize.address_rules import CountryRules

PLAIN_NAMES = {
    "house_number": "house",
    "street": "thoroughfare",
    "unit": "flat",
    "region": "admin_unit_l1",
}
"""The plain part names and the attributes that hold them here."""


@dataclass
class AddressParts:
    """One parsed address. Names are as written (title-cased when the text was all caps)."""

    post_code: str | None = None
    invalid_post_code: str | None = None
    """A post-code-like number that fails the country's pattern (kept out of ``full``)."""
    admin_unit_l1: str | None = None
    """The region with its designator, e.g. ``Чуйская область``, ``город Бишкек``."""
    admin_unit_l2: str | None = None
    """The district with its designator, e.g. ``Сокулукский район``."""
    locality: str | None = None
    """The town or village name alone, e.g. ``Сокулук``."""
    locality_type: Designator | None = None
    neighbourhood: str | None = None
    """A micro-district or housing estate given besides a street (``микрорайон Джал``)."""
    street_name: str | None = None
    street_type: Designator | None = None
    house: str | None = None
    """House number with its letter or fraction, e.g. ``96А``, ``12/1``."""
    block: str | None = None
    flat: str | None = None

    @property
    def thoroughfare(self) -> str | None:
        if self.street_name is None:
            return None
        return _with_designator(self.street_name, self.street_type)

    @property
    def locator_designator(self) -> str | None:
        if self.house is None:
            return None
        return self.house + (f", корпус {self.block}" if self.block else "")

    @property
    def post_name(self) -> str | None:
        return self.locality

    @property
    def parsed(self) -> bool:
        """A street (or micro-district) and a house number were found."""
        return self.street_name is not None and self.house is not None

    @property
    def flag(self) -> str | None:
        if not self.parsed:
            return "unparsed_address"
        if self.invalid_post_code is not None:
            return "invalid_post_code"
        return None

    def full(self) -> str | None:
        """The standardized address in canonical order, abbreviations expanded."""
        if not self.parsed:
            return None
        locality = _with_designator(self.locality, self.locality_type) if self.locality else None
        pieces = [
            self.post_code,
            self.admin_unit_l1,
            self.admin_unit_l2,
            locality,
            self.neighbourhood,
            self.thoroughfare,
            f"дом {self.house}",
            f"корпус {self.block}" if self.block else None,
            f"квартира {self.flat}" if self.flat else None,
        ]
        return ", ".join(p for p in pieces if p)

    def part(self, name: str) -> str | None:
        name = PLAIN_NAMES.get(name, name)
        if name == "full":
            return self.full()
        if name == "post_code_ext" or name.startswith("post_code."):
            return None
        value: str | None = getattr(self, name)
        return value

    def flag_for(self, name: str) -> str | None:
        """The flag, whatever the part (the line must be read for any of them)."""
        return self.flag


def _with_designator(name: str, d: Designator | None) -> str:
    if d is None:
        return name
    return f"{name} {d.canonical}" if d.postfix else f"{d.canonical} {name}"


def parse_address(
    text: str, country: str | None = "KG", rules: CountryRules | None = None
) -> AddressParts:
    """Parse one free-text address with ``rules`` (default: the country's built-in ones).
    Never raises; unparsed parts stay None."""
    table = rules.designators if rules is not None else designators_for(country)
    post_pattern = (
        rules.post_code.pattern
        if rules is not None and rules.post_code is not None
        else post_code_pattern(country)
    )
    caps = any(c.isalpha() for c in text) and not any(c.islower() for c in text)

    def name(words: list[str]) -> str:
        joined = " ".join(w.strip(".") if w.endswith(".") and len(w) > 2 else w for w in words)
        return joined.title() if caps else joined

    units = [u for seg in segments(text) for u in scan(seg, table)]
    parts = AddressParts()
    places: list[tuple[str, Designator | None]] = []  # locality candidates before the street
    street_at = -1
    for idx, u in enumerate(units):
        d, kind = u.designator, u.designator.kind if u.designator else None
        if u.post is not None:
            if post_pattern.fullmatch(u.post):
                parts.post_code = parts.post_code or u.post
            else:
                parts.invalid_post_code = u.post
        elif u.flat is not None and kind is None and u.house is None:
            parts.flat = parts.flat or u.flat.upper().translate(LATIN_TO_CYRILLIC)
        elif kind == "house":
            parts.house = parts.house or u.house
            parts.flat = parts.flat or u.flat
        elif kind == "block":
            parts.block = parts.block or " ".join(u.words)
        elif kind in ("street", "area") and u.words and d is not None:
            if parts.street_name is None or (
                parts.street_type is not None and parts.street_type.kind == "area"
            ):
                if parts.street_name is not None and kind == "street":
                    parts.neighbourhood = _with_designator(parts.street_name, parts.street_type)
                parts.street_name, parts.street_type, street_at = name(u.words), d, idx
            parts.house = parts.house or u.house
            parts.flat = parts.flat or u.flat
        elif kind == "region" and u.words:
            parts.admin_unit_l1 = parts.admin_unit_l1 or _with_designator(name(u.words), d)
        elif kind == "district" and u.words:
            parts.admin_unit_l2 = parts.admin_unit_l2 or _with_designator(name(u.words), d)
        elif kind in ("city", "village") and u.words:
            places.append((name(u.words), d))
        elif kind is None and u.words and u.house is not None and parts.street_name is None:
            parts.street_name, parts.house, street_at = name(u.words), u.house, idx
            parts.flat = parts.flat or u.flat
        elif kind is None and u.words and parts.street_name is None:
            nxt = units[idx + 1] if idx + 1 < len(units) else None
            if (
                nxt is not None
                and (nxt.designator is None or nxt.designator.kind == "house")
                and (nxt.house is not None and not nxt.words)
            ):
                parts.street_name, street_at = name(u.words), idx  # "Киевская, 96"
            else:
                places.append((name(u.words), None))
        elif kind is None and not u.words and u.house is not None and street_at >= 0:
            parts.house = parts.house or u.house  # "Киевская, 96"
            parts.flat = parts.flat or u.flat
    _settle_locality(parts, places)
    return parts


def _settle_locality(parts: AddressParts, places: list[tuple[str, Designator | None]]) -> None:
    """The last named place before the street is the locality; earlier ones are admin units."""
    if not places:
        return
    parts.locality, parts.locality_type = places[-1]
    for place, d in places[:-1]:
        if place == parts.locality:
            if d is not None and d.kind == "city":
                parts.locality_type = d  # "г. Бишкек, Бишкек": one city named twice
            continue
        text = _with_designator(place, d)
        if parts.admin_unit_l1 is None:
            parts.admin_unit_l1 = text
        elif parts.admin_unit_l2 is None:
            parts.admin_unit_l2 = text
