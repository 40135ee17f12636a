"""Per-country address rules, as data: which parser reads the lines, the words it
standardizes, and the shape of the post code with its named parts.

Built-in rules ship as YAML beside this module (``address_data/<country>.yaml``); a
workspace adds a country or extends one with ``addresses/<country>.yaml`` in the same
format (:class:`AddressRulesSpec`). A country with no rules gets none: its addresses are
cleaned (spacing) and flagged ``unparsed_address``, never read with another country's
words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from ruamel.yaml import YAML

from seamline.errors import SpecError
from seamline.normalize.address_tables import Designator, Kind
from seamline.normalize.postcode import PostCodeRule

Parser = Literal["usaddress", "cis", "table", "none"]
LINE_PIECES = ("delivery", "locality", "region", "post_code")
DEFAULT_LINE = "delivery, locality, region post_code"
WordTable = dict[str, list[str]]


class PostCodeSpec(BaseModel):
    """``post_code:``: the shape of the country's post codes."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    pattern: str
    """A regular expression a post code matches in full (upper case, spaces single),
    with a named group per part, e.g. ``(?P<post_code>[0-9]{5})(?:-(?P<post_code_ext>[0-9]{4}))?``
    for a US ZIP+4 or ``(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?) ?(?P<inward>[0-9][A-Z]{2})``
    for a UK postcode. A group named ``post_code`` is the ``post_code`` part; otherwise
    that part is the whole code written by ``format``."""
    format: str | None = None
    """How the whole code is written, from its parts, e.g. ``{outward} {inward}``; a part
    that is missing drops with the separator before it (``{post_code}-{post_code_ext}``
    gives ``62704`` without an extension). Default: the matched text."""
    restore_leading_zeros: int | None = Field(default=None, ge=2, le=12)
    """Pad an all-digit code (before any separator) that is shorter than this with zeros
    on the left when the padded code fits the pattern, and flag it
    ``leading_zeros_restored`` (a spreadsheet turned ``08144`` into ``8144``)."""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class DesignatorSpec(BaseModel):
    """One designator word of the ``cis`` parser: what the neighbouring name is."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: Kind
    """``street``, ``area`` (a micro-district standing in for a street), ``region``,
    ``district``, ``city``, ``village``, ``house``, ``flat``, ``block`` or ``post``."""
    canonical: str
    """The expanded spelling written in ``full``, e.g. ``улица``."""
    words: list[str]
    """Spellings, lower case, without the trailing dot, e.g. ``[ул, улица, ul]``."""
    postfix: bool = False
    """The word stands after the name (``Чуйская область``)."""
    street_class: str = ""
    """For streets: a language-neutral class, so that ``улица`` and ``көчөсү`` match."""


class AddressRulesSpec(BaseModel):
    """``addresses/<country>.yaml``: the address rules of one country."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    country: str = Field(pattern=r"^[A-Z]{2}$")
    """ISO 3166-1 alpha-2 code of the country, in capitals; it must match the file name."""
    extends: bool = True
    """Add to the built-in rules of this country (words merge, the post code and the
    settings given here replace theirs); ``false`` replaces them."""
    parser: Parser | None = None
    """Who reads a line: ``usaddress`` (the usaddress package, US lines), ``cis`` (the
    post-Soviet designator tables), ``table`` (the words below: house number, street
    name and type, unit, locality, region, post code) or ``none`` (post code only).
    Default: the built-in one, else ``table`` when street types are given, else ``none``."""
    case: Literal["upper", "as_written"] | None = None
    """Letter case of the standardized parts; default ``as_written``."""
    house_number: Literal["before", "after"] | None = None
    """Where the house number stands: ``before`` the street (``123 Main St``) or ``after``
    it (``Damrak 1``); default ``before``."""
    full_line: str | None = None
    """The order of the standardized address (``part: full``): comma-separated groups of
    ``delivery`` (house number, street, unit), ``locality``, ``region`` and
    ``post_code``, a group's pieces separated by spaces; missing pieces and empty groups
    drop out. Default ``delivery, locality, region post_code`` (US:
    ``123 MAIN ST, SPRINGFIELD, IL 62704``); e.g. ``delivery, post_code locality`` for
    ``Hauptstraße 5, 10115 Berlin``."""
    street_types: WordTable = Field(default_factory=dict)
    """Standard street-type word: the spellings that stand for it, e.g.
    ``{ST: [STREET, STR], AVE: [AVENUE, AV]}``."""
    unit_words: WordTable = Field(default_factory=dict)
    """Standard unit designator: its spellings, e.g. ``{APT: [APARTMENT], STE: [SUITE]}``."""
    unit_words_alone: list[str] = Field(default_factory=list)
    """Unit designators (standard words) that stand without a number, e.g. ``REAR``,
    ``BSMT``."""
    directionals: WordTable = Field(default_factory=dict)
    """Standard directional: its spellings, e.g. ``{N: [NORTH], NE: [NORTHEAST]}``."""
    box_words: WordTable = Field(default_factory=dict)
    """Standard words of a box or route line, e.g. ``{PO BOX: [POST OFFICE BOX]}``."""
    regions: WordTable = Field(default_factory=dict)
    """Region (state, province) code: its names, e.g. ``{IL: [ILLINOIS]}``."""
    regions_from_iso: bool | None = None
    """Take the regions from ISO 3166-2 (pycountry) as well; default false."""
    post_code: PostCodeSpec | None = None
    """The shape of the country's post codes (keys below); replaces the built-in one."""
    designators: list[DesignatorSpec] = Field(default_factory=list)
    """For ``parser: cis``: designator words, e.g.
    ``[{kind: street, canonical: улица, words: [ул, улица], street_class: street}]``."""
    designators_from: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    """For ``parser: cis``: start from the designators of this built-in country (``RU``)."""

    @field_validator("full_line")
    @classmethod
    def _line_pieces(cls, value: str | None) -> str | None:
        if value is not None:
            names = value.replace(",", " ").split()
            unknown = sorted(set(names) - set(LINE_PIECES))
            if unknown or len(names) != len(set(names)):
                raise ValueError(
                    f"unknown or repeated piece in {value!r}; allowed, each once: "
                    + ", ".join(LINE_PIECES)
                )
        return value

    @model_validator(mode="after")
    def _words_are_text(self) -> AddressRulesSpec:
        for name in ("street_types", "unit_words", "directionals", "box_words", "regions"):
            for key, words in getattr(self, name).items():
                if not key.strip() or any(not w.strip() for w in words):
                    raise ValueError(f"{name}: an empty word under {key!r}")
        return self


@dataclass(frozen=True)
class CountryRules:
    """The compiled rules of one country."""

    country: str
    parser: Parser = "none"
    upper: bool = False
    number_first: bool = True
    line: tuple[tuple[str, ...], ...] = (("delivery",), ("locality",), ("region", "post_code"))
    """The groups of ``full``, in order (from ``full_line``)."""
    street_types: Mapping[str, str] = field(default_factory=dict)
    """Spelling (upper case, no dots) -> standard word."""
    unit_words: Mapping[str, str] = field(default_factory=dict)
    units_alone: frozenset[str] = frozenset()
    directionals: Mapping[str, str] = field(default_factory=dict)
    box_words: Mapping[str, str] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)
    post_code: PostCodeRule | None = None
    designators: Mapping[str, Designator] = field(default_factory=dict)
    """For the cis parser: word key -> designator."""

    def case(self, text: str) -> str:
        return text.upper() if self.upper else text


def word_key(word: str) -> str:
    """A spelling as a table key: upper case, dots dropped, spaces single."""
    return " ".join(word.upper().replace(".", " ").split())


def _spellings(table: WordTable) -> dict[str, str]:
    out: dict[str, str] = {}
    for standard, words in table.items():
        for w in (standard, *words):
            out.setdefault(word_key(w), standard)
    return out


def _iso_regions(country: str) -> dict[str, str]:
    import pycountry

    out: dict[str, str] = {}
    subdivisions: Any = pycountry.subdivisions
    for sub in subdivisions.get(country_code=country) or []:
        code = str(sub.code).split("-", 1)[1]
        out[word_key(code)] = code
        out[word_key(str(sub.name))] = code
    return out


def merge(base: AddressRulesSpec | None, extra: AddressRulesSpec) -> AddressRulesSpec:
    """``extra`` laid over ``base`` (``extends: false`` drops the base)."""
    if base is None or not extra.extends:
        return extra
    data = base.model_dump(exclude_none=True)
    for key, value in extra.model_dump(exclude_none=True, exclude_unset=True).items():
        if isinstance(value, dict) and key != "post_code" and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        elif isinstance(value, list) and isinstance(data.get(key), list):
            data[key] = [*data[key], *value]
        else:
            data[key] = value
    return AddressRulesSpec.model_validate(data)


def _designators(spec: AddressRulesSpec) -> dict[str, Designator]:
    out: dict[str, Designator] = {}
    if spec.designators_from:
        base = builtin_specs().get(spec.designators_from)
        if base is None or base.designators_from or not base.designators:
            raise ValueError(
                f"designators_from: {spec.designators_from} has no designators of its own"
            )
        out.update(_designators(base))
    for d in spec.designators:
        entry = Designator(d.kind, d.canonical, d.postfix, d.street_class)
        out.update({w.lower().replace("ё", "е").rstrip("."): entry for w in d.words})
    return out


def compile_rules(spec: AddressRulesSpec) -> CountryRules:
    parser = spec.parser or ("table" if spec.street_types else "none")
    regions = _iso_regions(spec.country) if spec.regions_from_iso else {}
    regions.update(_spellings(spec.regions))
    post = spec.post_code
    return CountryRules(
        country=spec.country,
        parser=parser,
        upper=spec.case == "upper",
        number_first=spec.house_number != "after",
        line=tuple(tuple(g.split()) for g in (spec.full_line or DEFAULT_LINE).split(",")),
        street_types=_spellings(spec.street_types),
        unit_words=_spellings(spec.unit_words),
        units_alone=frozenset(spec.unit_words_alone),
        directionals=_spellings(spec.directionals),
        box_words=_spellings(spec.box_words),
        regions=regions,
        post_code=(
            PostCodeRule(post.pattern, post.format, post.restore_leading_zeros) if post else None
        ),
        designators=_designators(spec),
    )


@lru_cache(maxsize=1)
def builtin_specs() -> dict[str, AddressRulesSpec]:
    """The rules shipped with seamline, by country."""
    yaml = YAML(typ="safe", pure=True)
    out: dict[str, AddressRulesSpec] = {}
    folder = resources.files("seamline.normalize").joinpath("address_data")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            spec = AddressRulesSpec.model_validate(yaml.load(item.read_text("utf-8")))
            out[spec.country] = spec
    return out


@lru_cache(maxsize=64)
def _builtin_rules(country: str) -> CountryRules | None:
    spec = builtin_specs().get(country)
    return compile_rules(spec) if spec is not None else None


def rules_for(
    country: str | None, declared: Mapping[str, AddressRulesSpec] | None = None
) -> CountryRules | None:
    """The rules of ``country``: built-in, extended by the workspace's; None if it has none."""
    if not country:
        return None
    country = country.upper()
    extra = (declared or {}).get(country)
    if extra is None:
        return _builtin_rules(country)
    return compile_rules(merge(builtin_specs().get(country), extra))


def countries() -> list[str]:
    """Countries with built-in rules."""
    return sorted(builtin_specs())


def check_declared(declared: Mapping[str, Any]) -> None:
    """Raise SpecError when a workspace rule fails to compile with its base."""
    for country, spec in declared.items():
        try:
            compile_rules(merge(builtin_specs().get(country), spec))
        except ValueError as exc:
            raise SpecError(f"the address rules of {country} cannot be used: {exc}") from None
