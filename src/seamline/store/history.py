"""History queries over the store: deliveries, schemas, profiles, checks, stage runs.

The seams' checks (drift, freshness, health, the review packet) read what earlier runs
recorded through these functions; the ``Store`` facade itself keeps only the latest of
each. (They lived in ``seams/history.py``; the store's API is where queries belong.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select

from seamline.store.deliveries import source_time
from seamline.store.models import CheckResult, Finding, Landing, ObservedField, Profile, Run
from seamline.store.models import Delivery as DeliveryRow
from seamline.store.store import Store


@dataclass(frozen=True)
class Delivery:
    """One landing of a dataset: the connect run, the rows landed, when it was read.

    ``source`` is when the source itself last changed and how that is known (a file's
    modification time, the newest message's time, the watermark), if the reader said.
    """

    run_id: int
    rows: int
    read: int
    at: datetime
    source: tuple[datetime, str] | None = None


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; the store writes UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def deliveries(store: Store, dataset: str) -> list[Delivery]:
    """Every landing of ``dataset`` that delivered rows, oldest first.

    An idle poll (the source delivered nothing, the state is kept) is not a delivery: it
    changes no data, so it is no volume collapse and does not make the data fresher.
    """
    query = (
        select(Landing)
        .where(Landing.dataset == dataset, Landing.read_count > 0)
        .order_by(Landing.id)
    )
    metadata = select(DeliveryRow.run_id, DeliveryRow.source_metadata).where(
        DeliveryRow.dataset == dataset, DeliveryRow.read_count > 0
    )
    with store.session() as s:
        known = {
            int(run_id): {str(k): str(v) for k, v in meta.items()}
            for run_id, meta in s.execute(metadata)
            if run_id is not None and isinstance(meta, dict)
        }
        return [
            Delivery(
                r.run_id,
                r.landed_count,
                r.read_count,
                aware(r.created_at),
                source_time(known.get(r.run_id, {})),
            )
            for r in s.scalars(query)
        ]


def schemas(store: Store, dataset: str, last: int = 2) -> list[tuple[int, list[tuple[str, str]]]]:
    """The observed schemas of the ``last`` landings of ``dataset``, oldest first.

    Only the connect runs' schemas (those with a landing that read rows): the inventory
    stage records the same columns again under its own run, and an idle poll records none.
    """
    with store.session() as s:
        run_ids = list(
            s.scalars(
                select(Landing.run_id)
                .where(Landing.dataset == dataset, Landing.read_count > 0)
                .order_by(Landing.id.desc())
                .limit(last)
            )
        )
        out = []
        for rid in sorted(run_ids):
            rows = s.scalars(
                select(ObservedField)
                .where(ObservedField.run_id == rid, ObservedField.dataset == dataset)
                .order_by(ObservedField.position)
            )
            out.append((rid, [(r.name, r.physical_type) for r in rows]))
        return out


def profiles(store: Store, dataset: str, last: int) -> list[tuple[int, dict[str, dict[str, Any]]]]:
    """The field profiles of the ``last`` inventories of ``dataset``, oldest first."""
    with store.session() as s:
        run_ids = list(
            s.scalars(
                select(Profile.run_id)
                .where(Profile.dataset == dataset)
                .group_by(Profile.run_id)
                .order_by(Profile.run_id.desc())
                .limit(last)
            )
        )
        out = []
        for rid in sorted(run_ids):
            rows = s.scalars(
                select(Profile).where(Profile.run_id == rid, Profile.dataset == dataset)
            )
            out.append((rid, {r.field: dict(r.stats) for r in rows}))
        return out


def reported_keys(store: Store, kind: str, subject: str) -> set[str]:
    """Evidence ``key`` of every finding of ``kind`` on ``subject``, open or not."""
    query = select(Finding.evidence).where(Finding.kind == kind, Finding.subject == subject)
    with store.session() as s:
        return {str(e.get("key")) for e in s.scalars(query) if isinstance(e, dict)}


@dataclass(frozen=True)
class LastCheck:
    run_id: int
    status: str
    failed: list[str]


def last_checks(store: Store) -> dict[str, LastCheck]:
    """Per seam: the status of its most recent check run (fail > error > pass)."""
    with store.session() as s:
        query = select(CheckResult.seam, func.max(CheckResult.run_id)).group_by(CheckResult.seam)
        latest = {str(seam): int(run_id) for seam, run_id in s.execute(query)}
        out: dict[str, LastCheck] = {}
        for seam, run_id in latest.items():
            rows = list(
                s.scalars(
                    select(CheckResult).where(
                        CheckResult.seam == seam, CheckResult.run_id == run_id
                    )
                )
            )
            failed = [r.rule for r in rows if r.status != "pass"]
            statuses = {r.status for r in rows}
            status = "fail" if "fail" in statuses else "error" if "error" in statuses else "pass"
            out[seam] = LastCheck(run_id, status, failed)
        return out


def open_findings(store: Store) -> dict[str, int]:
    """Open findings per subject."""
    query = (
        select(Finding.subject, func.count())
        .where(Finding.status == "open")
        .group_by(Finding.subject)
    )
    with store.session() as s:
        return {subject: int(n) for subject, n in s.execute(query)}


@dataclass(frozen=True)
class StageRun:
    """The latest run of one stage on one dataset."""

    run_id: int
    status: str
    at: datetime
    message: str | None


def latest_stage_runs(store: Store, dataset: str) -> dict[str, StageRun]:
    """Per stage (``connect``, ``harmonize``...): its latest finished run on ``dataset``."""
    query = (
        select(Run)
        .where(Run.dataset == dataset, Run.finished_at.is_not(None))
        .order_by(Run.id.desc())
    )
    out: dict[str, StageRun] = {}
    with store.session() as s:
        for r in s.scalars(query):
            if r.stage not in out:
                out[r.stage] = StageRun(r.id, r.status, aware(r.started_at), r.message)
    return out


@dataclass(frozen=True)
class FindingRow:
    """A finding as stored (every column a notification tells), out of the session."""

    id: int
    fingerprint: str
    kind: str
    subject: str
    severity: str
    status: str
    message: str
    evidence: dict[str, Any]
    owner: str | None
    first_run_id: int | None
    last_run_id: int | None
    first_seen: datetime


def findings_touched(store: Store, run_id: int) -> tuple[set[int], list[FindingRow]]:
    """The run and its stage runs, and the findings first seen in one of them or seen
    there while open, in id order."""
    with store.session() as s:
        runs = {run_id, *s.scalars(select(Run.id).where(Run.parent_id == run_id))}
        query = (
            select(Finding)
            .where(
                or_(
                    Finding.first_run_id.in_(runs),
                    (Finding.last_run_id.in_(runs)) & (Finding.status == "open"),
                )
            )
            .order_by(Finding.id)
        )
        rows = [
            FindingRow(
                f.id, f.fingerprint, f.kind, f.subject, f.severity, f.status, f.message,
                f.evidence, f.owner, f.first_run_id, f.last_run_id, f.first_seen,
            )
            for f in s.scalars(query)
        ]  # fmt: skip
    return runs, rows
