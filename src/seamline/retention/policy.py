"""How long each dataset's records are kept: the effective retention period.

A dataset's own ``retention:`` wins. Without one, the longest ``agreement.retention``
of the seams it provides applies: each agreement says how long its purpose needs the
data, and the hub keeps the data as long as the longest of them needs it. Without
either, the dataset has no period and retention leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from seamline.errors import UsageError
from seamline.workspace.loader import Workspace
from seamline.workspace.periods import Period, parse_period


@dataclass(frozen=True)
class Effective:
    period: Period | None
    source: str
    """Where the period comes from: ``datasets/<id>.yaml``, ``seam <id>`` or ``none``."""


def effective_periods(ws: Workspace) -> dict[str, Effective]:
    """Every dataset's effective period, by dataset id."""
    out: dict[str, Effective] = {}
    for ds_id in sorted(ws.datasets):
        own = ws.datasets[ds_id].retention
        if own:
            out[ds_id] = Effective(parse_period(own), f"datasets/{ds_id}.yaml")
            continue
        best: Effective = Effective(None, "none")
        for seam_id in sorted(ws.seams):
            seam = ws.seams[seam_id]
            if seam.provider != ds_id or not seam.agreement.retention:
                continue
            p = parse_period(seam.agreement.retention)
            if best.period is None or p.rough_days() > best.period.rough_days():
                best = Effective(p, f"seam {seam_id}")
        out[ds_id] = best
    return out


def audit_period(ws: Workspace) -> Period | None:
    text = ws.project.audit.retention
    return parse_period(text) if text else None


def parse_now(text: str | None) -> datetime:
    """``--now``: an ISO 8601 date or date-time (UTC when no zone is given); default now."""
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--now {text!r} is not an ISO 8601 date or date-time",
            allowed="e.g. 2031-06-30 or 2031-06-30T12:00:00+00:00",
        ) from None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
