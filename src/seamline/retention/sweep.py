"""Find and delete what is past its retention period (``seamline retention apply``).

A record's age is its delivery's: it was received when the delivery that landed it
started. At ``now``, a delivery of a dataset with period *P* is past it when it started
before ``now - P``. Past their period go:

* the delivery's files (landed rows and quarantine) and its row in the store (a
  dataset's newest delivery row stays, emptied, so record numbers never restart);
* its records in the current state: an ``append`` state loses the rows the delivery
  landed (a record delivered again later is the later delivery's, and stays); a
  ``snapshot`` state that *is* the expired delivery is deleted;
* the harmonized rows of those records (``harmonized/<dataset>.parquet`` is filtered by
  ``_record_no``, the same ids the state has);
* the golden records of every reconcile spec linking the dataset: they are withdrawn
  (``reference/<spec>.parquet`` deleted), because a golden value may come from a record
  that is gone, and rebuilt from what is left by the reconcile stage; a spec with no
  record left at all also loses its rows of ``reference/entity_ids.parquet``;
* worklist items (stored discrepancies and review links) naming the dataset, from a
  reconcile run older than its period or made while it held the removed records;
* exported files under ``reports/`` older than the shortest period of any dataset.

The audit log is never touched: its own period (``audit: {retention: ...}``) is
reported with the number of events past it. Counts are recorded per dataset and kind,
never values. :func:`sweep` with ``apply=False`` deletes nothing and lists exactly what
``apply=True`` would delete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from seamline.connector import RECORD_NO
from seamline.crypto.parquet import ParquetFiles, remove, replace
from seamline.errors import SeamlineError
from seamline.reconcile.cluster import MAP_FILE, write_mapping
from seamline.reconcile.prepare import entity_datasets
from seamline.reconcile.records import records_path
from seamline.reconcile.spec import load_reconcile_specs
from seamline.retention.policy import Effective, audit_period, effective_periods
from seamline.store import DeliveryInfo, Store
from seamline.workspace.datafolder import delivery_file, delivery_quarantine, state_path
from seamline.workspace.loader import Workspace

KINDS = (
    "deliveries",
    "delivery files",
    "quarantine files",
    "landed rows",
    "harmonized rows",
    "reference rows",
    "entity keys",
    "worklist items",
    "exported files",
)
"""What retention deletes, in the order of its table."""
EVERYWHERE = "*"
"""The dataset column of files that are not one dataset's (exports)."""


@dataclass
class Item:
    """One line of the report: how many of one kind of one dataset are (to be) deleted."""

    dataset: str
    kind: str
    count: int
    paths: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    """What to do for one dataset."""

    dataset: str
    cutoff: datetime
    expired: list[DeliveryInfo]
    newest_id: int | None
    drop_state: bool = False
    ranges: list[tuple[int, int]] = field(default_factory=list)
    """``[first, end)`` record numbers of expired append deliveries."""
    state_rows: int = 0
    harmonized_rows: int = 0
    drop_harmonized: bool = False
    all_gone: bool = False
    """Every row of an ``append`` state is past the period (the file stays, empty)."""
    files: list[Path] = field(default_factory=list)
    quarantine: list[Path] = field(default_factory=list)

    @property
    def lost_records(self) -> bool:
        return self.drop_state or self.state_rows > 0 or self.harmonized_rows > 0


@dataclass
class Sweep:
    """What retention found (and, when ``applied``, deleted) at ``now``."""

    now: datetime
    applied: bool
    periods: dict[str, Effective]
    items: list[Item] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    """Reconcile specs whose golden records were (to be) withdrawn, to be rebuilt."""
    emptied: list[str] = field(default_factory=list)
    """Datasets whose current state was (to be) deleted: nothing of them is left."""
    errors: dict[str, str] = field(default_factory=dict)
    """Dataset -> why its expired data could not be deleted."""
    audit_period: str | None = None
    audit_past: int = 0
    audit_total: int = 0

    def add(self, dataset: str, kind: str, count: int, paths: list[str] | None = None) -> None:
        if count:
            self.items.append(Item(dataset, kind, count, list(paths or [])))

    def counts(self) -> dict[str, int]:
        """``<dataset>.<kind>`` -> count (kinds with spaces as underscores)."""
        return {f"{i.dataset}.{i.kind.replace(' ', '_')}": i.count for i in self.items}

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.items:
            out[i.kind] = out.get(i.kind, 0) + i.count
        return out

    def rows(self) -> list[dict[str, Any]]:
        """The table: one row per dataset and kind, sorted."""
        order = {k: n for n, k in enumerate(KINDS)}
        items = sorted(
            self.items, key=lambda i: (i.dataset == EVERYWHERE, i.dataset, order[i.kind])
        )
        return [
            {
                "dataset": i.dataset,
                "period": self._period_of(i.dataset),
                "kind": i.kind,
                "deleted" if self.applied else "would delete": i.count,
            }
            for i in items
        ]

    def _period_of(self, dataset: str) -> str:
        eff = self.periods.get(dataset)
        return str(eff.period) if eff and eff.period else ""


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def sweep(ws: Workspace, store: Store, now: datetime, *, apply: bool) -> Sweep:
    """Find what is past its period at ``now``; with ``apply``, delete it."""
    periods = effective_periods(ws)
    result = Sweep(now, apply, periods)
    lost: set[str] = set()
    cutoffs: dict[str, datetime] = {}
    for ds_id, eff in periods.items():
        if eff.period is None:
            continue
        cutoffs[ds_id] = eff.period.cutoff(now)
        try:
            plan = _plan(ws, store, ds_id, cutoffs[ds_id])
            if plan.lost_records:
                lost.add(ds_id)
            _report(result, plan)
            if apply:
                _withdraw(ws, result, {ds_id} & lost, apply=True)
                _execute(ws, store, plan)
        except (OSError, pa.ArrowException, SeamlineError) as exc:
            result.errors[ds_id] = f"{type(exc).__name__}: {exc}"
    if not apply:
        _withdraw(ws, result, lost, apply=False)
    _unmap(ws, result, apply=apply)
    _worklist(store, result, cutoffs, lost, apply=apply)
    _exports(ws, result, cutoffs, apply=apply)
    period = audit_period(ws)
    if period is not None:
        result.audit_period = str(period)
        result.audit_past = store.audit_events_before(period.cutoff(now))
        result.audit_total = store.audit_event_count()
    return result


# --- one dataset -------------------------------------------------------------------------


def _plan(ws: Workspace, store: Store, ds_id: str, cutoff: datetime) -> _Plan:
    all_ = store.deliveries(ds_id)
    expired = [d for d in all_ if d.status != "running" and _aware(d.started_at) < cutoff]
    plan = _Plan(ds_id, cutoff, expired, all_[-1].id if all_ else None)
    if not expired:
        return plan
    data = ws.data_dir
    state = state_path(data, ds_id)
    harmonized = data / "harmonized" / f"{ds_id}.parquet"
    in_state = [d for d in all_ if d.in_state]
    gone = {d.id for d in expired}
    if in_state and all(d.mode == "snapshot" for d in in_state):
        if any(d.id in gone for d in in_state) and state.is_file():
            plan.drop_state = True
            plan.state_rows = _num_rows(ws.parquet, state)
            if ws.parquet.exists(harmonized):
                plan.drop_harmonized = True
                plan.harmonized_rows = _num_rows(ws.parquet, harmonized)
    else:
        plan.ranges = sorted(
            (d.first_record_no, d.first_record_no + d.read)
            for d in expired
            if d.mode == "append" and d.read
        )
        plan.state_rows = _count_in(ws.parquet, state, plan.ranges)
        plan.harmonized_rows = _count_in(ws.parquet, harmonized, plan.ranges)
        plan.all_gone = plan.state_rows > 0 and plan.state_rows == _num_rows(ws.parquet, state)
    for d in expired:
        for p in (d.path, str(delivery_file(data, ds_id, d.id))):
            if p and Path(p).is_file() and Path(p) not in plan.files:
                plan.files.append(Path(p))
        for p in (d.quarantine_path, str(delivery_quarantine(data, ds_id, d.id))):
            if p and Path(p).is_file() and Path(p) not in plan.quarantine:
                plan.quarantine.append(Path(p))
    return plan


def _report(result: Sweep, plan: _Plan) -> None:
    ds = plan.dataset
    result.add(ds, "deliveries", len(plan.expired), [f"delivery {d.id}" for d in plan.expired])
    result.add(ds, "delivery files", len(plan.files), [str(p) for p in plan.files])
    result.add(ds, "quarantine files", len(plan.quarantine), [str(p) for p in plan.quarantine])
    result.add(ds, "landed rows", plan.state_rows)
    result.add(ds, "harmonized rows", plan.harmonized_rows)
    if plan.drop_state or plan.all_gone:
        result.emptied.append(ds)


def _execute(ws: Workspace, store: Store, plan: _Plan) -> None:
    """Delete in an order a crash can resume from: derived data first, store rows last."""
    if not plan.expired:
        return
    data = ws.data_dir
    state = state_path(data, plan.dataset)
    harmonized = data / "harmonized" / f"{plan.dataset}.parquet"
    if plan.drop_harmonized:
        remove(harmonized)  # a file, or a directory of part files (Spark's)
    elif plan.harmonized_rows:
        _filter(ws.parquet, harmonized, plan.ranges)
    if plan.drop_state:
        state.unlink(missing_ok=True)
    elif plan.state_rows:
        _filter(ws.parquet, state, plan.ranges)
    for p in [*plan.files, *plan.quarantine]:
        p.unlink(missing_ok=True)
    ids = {d.id for d in plan.expired}
    retired = {plan.newest_id} & ids if plan.newest_id is not None else set()
    store.forget_deliveries(ids - retired, retired)


def _num_rows(files: ParquetFiles, path: Path) -> int:
    return files.num_rows(path) if files.exists(path) else 0


def _mask(record_nos: pa.Array[Any] | pa.ChunkedArray[Any], ranges: list[tuple[int, int]]) -> Any:
    """True where a record number falls in one of the (sorted, disjoint) ranges."""
    rn = np.asarray(record_nos.to_numpy(zero_copy_only=False), dtype=np.int64)
    if not ranges:
        return np.zeros(len(rn), dtype=bool)
    starts = np.array([a for a, _ in ranges], dtype=np.int64)
    ends = np.array([b for _, b in ranges], dtype=np.int64)
    at = np.searchsorted(starts, rn, side="right") - 1
    ok = at >= 0
    hit = np.zeros(len(rn), dtype=bool)
    hit[ok] = rn[ok] < ends[at[ok]]
    return hit


def _count_in(files: ParquetFiles, path: Path, ranges: list[tuple[int, int]]) -> int:
    if not ranges or not files.exists(path):
        return 0
    if RECORD_NO not in files.read_schema(path).names:
        return 0
    column = files.read_table(path, columns=[RECORD_NO]).column(RECORD_NO)
    return int(_mask(column, ranges).sum())


def _filter(files: ParquetFiles, path: Path, ranges: list[tuple[int, int]]) -> None:
    """Rewrite ``path`` without the rows whose ``_record_no`` is in ``ranges``, streaming.

    ``path`` may be a file or a directory of part files (harmonize's output on Spark); the
    rows are read through the door in order and written back as one file in the
    workspace's encryption, which replaces the directory (every reader takes either)."""
    schema = files.read_schema(path)
    partial = path.with_name(path.name + ".partial")
    with files.writer(partial, schema, compression="zstd") as writer:
        for batch in files.iter_batches(path):
            keep = ~_mask(batch.column(RECORD_NO), ranges)
            writer.write_batch(batch.filter(pa.array(keep)))
    replace(partial, path)


# --- what depends on the records -------------------------------------------------------


def _withdraw(ws: Workspace, result: Sweep, lost: set[str], *, apply: bool) -> None:
    """Withdraw the golden records of every reconcile spec linking a dataset in ``lost``."""
    if not lost:
        return
    for spec in load_reconcile_specs(Path(ws.root)):
        if spec.id in result.withdrawn or not lost & set(entity_datasets(ws, spec)):
            continue
        golden = ws.data_dir / "reference" / f"{spec.id}.parquet"
        if not golden.is_file():
            continue
        result.withdrawn.append(spec.id)
        # The records the golden ones were made from go with them (they hold the values).
        records = records_path(ws.data_dir / "reference", spec.id)
        paths = [str(golden), *([str(records)] if records.is_file() else [])]
        result.add(f"reconcile:{spec.id}", "reference rows", _num_rows(ws.parquet, golden), paths)
        if apply:
            golden.unlink(missing_ok=True)
            records.unlink(missing_ok=True)


def _unmap(ws: Workspace, result: Sweep, *, apply: bool) -> None:
    """A withdrawn spec none of whose datasets keeps a record is not rebuilt: its rows of
    the record -> entity mapping (record keys) go too. Otherwise reconcile rewrites them."""
    path = ws.data_dir / "reference" / MAP_FILE
    if not result.withdrawn or not path.is_file():
        return
    specs = {s.id: s for s in load_reconcile_specs(Path(ws.root))}
    mapping = ws.parquet.read_table(path, columns=["spec"]).column("spec").to_pylist()
    for spec_id in result.withdrawn:
        datasets = entity_datasets(ws, specs[spec_id])
        if any(
            d not in result.emptied and _num_rows(ws.parquet, state_path(ws.data_dir, d))
            for d in datasets
        ):
            continue
        n = sum(1 for s in mapping if s == spec_id)
        result.add(f"reconcile:{spec_id}", "entity keys", n, [str(path)] if n else [])
        if apply and n:
            write_mapping(ws.parquet, path, spec_id, [], [])


def _worklist(
    store: Store, result: Sweep, cutoffs: dict[str, datetime], lost: set[str], *, apply: bool
) -> None:
    """Worklist rows naming a dataset, from a run older than its period or made while
    the dataset held records now removed."""
    if not cutoffs:
        return
    doomed: dict[str, set[int]] = {}
    # Without lost records only rows of runs older than some period can go.
    before = None if lost else max(cutoffs.values())
    for row in store.discrepancy_ages(before):
        for ds in sorted(row.datasets):
            if ds in lost or (ds in cutoffs and row.run_started < cutoffs[ds]):
                doomed.setdefault(ds, set()).add(row.id)
                break
    for ds, ids in sorted(doomed.items()):
        result.add(ds, "worklist items", len(ids))
    if apply and doomed:
        store.delete_discrepancies(set().union(*doomed.values()))


def _exports(ws: Workspace, result: Sweep, cutoffs: dict[str, datetime], *, apply: bool) -> None:
    """Files under ``reports/`` last written before the latest cutoff (the shortest period)."""
    folder = ws.data_dir / "reports"
    if not cutoffs or not folder.is_dir():
        return
    cutoff = max(cutoffs.values()).timestamp()
    old = sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime < cutoff)
    result.add(EVERYWHERE, "exported files", len(old), [str(p) for p in old])
    if apply:
        for p in old:
            p.unlink(missing_ok=True)
