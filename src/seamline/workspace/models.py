"""Pydantic models of every file in a workspace.

Each model forbids unknown keys, so a misspelt key is an error with a did-you-mean,
not a silently ignored setting. Cross-file references (a dataset's system, a seam's
provider, a field's code list) are checked in :mod:`seamline.workspace.references`.
The models of ``seamline.yaml`` live in :mod:`seamline.workspace.project`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from seamline.normalize.scheme_spec import CheckAlgorithm, EmbeddedPart, IdentifierSchemeSpec
from seamline.workspace.entities import AttributeSpec
from seamline.workspace.periods import check_period
from seamline.workspace.project import (
    ApprovalsSpec,
    AuditSpec,
    EncryptionSpec,
    EvaluateSpec,
    LineageSpec,
    NotificationsSpec,
    ProjectSpec,
    RetentionSpec,
    TruthCompare,
)
from seamline.workspace.specbase import ID, Sensitivity, Spec

__all__ = [
    "ID",
    "ApprovalsSpec",
    "AuditSpec",
    "CheckAlgorithm",
    "EmbeddedPart",
    "EncryptionSpec",
    "EvaluateSpec",
    "IdentifierSchemeSpec",
    "LineageSpec",
    "NotificationsSpec",
    "ProjectSpec",
    "RetentionSpec",
    "Sensitivity",
    "Spec",
    "TruthCompare",
]


class Contact(Spec):
    name: str
    role: str = ""
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None


class AgencySpec(Spec):
    id: str = Field(pattern=ID)
    name: str
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    homepage: str | None = None
    contacts: list[Contact] = Field(default_factory=list)


class AgenciesFile(Spec):
    """``agencies.yaml``."""

    agencies: list[AgencySpec]


class SystemSpec(Spec):
    """``systems/*.yaml``: a system of record."""

    id: str = Field(pattern=ID)
    name: str
    agency: str
    interface: Literal[
        "batch-file", "database", "api", "message-queue", "spreadsheet", "file-export"
    ]
    change_window: str | None = None
    description: str = ""
    contact: Contact | None = None
    data_tracker: bool = False
    """The citizens' portal: its API clients may read the exchange's data tracker
    (``/v1/tracker``, who read a person's data)."""


class SplitSpec(Spec):
    """One attribute fed by a column that holds several (``split:`` of a field)."""

    attribute: str
    description: str = ""
    sensitivity: Sensitivity | None = None
    codelist: str | None = None
    normalize: list[dict[str, Any]] = Field(default_factory=list)


class FieldSpec(Spec):
    """One source column of a dataset and the canonical attribute (or attributes) it feeds."""

    column: str
    attribute: str | None = None
    split: list[SplitSpec] | None = None
    """Instead of ``attribute``: several attributes from this one column, each with its own
    steps, e.g. family, given and middle name from ``LAST, FIRST M``."""
    description: str = ""
    sensitivity: Sensitivity | None = None
    codelist: str | None = None
    normalize: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _attribute_or_split(self) -> FieldSpec:
        if self.split is None:
            return self
        if self.attribute is not None:
            raise ValueError(
                "a field has either attribute or split, not both. "
                "Move the attribute into the split list."
            )
        if not self.split:
            raise ValueError("split lists at least one {attribute: ...} entry")
        if self.codelist is not None or self.normalize:
            raise ValueError(
                "with split, codelist and normalize go on each split entry, not on the field"
            )
        return self

    def expand(self) -> list[FieldSpec]:
        """One plain field per attribute fed: a split field gives one per entry (each
        entry's description and sensitivity default to the field's), any other itself."""
        if self.split is None:
            return [self]
        return [
            FieldSpec(
                column=self.column,
                attribute=s.attribute,
                description=s.description or self.description,
                sensitivity=s.sensitivity or self.sensitivity,
                codelist=s.codelist,
                normalize=s.normalize,
            )
            for s in self.split
        ]


class DatasetSpec(Spec):
    """``datasets/*.yaml``: one dataset, its source and its mapping."""

    id: str = Field(pattern=ID)
    title: str
    description: str = ""
    system: str
    owner: str
    steward: str | None = None
    entity: str
    reference: bool = False
    sensitivity: Sensitivity = "internal"
    authoritative_for: list[str] = Field(default_factory=list)
    source: dict[str, Any]
    fields: list[FieldSpec] = Field(default_factory=list)
    retention: str | None = None
    """How long this dataset's records are kept after delivery (an ISO 8601 duration,
    e.g. ``P5Y``). Default: the longest ``retention`` of the agreements of the seams it
    provides; with neither, records are kept until deleted by hand."""

    _period = field_validator("retention")(check_period)

    def field_by_column(self, column: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.column == column), None)

    def mappings(self) -> list[FieldSpec]:
        """Every field as plain fields, one per attribute fed (split fields expanded)."""
        return [m for f in self.fields for m in f.expand()]

    def mappings_with_loc(self) -> list[tuple[tuple[str | int, ...], FieldSpec]]:
        """:meth:`mappings` with where each sits in the file: ``("fields", i)`` or
        ``("fields", i, "split", k)``."""
        out: list[tuple[tuple[str | int, ...], FieldSpec]] = []
        for i, f in enumerate(self.fields):
            if f.split is None:
                out.append((("fields", i), f))
            else:
                out += [(("fields", i, "split", k), m) for k, m in enumerate(f.expand())]
        return out


class CodeSpec(Spec):
    code: str
    labels: dict[str, str] = Field(default_factory=dict)
    description: str = ""
    deprecated: bool = False


class CrosswalkEntry(Spec):
    local: str
    code: str
    match: Literal["exact", "close"] = "exact"
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> CrosswalkEntry:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


LocalMatch = Literal["ignore_case", "exact"]


class CrosswalkSpec(Spec):
    dataset: str
    column: str
    match: LocalMatch | None = None
    """How data values meet the ``local`` values: ignore_case (letter case and
    surrounding white space do not matter) or exact. Default: the code list's ``match``."""
    map: list[CrosswalkEntry] = Field(default_factory=list)


class CodeListSpec(Spec):
    """``codelists/*.yaml``: a canonical code list and the crosswalks into it."""

    id: str = Field(pattern=ID)
    title: str
    version: str = "1"
    description: str = ""
    codes: list[CodeSpec]
    match: LocalMatch = "ignore_case"
    """How data values meet codes and crosswalk ``local`` values: ignore_case (``m``,
    `` M `` and ``M`` are one value) or exact."""
    crosswalks: list[CrosswalkSpec] = Field(default_factory=list)

    def code_values(self) -> list[str]:
        return [c.code for c in self.codes]


class EntityFile(Spec):
    """``entities/*.yaml``: extends a built-in entity or declares a new one."""

    id: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    title: str = ""
    description: str = ""
    attributes: list[AttributeSpec] = Field(default_factory=list)


class SeamOwner(Spec):
    name: str
    agency: str
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RowsSpec(Spec):
    """Which rows an agreement covers: those whose ``column`` equals ``equals``."""

    column: str
    equals: str | int


class AgreementSpec(Spec):
    reference: str
    purpose: str = Field(pattern=ID)
    legal_basis: str
    attributes: list[str]
    retention: str | None = None
    """How long the provider's records are kept (an ISO 8601 duration, e.g. ``P5Y``)."""
    starts: dt.date
    expires: dt.date | None = None
    rows: RowsSpec | None = None
    """Only these rows of a derived provider are served (None: every row)."""

    _period = field_validator("retention")(check_period)

    @field_validator("expires")
    @classmethod
    def _dates_in_order(cls, expires: dt.date | None, info: ValidationInfo) -> dt.date | None:
        # A field validator (not a model validator) so the error points at `expires:`.
        starts = info.data.get("starts")
        if expires is not None and starts is not None and expires < starts:
            raise ValueError(f"the agreement expires ({expires}) before it starts ({starts})")
        return expires


RuleCheck = Literal[
    "not_null",
    "unique",
    "valid_identifier",
    "in_codelist",
    "range",
    "pattern",
    "referential",
    "cross_field",
]


class RuleSpec(Spec):
    attribute: str
    check: RuleCheck
    tolerance: float = Field(default=0.0, ge=0.0, le=1.0)
    min: Any = None
    max: Any = None
    pattern: str | None = None
    reference: str | None = None
    expression: str | None = None
    description: str = ""


class VolumeSpec(Spec):
    min_rows: int | None = Field(default=None, ge=0)
    max_rows: int | None = Field(default=None, ge=0)
    max_change: float | None = Field(default=None, ge=0.0)


class FreshnessSpec(Spec):
    max_age: str = Field(pattern=r"^P(\d+D)?(T(\d+H)?(\d+M)?)?$")
    column: str | None = None


class ContractSpec(Spec):
    allow_new_columns: bool = True
    rules: list[RuleSpec] = Field(default_factory=list)
    volume: VolumeSpec | None = None
    freshness: FreshnessSpec | None = None


class SeamSpec(Spec):
    """``seams/*.yaml``: provider dataset -> consumer system, owned and contracted."""

    id: str = Field(pattern=ID)
    title: str = ""
    description: str = ""
    provider: str
    consumer: str
    owner: SeamOwner
    agreement: AgreementSpec
    change_windows: dict[str, str] = Field(default_factory=dict)
    contract: ContractSpec = Field(default_factory=ContractSpec)
    approvals: ApprovalsSpec | None = None
    """Overrides the workspace's ``approvals:`` for this seam."""
