"""The ``address`` step: parse free-text addresses, standardize them, match a register.

Post-Soviet addresses arrive in many shapes: ``"Бишкек, ул. Киевская 96"``,
``"г. Бишкек ул Киевская д. 96 кв 5"``, ``"720040, Чуйская обл., с. Сокулук, ул. Ленина,
д. 5"``, ``"МЫРЗА-АКЕ УЛ. ШОПОКОВА 86"``. The parser splits the text at commas and at
designator words (tables in :mod:`seamline.normalize.address_tables`), then reads each
piece as a region, district, locality, street, house, flat or post code.

Part names follow the ISA Core Location vocabulary, except that ``admin_unit_l1`` is the
region (oblast) and ``admin_unit_l2`` the district (raion): the country is the step's
``country`` option, not part of the text. ``post_name`` is the locality (the post town).

Matching to a reference register lives in :mod:`seamline.normalize.address_match`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from seamline.normalize.address_tables import (
    LATIN_TO_CYRILLIC,
    Designator,
    designators_for,
    post_code_pattern,
    scan,
    segments,
)
from seamline.normalize.base import Normalizer, StepOptions, StepResult

Part = Literal[
    "full",
    "thoroughfare",
    "locator_designator",
    "flat",
    "post_code",
    "post_name",
    "admin_unit_l1",
    "admin_unit_l2",
    "locality",
    "none",
]


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
        if name == "full":
            return self.full()
        if name == "flat":
            return self.flat
        value: str | None = getattr(self, name)
        return value


def _with_designator(name: str, d: Designator | None) -> str:
    if d is None:
        return name
    return f"{name} {d.canonical}" if d.postfix else f"{d.canonical} {name}"


def parse_address(text: str, country: str | None = "KG") -> AddressParts:
    """Parse one free-text address. Never raises; unparsed parts stay None."""
    table = designators_for(country)
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
            if post_code_pattern(country).fullmatch(u.post):
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


_REFERENCE_ROLES = ("address_id", "street", "house", "flat", "locality", "post_code", "district")


class AddressOptions(StepOptions):
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    """ISO 3166-1 alpha-2 country of the addresses (word tables, post code shape);
    default: the workspace country."""
    part: Part = "full"
    """What to output: ``full`` (the standardized address), one part (``thoroughfare``,
    ``locator_designator`` = house number, ``flat``, ``post_code``, ``post_name``,
    ``admin_unit_l1`` = region, ``admin_unit_l2`` = district, ``locality``), or ``none``
    (the text unchanged; only the flags)."""
    reference: str | None = None
    """Id of a reference dataset (``reference: true``, e.g. the address register) whose
    ``address_id`` is attached to each matching address."""
    reference_columns: dict[str, str] = Field(default_factory=dict)
    """Column names of the reference where they differ from the expected ``address_id``,
    ``street``, ``house``, ``flat``, ``locality``, ``post_code``, ``district``, e.g.
    ``{street: STREET_NAME}``."""

    def model_post_init(self, _context: Any) -> None:
        unknown = sorted(set(self.reference_columns) - set(_REFERENCE_ROLES))
        if unknown:
            raise ValueError(
                f"reference_columns: unknown role {unknown[0]!r}; allowed: "
                + ", ".join(_REFERENCE_ROLES)
            )


class AddressNormalizer(Normalizer):
    """Parse free-text addresses; output the standardized address or one part of it."""

    memoize: ClassVar[bool] = True
    key = "address"
    options_model = AddressOptions
    flags = (
        "unparsed_address",
        "invalid_post_code",
        "no_reference_match",
        "ambiguous_reference_match",
    )

    @property
    def opts(self) -> AddressOptions:
        return cast(AddressOptions, self.options)

    @property
    def country(self) -> str | None:
        return (self.opts.country or self.context.country or "KG").upper()

    def parse_distinct(self, values: pa.Array[Any]) -> tuple[list[AddressParts | None], Any]:
        """Parse each distinct value once: the parts per dictionary entry and the indices."""
        dictionary, indices = encode_distinct(values)
        parsed = [parse_address(t, self.country) if t and t.strip() else None for t in dictionary]
        return parsed, indices

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        parsed, indices = self.parse_distinct(values)
        part = self.opts.part
        flags = pa.array([p.flag if p else None for p in parsed], pa.string()).take(indices)
        if part == "none":
            return StepResult(_as_text(values), flags)
        outs = pa.array([p.part(part) if p else None for p in parsed], pa.string())
        return StepResult(outs.take(indices), flags)

    def attach(self, values: pa.Array[Any], reference: pa.Table) -> pa.Array[Any]:
        """The reference ``address_id`` of each address (null where none matches)."""
        return self.attach_result(values, reference).values

    def attach_result(self, values: pa.Array[Any], reference: pa.Table) -> StepResult:
        """Address ids plus a flag: ``no_reference_match`` / ``ambiguous_reference_match``."""
        from seamline.normalize.address_match import match_addresses, parts_table

        matched = match_addresses(
            parts_table(values, self.country),
            reference,
            reference_columns=self.opts.reference_columns,
        )
        kind: Any = matched.column("match_kind")
        text: Any = pc.utf8_trim_whitespace(_as_text(values))
        given = pc.fill_null(pc.not_equal(text, pa.scalar("")), pa.scalar(False))
        missing = pc.and_(pc.equal(kind, pa.scalar("none")), given)
        flag = pc.if_else(
            matched.column("ambiguous"),
            pa.scalar("ambiguous_reference_match"),
            pa.scalar("no_reference_match"),
        )
        flags: Any = pc.if_else(missing, flag, pa.scalar(None, pa.string()))
        return StepResult(_as_text(matched.column("address_id")), _as_text(flags))


def encode_distinct(values: pa.Array[Any]) -> tuple[list[str | None], pa.Array[Any]]:
    """The distinct texts of ``values`` and, per value, the index of its text (null for
    null), so that Python-level parsing runs once per distinct value."""
    encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(_as_text(values)))
    return encoded.dictionary.to_pylist(), encoded.indices


def _as_text(values: pa.Array[Any] | pa.ChunkedArray[Any]) -> pa.Array[Any]:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return values


def register(registry: Any) -> None:
    registry.register(AddressNormalizer)
