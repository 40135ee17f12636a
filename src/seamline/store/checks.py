"""The check results: recorded per run, read per seam (its history chart, its latest check)."""

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


def add_check_results(store: Store, rows: list[dict[str, Any]]) -> None:
    """Keep check results (dicts of the ``CheckResult`` columns)."""
    with store.session() as s:
        s.add_all(CheckResult(**row) for row in rows)


def latest_check_results(store: Store, seam: str) -> tuple[int | None, list[dict[str, Any]]]:
    """The run id of the seam's latest check and its results in order (``rule``,
    ``attribute``, ``observed``, ``expected``, ``status``, ``details``)."""
    with store.session() as s:
        run_id = s.scalar(select(func.max(CheckResult.run_id)).where(CheckResult.seam == seam))
        if run_id is None:
            return None, []
        rows = s.scalars(
            select(CheckResult)
            .where(CheckResult.seam == seam, CheckResult.run_id == run_id)
            .order_by(CheckResult.id)
        )
        return int(run_id), [
            {
                "rule": r.rule,
                "attribute": r.attribute,
                "observed": r.observed,
                "expected": r.expected,
                "status": r.status,
                "details": r.details,
            }
            for r in rows
        ]
