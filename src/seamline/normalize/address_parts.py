"""One address line read by a country's rules (the US parser, the table parser, or no
parser at all), its parts, its standardized form and its flag.

Part names: ``house_number``, ``street``, ``unit``, ``locality``, ``region``,
``post_code``, ``post_code_ext``, ``post_code.<group>`` (a named group of the country's
post code pattern), and the ISA Core Location names of the same parts:
``locator_designator`` (house number), ``thoroughfare`` (street), ``flat`` (unit),
``post_name`` (locality), ``admin_unit_l1`` (region); ``admin_unit_l2`` (a district or
county) is not in a line and stays null.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from seamline.normalize.postcode import PostCode

LOCN_NAMES = {
    "locator_designator": "house_number",
    "thoroughfare": "street",
    "flat": "unit",
    "post_name": "locality",
    "admin_unit_l1": "region",
}
"""ISA Core Location part names and the plain names they stand for."""

_SPACE = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_COMMA = re.compile(r"\s*[,;]\s*(?:[,;]\s*)*")
_DIGITS = re.compile(r"[0-9]+")
UNKNOWN_DESIGNATOR = "#"
"""The unit designator written where the kind of unit is not known (``# 15C``)."""


def clean(text: str, upper: bool = False) -> str:
    """Spacing tidied (single spaces, ``, `` between pieces, none at the ends), NFC, and
    upper case when the country's rules say so. Letters are never replaced."""
    text = _SPACE.sub(" ", unicodedata.normalize("NFC", text))
    text = _COMMA.sub(", ", text).strip(" ,;")
    return text.upper() if upper else text


def only_latin(text: str) -> bool:
    """Every letter of ``text`` is a Latin one (accents allowed)."""
    return all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in text)


@dataclass
class LineParts:
    """An address as the rules read it; ``parsed`` is False when they could not."""

    text: str
    """The cleaned input: what ``full`` gives when the line could not be read."""
    house_number: str | None = None
    street: str | None = None
    """Street name with its standardized type and directionals, or a box line
    (``PO BOX 12``, ``RR 2 BOX 45``)."""
    unit: str | None = None
    """Unit designator and number, e.g. ``APT 4B``, ``# 15C``."""
    locality: str | None = None
    region: str | None = None
    post: PostCode | None = None
    invalid_post_code: str | None = None
    """A post-code-like value that fails the country's pattern (kept out of ``full``)."""
    invalid_region: str | None = None
    """A region that is not one of the country's (kept as written in ``full``)."""
    parsed: bool = False
    number_first: bool = True
    """The house number is written before the street (``123 MAIN ST``), else after it
    (``Hauptstraße 5``)."""
    line: tuple[tuple[str, ...], ...] = (("delivery",), ("locality",), ("region", "post_code"))
    """The groups of ``full``, in order (the country's ``full_line``)."""

    def checked(self) -> LineParts:
        """Itself, unread if its standardized form lost a number of the input (a house
        number the parser mislabelled): a number is never dropped silently."""
        if self.parsed and not self._numbers_kept():
            self.parsed = False
        return self

    def _numbers_kept(self) -> bool:
        out = f"{self._line()} {self.invalid_post_code or ''}"
        return all(n in out for n in _DIGITS.findall(self.text))

    def _line(self) -> str:
        order = (
            (self.house_number, self.street, self.unit)
            if self.number_first
            else (self.street, self.house_number, self.unit)
        )
        delivery = " ".join(p for p in order if p)
        pieces = {
            "delivery": delivery,
            "locality": self.locality,
            "region": self.region or self.invalid_region,
            "post_code": self.post.text if self.post else None,
        }
        groups = (" ".join(p for p in (pieces[n] for n in group) if p) for group in self.line)
        return ", ".join(g for g in groups if g)

    def full(self) -> str:
        """The pieces present in the order of the country's ``full_line`` (by default
        ``HOUSE STREET UNIT, LOCALITY, REGION POSTCODE``; ``STREET HOUSE UNIT`` where the
        number follows the street); the cleaned text when the line could not be read."""
        return self._line() if self.parsed else self.text

    def part(self, name: str) -> str | None:
        name = LOCN_NAMES.get(name, name)
        if name == "full":
            return self.full()
        if name == "admin_unit_l2":
            return None
        if name in ("post_code", "post_code_ext") or name.startswith("post_code."):
            if self.post is None:
                return None
            return self.post.part(name.removeprefix("post_code."))
        value: str | None = getattr(self, name)
        return value

    def flag_for(self, name: str) -> str | None:
        """The flag of this value for the part asked for (null: fine).

        A post code part is fine whenever a valid post code was read, even if the rest of
        the line could not be; every other part needs the line read. A unit whose
        designator is ``#`` (written where the kind of unit is not known, USPS
        Publication 28) is ``unit_designator_unknown``: apartment, suite or unit is
        still to be found out."""
        name = LOCN_NAMES.get(name, name)
        if name in ("post_code", "post_code_ext") or name.startswith("post_code."):
            if self.invalid_post_code is not None:
                return "invalid_post_code"
            if self.post is not None:
                # an empty part (no ZIP+4 extension) carries no repair
                restored = self.post.restored and self.part(name) is not None
                return "leading_zeros_restored" if restored else None
            return None if self.parsed else "unparsed_address"
        if not self.parsed:
            return "unparsed_address"
        if name == "unit" and self.unit is not None and UNKNOWN_DESIGNATOR in self.unit.split():
            return "unit_designator_unknown"
        if self.invalid_post_code is not None:
            return "invalid_post_code"
        if self.invalid_region is not None:
            return "invalid_region"
        if self.post is not None and self.post.restored:
            return "leading_zeros_restored"
        return None
