"""Deliveries: every run's landing of a dataset is kept, and the current state is made from them.

Layout under the data folder::

    landing/<dataset>.parquet              the current state: what every later stage reads
    landing/<dataset>/<id>.parquet         the rows landed by delivery <id> (six digits)
    quarantine/<dataset>/<id>.parquet      the records delivery <id> quarantined

A source's ``state:`` says how the current state is made: ``snapshot`` (full extracts)
is the latest good delivery, linked (not copied) to the state file; ``append`` (queues,
incremental SQL) is every delivery, de-duplicated by the source's ``key`` (the latest
delivery's record wins). Without a declared key, the reader's ``record_key`` is the key
(queues: ``_message_id``, so a message delivered again is kept once); without either,
nothing is de-duplicated. Rows whose key is null are all kept. An append delivery's
``_record_no`` continues where the previous one stopped, so row ids stay unique across
deliveries and never change once landed. An empty delivery (nothing read) and a failed
one never replace the state; a failed *append* delivery, over the quarantine threshold,
still adds its good rows (its messages were acknowledged and must not be lost).

The state of an append source is kept as a file and merged with each new delivery, so
retention (``keep:``) may delete old delivery files: the state still holds their rows.
Every stage reads the state through :func:`current_state`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from seamline.crypto.parquet import ParquetFiles
from seamline.engine import EngineError
from seamline.errors import SeamlineError, SourceError
from seamline.plugins import Registry, default_registry
from seamline.sources.base import (
    RECORD_NO,
    Batch,
    ReadContext,
    Reader,
    SourceOptions,
    StateMode,
)
from seamline.sources.landing import LandingResult, Progress, Target, land
from seamline.sources.listing import delivery_rows as delivery_rows
from seamline.sources.listing import source_notes as source_notes
from seamline.store import DeliveryInfo, Store
from seamline.workspace.datafolder import current_state as current_state
from seamline.workspace.datafolder import delivery_file as delivery_file
from seamline.workspace.datafolder import delivery_quarantine as delivery_quarantine
from seamline.workspace.datafolder import state_path as state_path

MERGE_SOURCE = "state_inputs"
"""The engine view over the files a state is merged from."""


@dataclass
class Delivered:
    """What :func:`deliver` did: the landing, the delivery's id and status, the state."""

    landing: LandingResult
    delivery_id: int
    mode: StateMode
    status: str
    """``ok``, ``empty`` or ``failed`` (over the quarantine threshold)."""
    state_changed: bool
    state_rows: int | None
    """Rows in the current state after this delivery (None: nothing has landed yet)."""
    pruned: list[int]


def deliver(
    store: Store,
    dataset: str,
    options: SourceOptions,
    data_dir: Path,
    context: ReadContext,
    *,
    files: ParquetFiles,
    run_id: int | None,
    max_quarantine_share: float = 1.0,
    registry: Registry | None = None,
    progress: Progress | None = None,
) -> Delivered:
    """Land one delivery of a dataset and bring its current state up to date.

    Raises SourceError when the source cannot be read (the delivery is recorded as
    failed, the state is left as it was, nothing is acknowledged).
    """
    reader_cls = (registry or default_registry()).connector(options.kind)
    mode = reader_cls.state_mode(options)
    key = state_key(reader_cls, options)
    _clear_aborted(store, files, dataset, data_dir, recover=mode == "append" and bool(key))
    first = 1
    if mode == "append":
        first = max(
            store.next_record_no(dataset), _state_top(files, state_path(data_dir, dataset)) + 1
        )
    did = store.start_delivery(dataset, run_id=run_id, mode=mode, first_record_no=first)
    target = Target(
        delivery_file(data_dir, dataset, did), delivery_quarantine(data_dir, dataset, did), first
    )
    try:
        landed = land(
            dataset,
            options,
            data_dir,
            context,
            files=files,
            max_quarantine_share=max_quarantine_share,
            registry=registry,
            progress=progress,
            target=target,
            key_columns=key if mode == "append" else (),
            commit_failed=mode == "append",
        )
    except SeamlineError as exc:
        store.finish_delivery(did, "failed", message=str(exc))
        raise
    except BaseException:
        store.finish_delivery(did, "aborted", message="the run was interrupted")
        raise
    status = "empty" if landed.read == 0 else ("ok" if landed.ok else "failed")
    if status == "empty":
        target.landing.unlink(missing_ok=True)
        landed.landing_path = None

    def finish(message: str | None) -> None:
        store.finish_delivery(
            did,
            status,
            read=landed.read,
            landed=landed.landed,
            quarantined=landed.quarantined,
            path=str(landed.landing_path) if landed.landing_path else None,
            quarantine_path=str(landed.quarantine_path) if landed.quarantine_path else None,
            message=message,
            metadata=landed.metadata,
        )

    finish(landed.failed)
    if status == "empty":
        store.mark_pruned({did})
    try:
        changed = update_state(store, files, dataset, data_dir, mode, key)
    except SourceError as exc:
        # Landed and committed, but not merged: the delivery stays pending (kept, not in
        # the state) and the next run merges it again; this run fails with the reason.
        changed, landed.failed = False, str(exc)
        finish(landed.failed)
    pruned = prune(store, dataset, options)
    state = current_state(data_dir, dataset)
    rows = files.num_rows(state) if state is not None else None
    return Delivered(landed, did, mode, status, changed, rows, pruned)


def _recover(
    store: Store, files: ParquetFiles, dataset: str, data_dir: Path, d: DeliveryInfo
) -> bool:
    """Keep an aborted delivery whose files were complete; False if there is nothing to keep."""
    landing = delivery_file(data_dir, dataset, d.id)
    if not landing.is_file():
        return False
    quarantine = delivery_quarantine(data_dir, dataset, d.id)
    landed = files.num_rows(landing)
    bad = files.num_rows(quarantine) if quarantine.is_file() else 0
    if landed + bad == 0:
        return False
    store.finish_delivery(
        d.id,
        "ok",
        read=landed + bad,
        landed=landed,
        quarantined=bad,
        path=str(landing),
        quarantine_path=str(quarantine) if bad else None,
        message="the run was interrupted after this delivery had landed; kept (the key "
        "removes what the source delivers again)",
    )
    return True


def state_key(reader_cls: type[Reader[Any]], options: SourceOptions) -> list[str]:
    """The columns an ``append`` state keeps one row per: the declared ``key:``, else the
    reader's own ``record_key`` (``_message_id`` for queues), else none."""
    if options.key:
        return list(options.key)
    return [reader_cls.record_key] if reader_cls.record_key else []


def _clear_aborted(
    store: Store, files: ParquetFiles, dataset: str, data_dir: Path, *, recover: bool
) -> None:
    """Delete what aborted deliveries (a killed run) left half-written.

    With ``recover`` (an append source with a key), an aborted delivery whose landing file
    was complete is kept instead: the run may have died after acknowledging its messages
    (they would be lost otherwise) or before (the source delivers them again, and the key
    keeps each record once).
    """
    for d in store.deliveries(dataset):
        if (
            d.status == "aborted"
            and d.kept
            and recover
            and _recover(store, files, dataset, data_dir, d)
        ):
            continue
        if d.status == "aborted" and d.kept:
            for final in (
                delivery_file(data_dir, dataset, d.id),
                delivery_quarantine(data_dir, dataset, d.id),
            ):
                final.with_name(final.name + ".partial").unlink(missing_ok=True)
            store.mark_pruned({d.id})


def update_state(
    store: Store, files: ParquetFiles, dataset: str, data_dir: Path, mode: StateMode, key: list[str]
) -> bool:
    """Make the current state from the deliveries; True if it changed."""
    all_ = store.deliveries(dataset)
    path = state_path(data_dir, dataset)
    if mode == "snapshot":
        # A delivery with no landed row (all quarantined, under a threshold of 100%) would
        # make a state without the source's columns: it does not replace the state either.
        good = [d for d in all_ if d.status == "ok" and d.kept and d.landed > 0]
        if not good or good[-1].in_state:
            return False
        latest = good[-1]
        _link(delivery_file(data_dir, dataset, latest.id), path)
        store.set_in_state(dataset, {latest.id}, only=True)
        return True
    previous = [path] if path.is_file() and not _was_snapshot_only(all_) else []
    if previous:
        pending = [d for d in all_ if _pending(d)]
    else:  # no state to build on: every append delivery whose file is kept
        pending = [d for d in all_ if _pending(d) or (_rows(d) and d.in_state)]
    if not pending:
        return False
    inputs = [delivery_file(data_dir, dataset, d.id) for d in pending]
    merge(files, previous + inputs, key, path)
    store.set_in_state(dataset, {d.id for d in pending}, only=not previous)
    return True


def _rows(d: DeliveryInfo) -> bool:
    """An append delivery whose good rows belong in the state, with its file on disk."""
    return d.mode == "append" and d.status in ("ok", "failed") and d.kept and d.landed > 0


def _pending(d: DeliveryInfo) -> bool:
    """An append delivery with rows that are not in the state yet."""
    return _rows(d) and not d.in_state


def _was_snapshot_only(all_: list[DeliveryInfo]) -> bool:
    """The state file was made by a snapshot (the source changed to append): start afresh."""
    in_state = [d for d in all_ if d.in_state]
    return bool(in_state) and all(d.mode == "snapshot" for d in in_state)


def merge(files: ParquetFiles, inputs: list[Path], key: list[str], out: Path) -> None:
    """Write the union of ``inputs`` to ``out``; with a key, the latest record per key.

    "Latest" is the highest ``_record_no``: a later delivery's, or the later one within a
    delivery. Records whose key has a null part are never merged with one another.
    """
    query = exp.select(exp.Star()).from_(exp.to_table(MERGE_SOURCE, quoted=True))
    if key:
        cols = [exp.column(k, quoted=True) for k in key]
        window = exp.Window(
            this=exp.RowNumber(),
            partition_by=cols,
            order=exp.Order(expressions=[exp.Ordered(this=exp.column(RECORD_NO), desc=True)]),
        )
        keep: exp.Expr = exp.EQ(this=window, expression=exp.Literal.number(1))
        for c in cols:
            keep = exp.or_(exp.Is(this=c.copy(), expression=exp.Null()), keep)
        query = query.qualify(keep)
    query = query.order_by(exp.column(RECORD_NO))
    partial = out.with_name(out.name + ".partial")
    try:
        with files.engine() as engine:
            files.view(engine, MERGE_SOURCE, inputs)
            files.copy(engine, query, partial)
    except (EngineError, pa.ArrowException) as exc:
        partial.unlink(missing_ok=True)
        first_line = str(exc).strip().splitlines()[0]
        raise SourceError(
            f"the deliveries could not be merged into the current state: {first_line}",
            where=f"landing state {out}",
            hint="A column changed type between deliveries; declare its type in the source "
            "options, or set `state: snapshot` if each delivery is a full extract.",
        ) from exc
    os.replace(partial, out)


def _link(delivery: Path, state: Path) -> None:
    """Make ``state`` the delivery's file: a hard link (no copy), a copy where links fail."""
    partial = state.with_name(state.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        os.link(delivery, partial)
    except OSError:
        import shutil

        shutil.copyfile(delivery, partial)
    os.replace(partial, state)


def _state_top(files: ParquetFiles, path: Path) -> int:
    """The highest ``_record_no`` in a state file (0 if there is none)."""
    if not path.is_file():
        return 0
    table = files.read_table(path, columns=[RECORD_NO])
    column = table.column(RECORD_NO)
    if not len(column):
        return 0
    import pyarrow.compute as pc

    top = pc.max(column).as_py()
    return int(top) if top is not None else 0


def prune(store: Store, dataset: str, options: SourceOptions) -> list[int]:
    """Delete delivery files beyond ``keep:``; never one the current state needs."""
    keep = options.keep
    if keep is None:
        return []
    all_ = store.deliveries(dataset)
    now = datetime.now(UTC)
    newest_first = [d for d in reversed(all_) if d.kept]
    doomed: list[DeliveryInfo] = []
    for n, d in enumerate(newest_first):
        if d.status == "running" or _needed(d):
            continue
        if isinstance(keep, int):
            if n >= keep:
                doomed.append(d)
        else:
            started = d.started_at if d.started_at.tzinfo else d.started_at.replace(tzinfo=UTC)
            if now - started > keep:
                doomed.append(d)
    for d in doomed:
        for p in (d.path, d.quarantine_path):
            if p:
                Path(p).unlink(missing_ok=True)
    store.mark_pruned({d.id for d in doomed})
    return [d.id for d in doomed]


def _needed(d: DeliveryInfo) -> bool:
    """The snapshot in the state, or an append delivery not merged yet."""
    return (d.mode == "snapshot" and d.in_state) or _pending(d)


class StateReader(Reader[SourceOptions]):
    """The current state of a dataset's landing zone as batches (``seamline read --landed``).

    ``context.base_dir`` is the data folder. Not a connector: it reads what landed.
    """

    kind = "landed"
    options_model = SourceOptions

    def __init__(
        self, options: SourceOptions, context: ReadContext, *, files: ParquetFiles
    ) -> None:
        super().__init__(options, context)
        self.files = files

    def batches(self) -> Iterator[Batch]:
        path = current_state(self.context.base_dir, self.context.dataset)
        if path is None:
            raise SourceError(
                f"nothing has landed for {self.context.dataset} yet",
                hint="Run `seamline run` first; `seamline deliveries` lists what was delivered.",
            )
        batches = self.files.open(path).iter_batches(self.context.batch_size)
        yield from (Batch(b) for b in batches)

    def describe(self) -> str:
        return f"the current state of {self.context.dataset}"
