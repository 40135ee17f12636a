"""The :class:`Store` API the stages and the CLI use; no SQL outside this package."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from seamline.errors import StoreError
from seamline.store.deliveries import DeliveryStore
from seamline.store.migrate import (
    check_known,
    create_store_engine,
    current_revision,
    safe_url,
    upgrade_engine,
)
from seamline.store.models import (
    ConnectorState,
    Dataset,
    Finding,
    Landing,
    ObservedField,
    Profile,
    Run,
    utcnow,
)
from seamline.store.process import host_name, started_at
from seamline.store.retention import RetentionStore
from seamline.store.sealed import cipher_of
from seamline.store.sealing import open_with_key


@dataclass(frozen=True)
class RunInfo:
    id: int
    parent_id: int | None
    stage: str
    workspace: str
    dataset: str | None
    status: str
    started_at: datetime | None
    duration_ms: int | None
    counts: dict[str, Any]
    message: str | None


@dataclass(frozen=True)
class FindingInfo:
    id: int
    kind: str
    subject: str
    severity: str
    status: str
    message: str
    evidence: dict[str, Any]
    owner: str | None
    times_seen: int


def status_history(evidence: Any) -> list[dict[str, Any]]:
    """The status changes a finding went through (kept in its evidence), oldest first."""
    if isinstance(evidence, dict) and isinstance(evidence.get("status_history"), list):
        return [dict(h) for h in evidence["status_history"] if isinstance(h, dict)]
    return []


def of_dataset(dataset_id: str) -> Callable[[str], bool]:
    """Scope for :meth:`Store.resolve_findings`: subjects ``<dataset_id>.<field>``."""
    prefix = f"{dataset_id}."
    return lambda subject: subject.startswith(prefix)


def _change_status(row: Finding, status: str, **entry: Any) -> None:
    """Set a finding's status and keep the change in ``evidence.status_history``."""
    history = [*status_history(row.evidence), {"status": status, **entry}]
    row.status = status
    row.evidence = {**dict(row.evidence or {}), "status_history": history}


def _finding_info(f: Finding) -> FindingInfo:
    return FindingInfo(
        f.id,
        f.kind,
        f.subject,
        f.severity,
        f.status,
        f.message,
        dict(f.evidence),
        f.owner,
        f.times_seen,
    )


def fingerprint(*parts: str) -> str:
    """A stable id for a finding, so the same problem seen again is one finding."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class Store(DeliveryStore, RetentionStore):
    """A session factory over the store database, with the operations stages need."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    @contextmanager
    def open(cls, url: str, *, upgrade: bool = True, key: bytes | None = None) -> Iterator[Store]:
        """Open the store at ``url``, creating or upgrading its schema when ``upgrade``.

        A store at a revision this seamline does not know is refused unchanged; an
        existing store at an older revision is upgraded, and a warning says so (the
        schema change is not one a team should learn of by surprise). ``key`` is the
        workspace's data key (``Workspace.data_key``): it seals the personal columns, and
        it must be the key the store was sealed with (``store.sealing``).
        """
        engine = create_store_engine(url)
        try:
            if upgrade:
                before, after = upgrade_engine(engine)
                if before is not None and before != after:
                    logging.getLogger(__name__).warning(
                        "upgraded the store at %s from schema revision %s to %s "
                        "(`seamline upgrade` does this on its own)",
                        safe_url(url),
                        before,
                        after,
                    )
            else:
                check_known(current_revision(engine), url)
            open_with_key(engine, key)
            yield cls(engine)
        finally:
            engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @property
    def encrypted(self) -> bool:
        """Whether the personal columns are sealed (then no SQL may filter on them)."""
        return cipher_of(self.engine.dialect) is not None

    @property
    def url(self) -> str:
        return safe_url(str(self.engine.url))

    # --- runs ------------------------------------------------------------------------

    def start_run(
        self,
        stage: str,
        *,
        workspace: str,
        dataset: str | None = None,
        parent_id: int | None = None,
    ) -> int:
        with self.session() as s:
            run = Run(
                stage=stage,
                workspace=workspace,
                dataset=dataset,
                parent_id=parent_id,
                status="running",
                started_at=utcnow(),
                counts={},
                pid=os.getpid(),
                host=host_name(),
                process_started=started_at(os.getpid()),
            )
            s.add(run)
            s.flush()
            return run.id

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        counts: dict[str, int] | None = None,
        message: str | None = None,
    ) -> None:
        with self.session() as s:
            run = s.get(Run, run_id)
            if run is None:
                raise StoreError(f"there is no run {run_id} in the store {self.url}")
            now = utcnow()
            started = run.started_at
            if started.tzinfo is None:  # SQLite returns naive datetimes
                started = started.replace(tzinfo=now.tzinfo)
            run.status = status
            run.finished_at = now
            run.duration_ms = int((now - started).total_seconds() * 1000)
            if counts is not None:
                run.counts = dict(counts)
            run.message = message

    def list_runs(
        self, *, limit: int = 20, stage: str | None = None, dataset: str | None = None
    ) -> list[RunInfo]:
        """The most recent runs first."""
        query = select(Run).order_by(Run.id.desc()).limit(limit)
        if stage is not None:
            query = query.where(Run.stage == stage)
        if dataset is not None:
            query = query.where(Run.dataset == dataset)
        with self.session() as s:
            return [
                RunInfo(
                    r.id,
                    r.parent_id,
                    r.stage,
                    r.workspace,
                    r.dataset,
                    r.status,
                    r.started_at,
                    r.duration_ms,
                    dict(r.counts or {}),
                    r.message,
                )
                for r in s.scalars(query)
            ]

    # --- datasets and landings ---------------------------------------------------------

    def record_dataset(
        self,
        dataset_id: str,
        *,
        title: str | None,
        system: str | None,
        owner: str | None,
        steward: str | None,
        entity: str | None,
        run_id: int | None,
    ) -> None:
        with self.session() as s:
            row = s.get(Dataset, dataset_id) or Dataset(id=dataset_id)
            row.title, row.system, row.owner = title, system, owner
            row.steward, row.entity, row.last_run_id = steward, entity, run_id
            row.updated_at = utcnow()
            s.add(row)

    def record_landing(
        self,
        run_id: int,
        dataset_id: str,
        *,
        read: int,
        landed: int,
        quarantined: int,
        path: str | None,
    ) -> None:
        """Record a landing; the counts must add up (``read = landed + quarantined``)."""
        if read != landed + quarantined:
            raise StoreError(
                f"landing counts of {dataset_id} do not add up: read {read} != landed "
                f"{landed} + quarantined {quarantined}"
            )
        try:
            with self.session() as s:
                s.add(
                    Landing(
                        run_id=run_id,
                        dataset=dataset_id,
                        read_count=read,
                        landed_count=landed,
                        quarantined_count=quarantined,
                        path=path,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError as exc:  # pragma: no cover - guarded above, kept by the DB too
            raise StoreError(f"the store refused the landing of {dataset_id}: {exc.orig}") from None

    def landings(self, dataset_id: str) -> list[tuple[int, int, int, int]]:
        """(run_id, read, landed, quarantined) of every landing of a dataset, oldest first."""
        query = select(Landing).where(Landing.dataset == dataset_id).order_by(Landing.id)
        with self.session() as s:
            return [
                (r.run_id, r.read_count, r.landed_count, r.quarantined_count)
                for r in s.scalars(query)
            ]

    def landing_stats(self) -> dict[str, dict[str, Any]]:
        """Per dataset: rows of the latest landing, when it landed and when it first did.

        Empty landings (an idle poll, nothing delivered) do not count: they change nothing.
        """
        out: dict[str, dict[str, Any]] = {}
        with self.session() as s:
            for row in s.scalars(select(Landing).order_by(Landing.id)):
                if row.read_count == 0:
                    continue
                entry = out.setdefault(row.dataset, {"issued": row.created_at})
                entry["rows"], entry["modified"] = row.landed_count, row.created_at
        return out

    def record_observed_schema(
        self,
        run_id: int,
        dataset_id: str,
        schema: Sequence[tuple[str, str]],
        logical_types: dict[str, str] | None = None,
    ) -> None:
        logical = logical_types or {}
        with self.session() as s:
            s.add_all(
                ObservedField(
                    run_id=run_id,
                    dataset=dataset_id,
                    position=i,
                    name=name,
                    physical_type=physical,
                    logical_type=logical.get(name),
                )
                for i, (name, physical) in enumerate(schema)
            )

    def observed_schema(self, dataset_id: str) -> list[tuple[str, str]]:
        """The columns seen in the dataset's latest recorded landing."""
        with self.session() as s:
            latest = s.scalar(
                select(ObservedField.run_id)
                .where(ObservedField.dataset == dataset_id)
                .order_by(ObservedField.run_id.desc())
                .limit(1)
            )
            if latest is None:
                return []
            rows = s.scalars(
                select(ObservedField)
                .where(ObservedField.run_id == latest, ObservedField.dataset == dataset_id)
                .order_by(ObservedField.position)
            )
            return [(r.name, r.physical_type) for r in rows]

    # --- profiles ----------------------------------------------------------------------

    def record_profiles(
        self, run_id: int, dataset_id: str, stats: dict[str, dict[str, Any]]
    ) -> None:
        """Keep one profile per field (statistics as JSON) under the inventory run."""
        with self.session() as s:
            s.add_all(
                Profile(
                    run_id=run_id,
                    dataset=dataset_id,
                    field=name,
                    stats=json.loads(json.dumps(values, default=str)),
                )
                for name, values in stats.items()
            )

    def latest_profiles(self, dataset_id: str) -> dict[str, dict[str, Any]]:
        """The field profiles of the dataset's most recent inventory."""
        with self.session() as s:
            latest = s.scalar(
                select(Profile.run_id)
                .where(Profile.dataset == dataset_id)
                .order_by(Profile.run_id.desc())
                .limit(1)
            )
            if latest is None:
                return {}
            rows = s.scalars(
                select(Profile)
                .where(Profile.run_id == latest, Profile.dataset == dataset_id)
                .order_by(Profile.id)
            )
            return {r.field: dict(r.stats) for r in rows}

    # --- connector state -------------------------------------------------------------

    def get_state(self, dataset_id: str) -> dict[str, Any]:
        with self.session() as s:
            row = s.get(ConnectorState, dataset_id)
            return dict(row.state) if row is not None else {}

    def set_state(self, dataset_id: str, kind: str, state: dict[str, Any]) -> None:
        # JSON round trip: only plain data may be kept between runs.
        plain = json.loads(json.dumps(state, default=str))
        with self.session() as s:
            row = s.get(ConnectorState, dataset_id) or ConnectorState(dataset=dataset_id)
            row.kind, row.state, row.updated_at = kind, plain, utcnow()
            s.add(row)

    def clear_state(self, dataset_id: str) -> None:
        with self.session() as s:
            s.execute(delete(ConnectorState).where(ConnectorState.dataset == dataset_id))

    # --- findings ----------------------------------------------------------------------

    def upsert_finding(
        self,
        *,
        kind: str,
        subject: str,
        message: str,
        severity: str = "warning",
        evidence: dict[str, Any] | None = None,
        owner: str | None = None,
        run_id: int | None = None,
        key: str = "",
    ) -> int:
        """Record a finding; the same (kind, subject, key) seen again updates the one row."""
        fp = fingerprint(kind, subject, key)
        now = utcnow()
        with self.session() as s:
            row = s.scalar(select(Finding).where(Finding.fingerprint == fp))
            if row is None:
                row = Finding(
                    fingerprint=fp,
                    kind=kind,
                    subject=subject,
                    status="open",
                    first_run_id=run_id,
                    first_seen=now,
                    times_seen=0,
                )
                s.add(row)
            history = status_history(row.evidence)  # outlives the new evidence
            row.severity, row.message, row.owner = severity, message, owner
            row.evidence = json.loads(json.dumps(evidence or {}, default=str))
            if history:
                row.evidence = {**row.evidence, "status_history": history}
            if row.status != "open":  # seen again after it was resolved or closed
                _change_status(row, "open", run_id=run_id, at=now.isoformat())
            row.last_run_id, row.last_seen = run_id, now
            row.times_seen = (row.times_seen or 0) + 1
            s.flush()
            return row.id

    def resolve_findings(
        self,
        run_id: int,
        kinds: Sequence[str],
        in_scope: Callable[[str], bool] = lambda subject: True,
    ) -> int:
        """Resolve the open findings this run looked for again and did not see.

        ``kinds`` are the finding kinds (``contract.failed``) or kind families
        (``agreement``, meaning ``agreement.*``) the caller re-evaluates on every run;
        ``in_scope`` says which subjects it looked at (a check of one seam must not
        resolve another seam's findings). Returns how many were resolved.
        """
        now = utcnow()
        resolved = 0
        with self.session() as s:
            rows = s.scalars(select(Finding).where(Finding.status == "open"))
            for row in rows:
                family_match = any(row.kind == k or row.kind.startswith(k + ".") for k in kinds)
                if not family_match or row.last_run_id == run_id or not in_scope(row.subject):
                    continue
                _change_status(row, "resolved", run_id=run_id, at=now.isoformat())
                resolved += 1
        return resolved

    def close_finding(self, finding_id: int, *, by: str, reason: str) -> FindingInfo:
        """A person closes a finding (accepted, fixed elsewhere, not a problem).

        The finding opens again if a later run sees the same problem.
        """
        if not by.strip() or not reason.strip():
            raise StoreError("closing a finding needs who closes it and why")
        with self.session() as s:
            row = s.get(Finding, finding_id)
            if row is None:
                raise StoreError(f"there is no finding {finding_id}")
            _change_status(row, "closed", by=by, reason=reason, at=utcnow().isoformat())
            s.flush()
            return _finding_info(row)

    def findings(self, *, kind: str | None = None, status: str = "open") -> list[FindingInfo]:
        query = select(Finding).order_by(Finding.id)
        if status != "all":
            query = query.where(Finding.status == status)
        if kind is not None:
            query = query.where(Finding.kind == kind)
        with self.session() as s:
            return [_finding_info(f) for f in s.scalars(query)]
