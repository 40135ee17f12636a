"""The check results: recorded per run, read per seam (its history chart, its latest check)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class CheckRow:
    """One recorded check result (the ``CheckResult`` columns, read out of the session)."""

    run_id: int
    seam: str
    rule: str
    attribute: str | None
    observed: float | None
    expected: str | None
    status: str
    details: dict[str, Any] | None


def results_of_run(store: Store, run_id: int) -> list[CheckRow]:
    """The check results recorded under the run or its stage runs, in order."""
    with store.session() as s:
        children = select(Run.id).where(Run.parent_id == run_id)
        query = (
            select(CheckResult)
            .where((CheckResult.run_id == run_id) | CheckResult.run_id.in_(children))
            .order_by(CheckResult.id)
        )
        return [
            CheckRow(
                r.run_id, r.seam, r.rule, r.attribute, r.observed, r.expected, r.status, r.details
            )
            for r in s.scalars(query)
        ]


def datasets_of_run(store: Store, run_id: int) -> list[str]:
    """The datasets the run's stage runs worked on, sorted."""
    with store.session() as s:
        query = select(Run.dataset).where(Run.parent_id == run_id, Run.dataset.is_not(None))
        return sorted({d for d in s.scalars(query) if d})


def run_outcome(
    store: Store, run_id: int
) -> tuple[datetime, datetime | None, str, str | None] | None:
    """(started, finished, status, message) of a run as stored, or None without one."""
    with store.session() as s:
        run = s.get(Run, run_id)
        if run is None:
            return None
        return run.started_at, run.finished_at, run.status, run.message
