"""Pydantic models of every file in a workspace.

Each model forbids unknown keys, so a misspelt key is an error with a did-you-mean,
not a silently ignored setting. Cross-file references (a dataset's system, a seam's
provider, a field's code list) are checked in :mod:`seamline.workspace.references`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from seamline.workspace.entities import AttributeSpec

ID = r"^[a-z0-9][a-z0-9_-]*$"
Sensitivity = Literal["public", "internal", "personal", "special"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotificationsSpec(Spec):
    """Where new findings and failed checks are delivered (``notifications:``)."""

    webhook: str | None = None
    """A URL receiving one JSON POST per new finding; usually ``${FINDINGS_WEBHOOK}``."""
    retries: int = Field(default=3, ge=0, le=10)
    timeout_seconds: float = Field(default=5.0, gt=0)
    dead_letter: str = ".seamline/data/notifications/dead-letter.jsonl"
    """Findings the webhook did not take after every retry, one JSON line each."""
    console: bool = True


class LineageSpec(Spec):
    """OpenLineage run events for existing lineage tools (``lineage:``)."""

    transport: Literal["file", "http", "none"] = "file"
    path: str = ".seamline/data/lineage/events.jsonl"
    url: str | None = None
    """For ``transport: http``: the OpenLineage endpoint, e.g. ``${OPENLINEAGE_URL}``."""
    namespace: str = "seamline"


class ProjectSpec(Spec):
    """``seamline.yaml``: the program's name and where its store and data live."""

    name: str = Field(pattern=ID)
    title: str = ""
    description: str = ""
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    engine: Literal["duckdb", "spark"] = "duckdb"
    store: str | None = None
    data_dir: str = ".seamline/data"
    quarantine_max_share: float = Field(default=0.05, ge=0.0, le=1.0)
    notifications: NotificationsSpec = Field(default_factory=NotificationsSpec)
    lineage: LineageSpec = Field(default_factory=LineageSpec)


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


class FieldSpec(Spec):
    """One source column of a dataset and the canonical attribute it feeds."""

    column: str
    attribute: str | None = None
    description: str = ""
    sensitivity: Sensitivity | None = None
    codelist: str | None = None
    normalize: list[dict[str, Any]] = Field(default_factory=list)


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

    def field_by_column(self, column: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.column == column), None)


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


class CrosswalkSpec(Spec):
    dataset: str
    column: str
    map: list[CrosswalkEntry] = Field(default_factory=list)


class CodeListSpec(Spec):
    """``codelists/*.yaml``: a canonical code list and the crosswalks into it."""

    id: str = Field(pattern=ID)
    title: str
    version: str = "1"
    description: str = ""
    codes: list[CodeSpec]
    crosswalks: list[CrosswalkSpec] = Field(default_factory=list)

    def code_values(self) -> list[str]:
        return [c.code for c in self.codes]


CheckAlgorithm = Literal[
    "none",
    "luhn",
    "mod11",
    "iso7064_mod11_2",
    "iso7064_mod11_10",
    "iso7064_mod97_10",
    "verhoeff",
    "damm",
]


class EmbeddedPart(Spec):
    """A part of an identifier that encodes another fact (sex, birth date)."""

    name: str
    start: int = Field(ge=1)
    """1-based position in the compact identifier."""
    length: int = Field(ge=1)
    kind: Literal["date", "code", "digits"] = "digits"
    format: str | None = None
    """For ``kind: date``: a strptime format of the part, e.g. ``%d%m%Y``."""
    values: dict[str, str] = Field(default_factory=dict)
    """For ``kind: code``: part value -> canonical value, e.g. {"1": male, "2": female}."""
    attribute: str | None = None
    """The entity attribute this part must agree with, e.g. ``birth_date``."""


class IdentifierSchemeSpec(Spec):
    """``identifiers/*.yaml``: an identifier scheme python-stdnum lacks, declared as data."""

    id: str = Field(pattern=ID)
    title: str
    description: str = ""
    length: int | None = Field(default=None, ge=1)
    """Length of the compact form (separators removed)."""
    pattern: str | None = None
    """A regular expression the compact form must match in full, e.g. ``[12][0-9]{13}``."""
    separators: str = " -./"
    """Characters removed to get the compact form."""
    check: CheckAlgorithm = "none"
    """The check-digit algorithm over the compact form (the last character is the check)."""
    restore_leading_zeros: bool = False
    """Pad shorter all-digit values with zeros to ``length`` (spreadsheets lose them)."""
    embedded: list[EmbeddedPart] = Field(default_factory=list)


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


class AgreementSpec(Spec):
    reference: str
    purpose: str = Field(pattern=ID)
    legal_basis: str
    attributes: list[str]
    retention: str | None = Field(default=None, pattern=r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")
    starts: dt.date
    expires: dt.date | None = None

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
