"""The result of checking seams: one row per rule, grouped per seam; JSON for machines."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Literal

from seamline.workspace.derived import DerivedSpec
from seamline.workspace.models import SeamSpec

Status = Literal["pass", "fail", "error"]


def owner_text(seam: SeamSpec | DerivedSpec) -> str:
    """The accountable owner as shown and stored with findings: ``Name (agency)``; of a
    derived dataset, its contact and agency (the agency alone without a contact)."""
    if isinstance(seam, DerivedSpec):
        contact = seam.owner_contact
        return f"{contact} ({seam.owner_agency})" if contact else seam.owner_agency
    return f"{seam.owner.name} ({seam.owner.agency})"


@dataclass
class CheckRow:
    """One contract check of one seam on the current delivery."""

    seam: str
    owner: str
    rule: str
    observed: float | None
    expected: str
    status: Status
    attribute: str | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def observed_text(self) -> str:
        if self.observed is None:
            return "-"
        unit = self.details.get("unit")
        if unit == "share":
            return f"{self.observed:.2%}"
        if unit == "hours":
            return f"{self.observed:.1f} h"
        if float(self.observed).is_integer():
            return f"{int(self.observed):,}"
        return f"{self.observed:g}"


@dataclass
class SeamInfo:
    id: str
    title: str
    provider: str
    consumer: str
    owner: str
    owner_email: str | None


@dataclass
class CheckReport:
    """All checks of one ``check`` run: ``failed`` when any row did not pass."""

    run_id: int
    seams: list[SeamInfo] = field(default_factory=list)
    rows: list[CheckRow] = field(default_factory=list)
    seconds: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)
    """Seams not checked, with the reason (their provider has had no delivery yet)."""

    @property
    def failed(self) -> bool:
        return any(r.status != "pass" for r in self.rows)

    def counts(self) -> dict[str, int]:
        out = {"seams": len(self.seams), "checks": len(self.rows)}
        for status in ("pass", "fail", "error"):
            out[status] = sum(1 for r in self.rows if r.status == status)
        return out

    def for_seam(self, seam: str) -> list[CheckRow]:
        return [r for r in self.rows if r.seam == seam]

    def table(self) -> list[dict[str, str]]:
        """Rows for a console table: seam, owner, rule, observed, expected, status."""
        return [
            {
                "seam": r.seam,
                "owner": r.owner,
                "rule": r.rule,
                "observed": r.observed_text,
                "expected": r.expected,
                "status": r.status,
            }
            for r in self.rows
        ]

    def summary(self) -> list[dict[str, str]]:
        """One console row per seam: its owner, rule counts, and the rules not passing."""
        out = []
        for seam in self.seams:
            rows = self.for_seam(seam.id)
            count = {st: sum(1 for r in rows if r.status == st) for st in ("pass", "fail", "error")}
            out.append(
                {
                    "seam": seam.id,
                    "owner": seam.owner,
                    "passed": f"{count['pass']}/{len(rows)}",
                    "failed": str(count["fail"]),
                    "errors": str(count["error"]),
                    "not passing": ", ".join(r.rule for r in rows if r.status != "pass"),
                }
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": not self.failed,
            "counts": self.counts(),
            "seconds": round(self.seconds, 3),
            "seams": [asdict(s) for s in self.seams],
            "results": [asdict(r) for r in self.rows],
            "skipped": dict(self.skipped),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False, default=str)


_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes, seconds (``P1D``, ``PT6H``)."""
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        raise ValueError(f"{text!r} is not a duration like P1D or PT6H")
    w, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)
