"""What retention reads and deletes in the store: deliveries, worklist rows, audit age.

Part of :class:`~seamline.store.Store`; kept apart to keep each module small. Nothing
here deletes from the audit log: it is only counted.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from seamline.store.models import AuditEvent, Delivery, Discrepancy, Run


@dataclass(frozen=True)
class DiscrepancyAge:
    """A worklist row's id, when its reconcile run started, and the datasets it names."""

    id: int
    run_started: datetime
    datasets: frozenset[str]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite returns naive datetimes


def _named(observed: Any) -> frozenset[str]:
    """The datasets a discrepancy row's ``observed`` names (conflicts and review links)."""
    if not isinstance(observed, dict):
        return frozenset()
    names = {str(d) for d in observed.get("datasets") or [] if d}
    for v in observed.get("values") or []:
        if isinstance(v, dict) and v.get("dataset"):
            names.add(str(v["dataset"]))
    return frozenset(names)


class RetentionStore:
    """Deletions for ``seamline retention``; mixed into :class:`~seamline.store.Store`."""

    def session(self) -> AbstractContextManager[Session]:  # pragma: no cover - Store's
        raise NotImplementedError

    def forget_deliveries(self, deleted: set[int], retired: set[int]) -> None:
        """Delete the rows of deliveries ``deleted``; mark ``retired`` as neither kept
        nor in the state (a dataset's newest row stays, so record numbers never restart)."""
        with self.session() as s:
            if deleted:
                s.execute(delete(Delivery).where(Delivery.id.in_(sorted(deleted))))
            if retired:
                s.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(sorted(retired)))
                    .values(kept=False, in_state=False)
                )

    def discrepancy_ages(self, before: datetime | None = None) -> list[DiscrepancyAge]:
        """Stored discrepancies and review links (of runs started ``before``, if given),
        with their run's start and the datasets they name."""
        query = select(Discrepancy.id, Run.started_at, Discrepancy.observed).join(
            Run, Run.id == Discrepancy.run_id
        )
        if before is not None:
            query = query.where(Run.started_at < before)
        with self.session() as s:
            return [
                DiscrepancyAge(i, _aware(at), _named(obs))
                for i, at, obs in s.execute(query).yield_per(5000)
            ]

    def delete_discrepancies(self, ids: set[int]) -> None:
        ordered = sorted(ids)
        with self.session() as s:
            for start in range(0, len(ordered), 5000):
                chunk = ordered[start : start + 5000]
                s.execute(delete(Discrepancy).where(Discrepancy.id.in_(chunk)))

    def audit_events_before(self, cutoff: datetime) -> int:
        """How many audit events are older than ``cutoff`` (counted, never deleted)."""
        with self.session() as s:
            n: Any = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.at < cutoff))
        return int(n or 0)

    def audit_event_count(self) -> int:
        with self.session() as s:
            n: Any = s.scalar(select(func.count(AuditEvent.id)))
        return int(n or 0)
