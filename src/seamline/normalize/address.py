"""The ``address`` step: read free-text addresses by their country's rules, output the
standardized address or one part of it, match a register.

The country decides the rules (:mod:`seamline.normalize.address_rules`): US lines are
tagged by usaddress and standardized to USPS Publication 28
(:mod:`seamline.normalize.address_us`); post-Soviet addresses are read with Russian and
Kyrgyz designator words (:mod:`seamline.normalize.address_cis`); a country a workspace
declares with street types is read by the table parser
(:mod:`seamline.normalize.address_generic`); a country with a post code rule alone gives
its post code parts. An address is never read with another country's words: a country
with no rules gets its text cleaned and flagged ``unparsed_address``.

The step runs per distinct value in Python (a parser has no SQL form), on the Arrow
path of the plan, whichever engine runs the SQL: one definition of each rule.
Matching to a reference register lives in :mod:`seamline.normalize.address_match`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal, Protocol, cast

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from seamline.errors import SpecError
from seamline.normalize.address_cis import AddressParts, parse_address
from seamline.normalize.address_parts import LineParts, clean
from seamline.normalize.address_rules import AddressRulesSpec, CountryRules, rules_for
from seamline.normalize.base import Normalizer, StepContext, StepOptions, StepResult

__all__ = ["AddressNormalizer", "AddressOptions", "AddressParts", "parse_address", "parse_line"]

PARTS = (
    "full",
    "house_number",
    "street",
    "unit",
    "locality",
    "region",
    "post_code",
    "post_code_ext",
    "thoroughfare",
    "locator_designator",
    "flat",
    "post_name",
    "admin_unit_l1",
    "admin_unit_l2",
    "none",
)
"""Every part name but ``post_code.<group>``."""
Part = Literal[
    "full",
    "house_number",
    "street",
    "unit",
    "locality",
    "region",
    "post_code",
    "post_code_ext",
    "thoroughfare",
    "locator_designator",
    "flat",
    "post_name",
    "admin_unit_l1",
    "admin_unit_l2",
    "none",
]
_GROUP_PART = re.compile(r"post_code\.([A-Za-z_][A-Za-z0-9_]*)")


class Parsed(Protocol):
    """What every country's parser gives: a part by name and the flag for that part."""

    def part(self, name: str) -> str | None: ...

    def flag_for(self, name: str) -> str | None: ...


def parse_line(text: str, rules: CountryRules | None) -> Parsed:
    """Read one address with a country's rules (None: the country has none). Never raises."""
    if rules is None:
        return LineParts(text=clean(text))
    if rules.parser == "cis":
        return parse_address(text, rules.country, rules)
    bare = rules.post_code.read(clean(text, upper=True)) if rules.post_code else None
    if bare is not None:  # a post code column: "62704-1234", "SW1A 1AA", "8144"
        return LineParts(text=bare.text, post=bare)
    if rules.parser == "usaddress":
        from seamline.normalize.address_us import parse_us

        return parse_us(text, rules)
    from seamline.normalize.address_generic import parse_table

    line = clean(text, rules.upper)
    if rules.parser == "table":
        return parse_table(line, rules)
    found = rules.post_code.search(line) if rules.post_code else None
    return LineParts(text=line, post=found[0] if found else None)


_REFERENCE_ROLES = ("address_id", "street", "house", "flat", "locality", "post_code", "district")


class AddressOptions(StepOptions):
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    """ISO 3166-1 alpha-2 country of the addresses; it decides the rules (parser, words,
    post code shape). Default: the workspace's ``country``. Built-in rules: US (usaddress
    and USPS Publication 28), KG, RU, KZ, BY, UZ, TJ (post-Soviet designator words), GB,
    CA, NL (post codes only); a workspace adds or extends a country in
    ``addresses/<country>.yaml``. A country with no rules: the text is cleaned and
    flagged ``unparsed_address``."""
    part: str = "full"
    """What to output: ``full`` (the standardized address; for the US
    ``HOUSE STREET UNIT, LOCALITY, ST ZIP-EXT``), ``house_number``, ``street`` (with its
    type and directionals), ``unit`` (designator and number, e.g. ``APT 4B``),
    ``locality``, ``region`` (state or province code), ``post_code`` (US: the 5-digit
    ZIP), ``post_code_ext`` (US: the ZIP+4 extension), ``post_code.<group>`` (a named
    group of the country's post code pattern: ``outward``/``inward`` for GB,
    ``fsa``/``ldu`` for CA, ``digits``/``letters`` for NL), the ISA Core Location names
    ``thoroughfare`` (street), ``locator_designator`` (house number), ``flat`` (unit),
    ``post_name`` (locality), ``admin_unit_l1`` (region), ``admin_unit_l2`` (district),
    or ``none`` (the text unchanged; only the flags)."""
    reference: str | None = None
    """Id of a reference dataset (``reference: true``, e.g. the address register) whose
    ``address_id`` is attached to each matching address."""
    reference_columns: dict[str, str] = Field(default_factory=dict)
    """Column names of the reference where they differ from the expected ``address_id``,
    ``street``, ``house``, ``flat``, ``locality``, ``post_code``, ``district``, e.g.
    ``{street: STREET_NAME}``."""

    @field_validator("part")
    @classmethod
    def _known_part(cls, value: str) -> str:
        if value not in PARTS and not _GROUP_PART.fullmatch(value):
            raise ValueError(
                f"unknown part {value!r}; allowed: " + ", ".join(PARTS) + ", post_code.<group>"
            )
        return value

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
        "invalid_region",
        "leading_zeros_restored",
        "no_reference_match",
        "ambiguous_reference_match",
        "unit_designator_unknown",
    )
    doubts = ("unit_designator_unknown",)

    def __init__(self, options: StepOptions, context: StepContext | None = None) -> None:
        super().__init__(options, context)
        declared: dict[str, AddressRulesSpec] = self.context.extras.get("addresses") or {}
        self.rules = rules_for(self.country, declared)
        if self.opts.reference and (self.rules is None or self.rules.parser != "cis"):
            raise SpecError(
                f"normalizer address: reference: matching a register is not available for "
                f"{self.country or 'addresses without a country'}",
                allowed="countries read by the cis parser: KG, RU, KZ, BY, UZ, TJ",
                hint="Remove reference, or set country to one of those.",
            )
        group = _GROUP_PART.fullmatch(self.opts.part)
        if group:
            names = self.rules.post_code.names if self.rules and self.rules.post_code else ()
            if group.group(1) not in names:
                raise SpecError(
                    f"normalizer address: part {self.opts.part!r}: the post code rule of "
                    f"{self.country or 'no country'} has no part {group.group(1)!r}",
                    allowed=", ".join(f"post_code.{n}" for n in names) or "none",
                    hint="Name the group in the post_code pattern of addresses/<country>.yaml.",
                )

    @property
    def opts(self) -> AddressOptions:
        return cast(AddressOptions, self.options)

    @property
    def country(self) -> str | None:
        country = self.opts.country or self.context.country
        return country.upper() if country else None

    def parse_distinct(self, values: pa.Array[Any]) -> tuple[list[Parsed | None], Any]:
        """Parse each distinct value once: the parts per dictionary entry and the indices."""
        dictionary, indices = encode_distinct(values)
        parsed = [parse_line(t, self.rules) if t and t.strip() else None for t in dictionary]
        return parsed, indices

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        parsed, indices = self.parse_distinct(values)
        part = self.opts.part
        flag_part = "full" if part == "none" else part
        flags = pa.array([p.flag_for(flag_part) if p else None for p in parsed], pa.string())
        if part == "none":
            return StepResult(_as_text(values), flags.take(indices))
        outs = pa.array([p.part(part) if p else None for p in parsed], pa.string())
        return StepResult(outs.take(indices), flags.take(indices))

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
