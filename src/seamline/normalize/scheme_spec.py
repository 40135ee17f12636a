"""``identifiers/*.yaml``: an identifier scheme declared as data (the model).

The identifier steps of :mod:`seamline.normalize.identifiers` check values against it;
the workspace loader reads the files into it (``seamline.workspace.models`` re-exports
it), so it lives here, below the workspace.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_ID = r"^[a-z0-9][a-z0-9_-]*$"
"""An id as every workspace file spells it (``seamline.workspace.specbase.ID``)."""


class _Spec(BaseModel):
    # The same settings as the workspace's spec models: unknown keys are errors.
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class EmbeddedPart(_Spec):
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


class IdentifierSchemeSpec(_Spec):
    """``identifiers/*.yaml``: an identifier scheme python-stdnum lacks, declared as data."""

    id: str = Field(pattern=_ID)
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
    placeholders: list[str] = Field(default_factory=list)
    """Values known to be typed to fill the field, not real numbers (flagged
    ``placeholder_identifier``), besides repeated digits and digit runs."""
    link: Literal["exact", "evidence"] | None = None
    """How reconcile trusts a validated value: ``exact`` links records outright when
    equal; ``evidence`` makes it a strong comparison of the linkage model, where a
    difference counts against a link but never forbids it (a mistyped number can still
    be valid). Default: ``exact`` where the scheme has a check digit, else ``evidence``."""
    unique: bool = False
    """One value belongs to one person only: records whose validated values differ are
    never linked (a veto), and their pairs are not scored."""
    embedded: list[EmbeddedPart] = Field(default_factory=list)

    def link_mode(self) -> Literal["exact", "evidence"]:
        if self.link:
            return self.link
        return "exact" if self.check != "none" else "evidence"
