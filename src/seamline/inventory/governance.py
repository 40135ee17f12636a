"""Ownership and truth across the workspace: the gaps, the attribute matrix, format agreement."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from seamline.inventory.profiler import DatasetProfile
from seamline.workspace.loader import Workspace


@dataclass(frozen=True)
class Holding:
    dataset: str
    column: str
    authoritative: bool
    format: str | None = None


@dataclass
class FormatPair:
    attribute: str
    a: Holding
    b: Holding

    @property
    def agree(self) -> bool | None:
        if self.a.format is None or self.b.format is None:
            return None
        return self.a.format == self.b.format


@dataclass
class Governance:
    without_steward: list[str] = field(default_factory=list)
    no_truth: list[str] = field(default_factory=list)
    """Attributes (``Entity.attribute``) held somewhere but nobody declares authoritative."""
    contested: dict[str, list[str]] = field(default_factory=dict)
    """Attributes more than one dataset claims to be authoritative for."""
    matrix: dict[str, list[Holding]] = field(default_factory=dict)
    pairs: list[FormatPair] = field(default_factory=list)

    @property
    def gap_count(self) -> int:
        return len(self.without_steward) + len(self.no_truth) + len(self.contested)


def analyse(ws: Workspace, profiles: dict[str, DatasetProfile]) -> Governance:
    gov = Governance()
    gov.without_steward = sorted(d for d, spec in ws.datasets.items() if not spec.steward)
    authorities: dict[str, list[str]] = {}
    for did, spec in sorted(ws.datasets.items()):
        for attr in spec.authoritative_for:
            authorities.setdefault(f"{spec.entity}.{attr}", []).append(did)
        profile = profiles.get(did)
        for f in spec.mappings():
            if f.attribute is None:
                continue
            key = f"{spec.entity}.{f.attribute}"
            fp = profile.field(f.column) if profile else None
            gov.matrix.setdefault(key, []).append(
                Holding(
                    did,
                    f.column,
                    f.attribute in spec.authoritative_for,
                    fp.dominant_format() if fp else None,
                )
            )
    gov.matrix = dict(sorted(gov.matrix.items()))
    gov.no_truth = [k for k in gov.matrix if k not in authorities]
    gov.contested = {k: v for k, v in sorted(authorities.items()) if len(set(v)) > 1}
    for attribute, holdings in gov.matrix.items():
        for a, b in combinations(holdings, 2):
            if a.dataset != b.dataset:
                gov.pairs.append(FormatPair(attribute, a, b))
    return gov
