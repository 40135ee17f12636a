"""The reconcile spec: ``reconcile/*.yaml`` in the workspace, or a default for Person.

Example (``reconcile/person.yaml``)::

    id: person
    entity: Person
    datasets: [civil_persons, tax_payers, social_cases]
    keys: {civil_persons: [REG_NO], social_cases: [case_id]}
    recency: {civil_persons: LAST_CHANGE, tax_payers: updated_at}
    thresholds: {auto_link: 0.95, review: 0.80}
    truth: [authoritative, most_recent, most_frequent]
    truth_by_attribute: {status: [most_recent, most_frequent]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from seamline.errors import SpecError
from seamline.normalize.translit import SchemeName
from seamline.workspace.yamlpos import load_yaml

TruthRule = Literal["authoritative", "most_recent", "most_frequent"]
DEFAULT_TRUTH: tuple[TruthRule, ...] = ("authoritative", "most_recent", "most_frequent")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Model):
    """Match probabilities that decide what happens to a candidate pair."""

    auto_link: float = Field(default=0.95, gt=0.0, le=1.0)
    """At or above: the records are linked without review."""
    review: float = Field(default=0.80, gt=0.0, le=1.0)
    """At or above (and below auto_link): the pair goes on the stewards' worklist."""

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.review > self.auto_link:
            raise ValueError(f"review ({self.review}) is above auto_link ({self.auto_link})")
        return self


SplinkComparison = Literal[
    "ExactMatch",
    "JaroWinklerAtThresholds",
    "JaroAtThresholds",
    "LevenshteinAtThresholds",
    "DamerauLevenshteinAtThresholds",
    "JaccardAtThresholds",
    "NameComparison",
    "DateOfBirthComparison",
    "none",
]


class ComparisonSpec(_Model):
    """One attribute's comparison, replacing the generated one."""

    comparison: SplinkComparison
    """A Splink comparison (``splink.comparison_library``), or ``none`` to leave the
    attribute out of the model."""
    thresholds: list[float] = Field(default_factory=list)
    """The thresholds of an ``...AtThresholds`` comparison (Splink's defaults if empty)."""
    term_frequency: bool = False
    """Term-frequency adjustments on the exact level."""


class ReconcileSpec(_Model):
    """How the records of one canonical entity are linked and reconciled."""

    id: str = Field(default="person", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    """Names the golden file: ``reference/<id>.parquet``."""
    entity: str = "Person"
    """The canonical entity whose records are linked."""
    datasets: list[str] = Field(default_factory=list)
    """Datasets to link; empty = every dataset whose entity is ``entity``."""
    keys: dict[str, list[str]] = Field(default_factory=dict)
    """Per dataset, the landing columns that identify a source record (stable across runs)."""
    recency: dict[str, str] = Field(default_factory=dict)
    """Per dataset, the landing column with the record's last change (for most_recent)."""
    deterministic: list[str] | None = None
    """Identifiers that link records outright when equal and validated (flag null), with a
    veto on differing values; by default each identifier's scheme decides (``link:``,
    ``unique:`` in ``identifiers/*.yaml``, see docs/reconcile.md)."""
    thresholds: Thresholds = Field(default_factory=Thresholds)
    truth: list[TruthRule] = Field(default_factory=lambda: list(DEFAULT_TRUTH))
    """The source-of-truth rules, tried in order, for every attribute."""
    truth_by_attribute: dict[str, list[TruthRule]] = Field(default_factory=dict)
    """Per-attribute rule order, overriding ``truth``."""
    attributes: list[str] = Field(default_factory=list)
    """Attributes compared and published; empty = every attribute a linked dataset maps."""
    legal_forms: list[str] | None = None
    """Legal-form words taken off the ends of organisation names before they are compared
    (``[Ltd, Limited, GmbH]``); default: the list of the ``cleanco`` package (194 terms of
    67 countries). ``[]`` keeps every word."""
    name_scheme: SchemeName = "icao"
    """How Cyrillic names are romanized for the comparison keys."""
    u_max_pairs: float = Field(default=5e5, gt=0)
    """Random pairs sampled to estimate the u probabilities (5e5: the F1 of 2e6, faster)."""
    comparisons: dict[str, ComparisonSpec] = Field(default_factory=dict)
    """Per attribute, a comparison replacing the generated one (``family_name:
    {comparison: JaroWinklerAtThresholds, thresholds: [0.9, 0.7]}``)."""
    blocking: list[list[str]] | None = None
    """Blocking rules replacing the generated ones: each a list of attributes that must
    be equal (``[[national_id], [family_name, birth_date]]``; ``birth_year`` too). They
    are counted and reported, and all kept."""
    training: list[list[str]] | None = None
    """The EM training rules, in the same form (default: chosen from the counted rules)."""
    pair_budget: float = Field(default=50, gt=0)
    """Candidate pairs per record the blocking rules may generate in all; rules are kept,
    in order, while their counted pairs stay within it."""
    em_max_pairs: float = Field(default=5e6, gt=0)
    """At most this many blocked pairs per EM pass (Splink samples records beyond it)."""
    seed: int = 42
    """Seed of the random sampling, so runs on the same data give the same model."""

    def rules_for(self, attribute: str) -> list[TruthRule]:
        return self.truth_by_attribute.get(attribute, self.truth)


def _read(path: Path) -> ReconcileSpec:
    data, positions, issues = load_yaml(path, str(path))
    if issues:
        first = issues[0]
        raise SpecError(f"the reconcile spec {first.message}", where=first.where)
    if not isinstance(data, dict):
        raise SpecError("a reconcile spec must be a mapping", where=str(path))
    data.setdefault("id", path.stem.replace(".", "_").lower())
    try:
        return ReconcileSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line, col = positions.of(loc, key=err["type"] == "extra_forbidden")
        field_name = ".".join(str(p) for p in loc) or "(top)"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise SpecError(
            f"invalid reconcile spec: {field_name}: {err['msg']}{more}",
            where=f"{path}:{line}:{col}",
        ) from exc


def load_reconcile_specs(root: Path) -> list[ReconcileSpec]:
    """The specs in ``<root>/reconcile/*.yaml``; a default Person spec when there are none."""
    folder = Path(root) / "reconcile"
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    specs = [_read(p) for p in files]
    seen: dict[str, int] = {}
    for s in specs:
        seen[s.id] = seen.get(s.id, 0) + 1
    dup = sorted(k for k, v in seen.items() if v > 1)
    if dup:
        raise SpecError(f"reconcile spec ids used twice: {', '.join(dup)}", where=str(folder))
    return specs or [ReconcileSpec()]
