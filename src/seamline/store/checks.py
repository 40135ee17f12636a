"""Reads of the check results: a seam's results per check run, for its history chart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from seamline.store.models import CheckResult, Run
from seamline.store.store import Store


def check_history(store: Store, seam: str, limit: int = 30) -> list[dict[str, Any]]:
    """Rule results per check run of one seam, oldest first (the last ``limit`` runs)."""
    q = (
        select(CheckResult.run_id, Run.started_at, CheckResult.status, func.count())
        .join(Run, Run.id == CheckResult.run_id)
        .where(CheckResult.seam == seam)
        .group_by(CheckResult.run_id, Run.started_at, CheckResult.status)
    )
    runs: dict[int, dict[str, Any]] = {}
    with store.session() as s:
        for run_id, started, status, n in s.execute(q):
            point = runs.setdefault(
                int(run_id),
                {"run": int(run_id), "at": started, "label": started.strftime("%m-%d %H:%M")},
            )
            point[str(status)] = point.get(str(status), 0) + int(n)
    return [runs[k] for k in sorted(runs)][-limit:]
