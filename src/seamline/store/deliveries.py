"""The store's record of deliveries (one per run's landing of a dataset) and of dead runs.

Part of :class:`~seamline.store.Store`; kept apart to keep each module small.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from seamline.errors import StoreError
from seamline.store.models import Delivery, Run, utcnow
from seamline.store.process import alive, host_name

DELIVERY_STATUSES = ("running", "ok", "empty", "failed", "aborted")
SOURCE_TIME = "source_time"
"""The metadata key of when the source itself last changed (ISO 8601, UTC)."""
SOURCE_TIME_BASIS = "source_time_basis"
"""How that is known: ``file modified``, ``message time``, ``watermark``."""


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    dataset: str
    run_id: int | None
    mode: str
    status: str
    read: int
    landed: int
    quarantined: int
    first_record_no: int
    in_state: bool
    kept: bool
    path: str | None
    quarantine_path: str | None
    started_at: datetime
    finished_at: datetime | None
    message: str | None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def source_time(self) -> tuple[datetime, str] | None:
        """When the source last changed and how that is known; None if the reader did not say."""
        return source_time(self.metadata)


def source_time(metadata: dict[str, str]) -> tuple[datetime, str] | None:
    """A delivery's ``source_time`` metadata as a UTC moment and its basis (None: absent)."""
    text = metadata.get(SOURCE_TIME)
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return at, metadata.get(SOURCE_TIME_BASIS) or "source"


def _info(d: Delivery) -> DeliveryInfo:
    return DeliveryInfo(
        d.id,
        d.dataset,
        d.run_id,
        d.mode,
        d.status,
        d.read_count,
        d.landed_count,
        d.quarantined_count,
        d.first_record_no,
        d.in_state,
        d.kept,
        d.path,
        d.quarantine_path,
        d.started_at,
        d.finished_at,
        d.message,
        {str(k): str(v) for k, v in (d.source_metadata or {}).items()},
    )


class DeliveryStore:
    """Deliveries and run liveness; mixed into :class:`~seamline.store.Store`."""

    def session(self) -> AbstractContextManager[Session]:  # pragma: no cover - Store's
        raise NotImplementedError

    # --- deliveries ----------------------------------------------------------------

    def start_delivery(
        self, dataset_id: str, *, run_id: int | None, mode: str, first_record_no: int
    ) -> int:
        """A new delivery, ``running`` until :meth:`finish_delivery`; returns its id."""
        with self.session() as s:
            row = Delivery(
                dataset=dataset_id,
                run_id=run_id,
                mode=mode,
                status="running",
                read_count=0,
                landed_count=0,
                quarantined_count=0,
                first_record_no=first_record_no,
                in_state=False,
                kept=True,
                started_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return row.id

    def finish_delivery(
        self,
        delivery_id: int,
        status: str,
        *,
        read: int = 0,
        landed: int = 0,
        quarantined: int = 0,
        path: str | None = None,
        quarantine_path: str | None = None,
        message: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        if status not in DELIVERY_STATUSES:
            raise StoreError(f"unknown delivery status {status!r}")
        if read != landed + quarantined:
            raise StoreError(
                f"delivery {delivery_id}: read {read} != landed {landed} + quarantined {quarantined}"
            )
        with self.session() as s:
            row = s.get(Delivery, delivery_id)
            if row is None:
                raise StoreError(f"there is no delivery {delivery_id} in the store")
            row.status, row.message, row.finished_at = status, message, utcnow()
            row.read_count, row.landed_count, row.quarantined_count = read, landed, quarantined
            row.path, row.quarantine_path = path, quarantine_path
            if metadata is not None:
                row.source_metadata = dict(metadata)

    def set_in_state(self, dataset_id: str, ids: set[int], *, only: bool) -> None:
        """Mark deliveries ``ids`` as in the current state (``only``: and no other)."""
        with self.session() as s:
            if only:
                s.execute(
                    update(Delivery)
                    .where(Delivery.dataset == dataset_id, Delivery.id.not_in(sorted(ids)))
                    .values(in_state=False)
                )
            if ids:
                s.execute(
                    update(Delivery).where(Delivery.id.in_(sorted(ids))).values(in_state=True)
                )

    def mark_pruned(self, ids: set[int]) -> None:
        """The files of deliveries ``ids`` were deleted by the retention rule."""
        if ids:
            with self.session() as s:
                s.execute(update(Delivery).where(Delivery.id.in_(sorted(ids))).values(kept=False))

    def deliveries(self, dataset_id: str) -> list[DeliveryInfo]:
        """Every delivery of a dataset, oldest first."""
        query = select(Delivery).where(Delivery.dataset == dataset_id).order_by(Delivery.id)
        with self.session() as s:
            return [_info(d) for d in s.scalars(query)]

    def next_record_no(self, dataset_id: str) -> int:
        """The first ``_record_no`` free for a new delivery of an append source."""
        query = select(func.max(Delivery.first_record_no + Delivery.read_count)).where(
            Delivery.dataset == dataset_id
        )
        with self.session() as s:
            top: Any = s.scalar(query)
        return int(top) if top is not None else 1

    # --- runs left behind ----------------------------------------------------------

    def abort_dead_runs(self) -> list[int]:
        """Mark runs left ``running`` by a process of this host that is gone as ``aborted``.

        Runs of other hosts are left alone (their process cannot be checked from here).
        Their deliveries still ``running`` become ``aborted`` too. Returns the run ids.
        """
        host = host_name()
        dead: list[int] = []
        with self.session() as s:
            running = s.scalars(select(Run).where(Run.status == "running", Run.host == host))
            now = utcnow()
            for run in running:
                if run.pid is None or alive(run.pid, run.process_started):
                    continue
                run.status = "aborted"
                run.finished_at = now
                run.message = (
                    f"the process {run.pid} on {host} ended without finishing the run "
                    "(killed or crashed); marked aborted by a later run"
                )
                dead.append(run.id)
            if dead:
                s.execute(
                    update(Delivery)
                    .where(Delivery.run_id.in_(dead), Delivery.status == "running")
                    .values(status="aborted", finished_at=now, message="the run was aborted")
                )
        return dead
