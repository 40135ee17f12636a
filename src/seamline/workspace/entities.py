"""The built-in canonical entities, after the EU SEMIC core vocabularies.

Person follows Core Person, Address follows Core Location (locn:Address), Business
follows Core Business. A workspace extends them, or adds its own, in ``entities/``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AttributeType = Literal["string", "date", "integer", "decimal", "code", "identifier", "boolean"]
MatchKind = Literal[
    "person_name",
    "organisation_name",
    "identifier",
    "amount",
    "date",
    "text",
    "address",
    "phone",
    "email",
    "code",
    "none",
]
"""How reconcile compares an attribute's values (docs/reconcile.md, *Any entity*)."""
_MATCH_OF_TYPE: dict[str, MatchKind] = {
    "string": "text",
    "date": "date",
    "integer": "amount",
    "decimal": "amount",
    "code": "code",
    "identifier": "identifier",
    "boolean": "code",
}


class AttributeSpec(BaseModel):
    """One attribute of a canonical entity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: AttributeType = "string"
    description: str = ""
    uri: str | None = None
    match: MatchKind | None = None
    """How reconcile compares the values; default from ``type`` (string: text, date:
    date, integer and decimal: amount, code and boolean: code, identifier: identifier).
    ``person_name`` puts the entity on the person model (name parts, birth date, sex)."""
    tolerance: float | None = Field(default=None, ge=0)
    """``amount``: values this far apart still agree (absolute, in the value's unit);
    default: 1 % of the larger value."""
    window_days: int | None = Field(default=None, ge=0)
    """``date``: dates this many days apart still agree; default 31."""

    def match_kind(self) -> MatchKind:
        return self.match or _MATCH_OF_TYPE[self.type]

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> AttributeSpec:
        kind = self.match_kind()
        if self.tolerance is not None and kind != "amount":
            raise ValueError(f"tolerance applies to amounts only, and {self.name} is {kind}")
        if self.window_days is not None and kind != "date":
            raise ValueError(f"window_days applies to dates only, and {self.name} is {kind}")
        return self


class EntitySpec(BaseModel):
    """A canonical entity: built-in, extended, or the workspace's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    title: str = ""
    description: str = ""
    attributes: list[AttributeSpec] = Field(default_factory=list)

    def attribute_names(self) -> list[str]:
        return [a.name for a in self.attributes]

    def attribute(self, name: str) -> AttributeSpec | None:
        return next((a for a in self.attributes if a.name == name), None)

    def person_shaped(self) -> bool:
        """Whether reconcile links it with the person model (it has person names)."""
        return any(a.match_kind() == "person_name" for a in self.attributes)


def _entity(
    eid: str,
    title: str,
    attrs: list[tuple[str, AttributeType, str]],
    match: dict[str, MatchKind] | None = None,
) -> EntitySpec:
    kinds = match or {}
    return EntitySpec(
        id=eid,
        title=title,
        attributes=[
            AttributeSpec(name=n, type=t, uri=u or None, match=kinds.get(n)) for n, t, u in attrs
        ],
    )


_PERSON = "http://www.w3.org/ns/person#"
_FOAF = "http://xmlns.com/foaf/0.1/"
_LOCN = "http://www.w3.org/ns/locn#"
_RO = "http://www.w3.org/ns/regorg#"

BUILTIN_ENTITIES: dict[str, EntitySpec] = {
    e.id: e
    for e in (
        _entity(
            "Person",
            "Person (SEMIC Core Person)",
            [
                ("national_id", "identifier", "http://www.w3.org/ns/adms#identifier"),
                ("tax_number", "identifier", ""),
                ("passport_number", "identifier", ""),
                ("identifiers", "string", ""),
                ("given_name", "string", _FOAF + "givenName"),
                ("family_name", "string", _FOAF + "familyName"),
                ("patronymic", "string", _PERSON + "patronymicName"),
                ("middle_name", "string", ""),
                ("name_suffix", "string", ""),
                ("full_name", "string", _FOAF + "name"),
                ("birth_date", "date", "http://data.europa.eu/m8g/dateOfBirth"),
                ("birth_place", "string", _PERSON + "placeOfBirth"),
                ("sex", "code", "http://data.europa.eu/m8g/sex"),
                ("citizenship", "code", _PERSON + "citizenship"),
                ("marital_status", "code", ""),
                ("death_date", "date", "http://data.europa.eu/m8g/dateOfDeath"),
                ("status", "code", ""),
                ("phone", "string", ""),
                ("email", "string", ""),
                ("address_full", "string", _LOCN + "fullAddress"),
                ("address_id", "identifier", ""),
                ("house_number", "string", _LOCN + "locatorDesignator"),
                ("street", "string", _LOCN + "thoroughfare"),
                ("unit", "string", ""),
                ("locality", "string", _LOCN + "postName"),
                ("post_code", "string", _LOCN + "postCode"),
                ("post_code_ext", "string", ""),
                ("region", "string", _LOCN + "adminUnitL2"),
                ("country", "code", ""),
            ],
            {
                **dict.fromkeys(
                    ("given_name", "family_name", "patronymic", "middle_name", "full_name"),
                    "person_name",
                ),
                "address_full": "address",
                "phone": "phone",
                "email": "email",
            },
        ),
        _entity(
            "Address",
            "Address (SEMIC Core Location)",
            [
                ("address_id", "identifier", _LOCN + "addressId"),
                ("full_address", "string", _LOCN + "fullAddress"),
                ("locator_designator", "string", _LOCN + "locatorDesignator"),
                ("thoroughfare", "string", _LOCN + "thoroughfare"),
                ("unit", "string", ""),
                ("post_code", "string", _LOCN + "postCode"),
                ("post_code_ext", "string", ""),
                ("post_name", "string", _LOCN + "postName"),
                ("admin_unit_l1", "string", _LOCN + "adminUnitL1"),
                ("admin_unit_l2", "string", _LOCN + "adminUnitL2"),
                ("locality", "string", ""),
                ("country", "code", ""),
            ],
            {"full_address": "address"},
        ),
        _entity(
            "Business",
            "Legal entity (SEMIC Core Business)",
            [
                ("legal_name", "string", _RO + "legalName"),
                ("legal_identifier", "identifier", "http://www.w3.org/ns/legal#legalIdentifier"),
                ("tax_number", "identifier", ""),
                ("legal_form", "code", _RO + "orgType"),
                ("status", "code", _RO + "orgStatus"),
                ("registration_date", "date", ""),
                ("address_full", "string", _LOCN + "fullAddress"),
                ("activity_code", "code", _RO + "orgActivity"),
                ("phone", "string", ""),
                ("email", "string", ""),
            ],
            {
                "legal_name": "organisation_name",
                "address_full": "address",
                "phone": "phone",
                "email": "email",
            },
        ),
    )
}


def merge_entities(own: list[EntitySpec]) -> dict[str, EntitySpec]:
    """Built-ins extended by (or joined with) the workspace's own entity files."""
    merged = dict(BUILTIN_ENTITIES)
    for entity in own:
        base = merged.get(entity.id)
        if base is None:
            merged[entity.id] = entity
            continue
        known = set(base.attribute_names())
        extra = [a for a in entity.attributes if a.name not in known]
        merged[entity.id] = base.model_copy(
            update={
                "attributes": [*base.attributes, *extra],
                "description": entity.description or base.description,
            }
        )
    return merged
