"""``seamline run``: the stages that exist, in order, each recorded as a run in the store.

Stages plug in through :func:`default_stages`; later stages (harmonize, reconcile,
check) add themselves there. A stage returns a :class:`StageResult`; the pipeline
records it, stops at a failed stage (except for stages with ``runs_after_failure``,
which report on it), goes on after a *partial* one (some datasets
failed; later stages skip them) and turns the outcome into an exit code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from seamline.errors import ExitCode, SeamlineError
from seamline.progress import NullReporter, Reporter
from seamline.sources.base import ReadContext
from seamline.sources.deliveries import Delivered, deliver, source_notes
from seamline.store import Store
from seamline.workspace.engines import spark_master
from seamline.workspace.loader import Workspace

Status = Literal["ok", "partial", "failed", "checks_failed"]


@dataclass
class StageResult:
    stage: str
    status: Status = "ok"
    counts: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    """Files the stage wrote for people to read (``html``, ``json``...)."""
    seconds: float = 0.0
    where: str = ""
    """Where the stage ran, on a workspace whose engine is not the embedded one."""


@dataclass
class RunContext:
    workspace: Workspace
    store: Store
    run_id: int
    reporter: Reporter = field(default_factory=NullReporter)
    datasets: Sequence[str] | None = None
    failed: set[str] = field(default_factory=set)
    """Datasets an earlier stage could not process; later stages leave them out."""
    nodata: set[str] = field(default_factory=set)
    """Datasets with nothing landed yet (only empty deliveries); later stages leave them out."""
    unchanged: set[str] = field(default_factory=set)
    """Datasets whose current state this run did not change (no new data)."""

    def usable(self) -> list[str]:
        """The selected datasets no earlier stage failed on and that have data."""
        return [d for d in self.selected() if d not in self.failed and d not in self.nodata]

    def selected(self) -> list[str]:
        if self.datasets:
            for d in self.datasets:
                self.workspace.dataset(d)  # raises with did-you-mean
            return list(self.datasets)
        return sorted(self.workspace.datasets)


class Stage(Protocol):
    name: str

    def run(self, ctx: RunContext) -> StageResult: ...


class ConnectStage:
    """Land a delivery of every dataset's source and bring its current state up to date."""

    name = "connect"
    on_spark = "connect read the sources and wrote the landings in this process, through this machine's file system, not on Spark"
    """Where the stage runs on a workspace with ``engine: spark``, said in the run."""

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        for dataset_id in ctx.selected():
            spec = ws.datasets[dataset_id]
            run_id = store.start_run(
                "connect", workspace=ws.name, dataset=dataset_id, parent_id=ctx.run_id
            )
            task = ctx.reporter.task(f"connect {dataset_id}")
            context = ReadContext(
                base_dir=ws.root, dataset=dataset_id, state=store.get_state(dataset_id)
            )
            try:
                done = deliver(
                    store,
                    dataset_id,
                    ws.sources[dataset_id],
                    ws.data_dir,
                    context,
                    files=ws.parquet,
                    run_id=run_id,
                    max_quarantine_share=ws.project.quarantine_max_share,
                    progress=task.advance,
                )
            except SeamlineError as exc:
                task.done()
                store.finish_run(run_id, "failed", message=str(exc))
                ctx.failed.add(dataset_id)
                result.messages.append(f"{dataset_id}: {exc}")
                result.details.append({"dataset": dataset_id, "error": str(exc)})
                continue
            task.done()
            landed = done.landing
            _record(store, run_id, ws, spec.id, done)
            result.details.append(_detail(done))
            for k, v in landed.counts().items():
                result.counts[k] = result.counts.get(k, 0) + v
            if not done.state_changed:
                ctx.unchanged.add(dataset_id)
            if done.state_rows is None:
                ctx.nodata.add(dataset_id)
            if not landed.ok:
                ctx.failed.add(dataset_id)
                kept = " (its good rows are kept in the state)" if done.state_changed else ""
                result.messages.append(f"{dataset_id}: {landed.failed}{kept}")
            elif done.status == "empty":
                result.messages.append(f"{dataset_id}: {_no_new_data(done)}")
        result.reports["landing zone"] = str(ws.data_dir / "landing")
        if result.counts.get("quarantined"):
            result.reports["quarantine"] = str(ws.data_dir / "quarantine")
        return settle(result, ctx)


def _no_new_data(done: Delivered) -> str:
    if done.state_rows is None:
        return "no data yet: the source delivered nothing, and nothing has landed before"
    return (
        f"no new data: the source delivered nothing; the current state "
        f"({done.state_rows:,} rows) is kept"
    )


def settle(result: StageResult, ctx: RunContext) -> StageResult:
    """``failed`` when no selected dataset is left, ``partial`` when some failed."""
    if ctx.failed:
        result.status = "failed" if not ctx.usable() else "partial"
    return result


def _record(store: Store, run_id: int, ws: Workspace, dataset_id: str, done: Delivered) -> None:
    spec, landed = ws.datasets[dataset_id], done.landing
    store.record_dataset(
        dataset_id,
        title=spec.title,
        system=spec.system,
        owner=spec.owner,
        steward=spec.steward,
        entity=spec.entity,
        run_id=run_id,
    )
    store.record_landing(
        run_id,
        dataset_id,
        read=landed.read,
        landed=landed.landed,
        quarantined=landed.quarantined,
        path=str(landed.landing_path) if landed.landing_path else None,
    )
    if landed.read:
        store.record_observed_schema(run_id, dataset_id, landed.schema)
    if landed.committed:
        store.set_state(dataset_id, ws.sources[dataset_id].kind, landed.state)
    store.finish_run(
        run_id,
        "ok" if landed.ok else "failed",
        counts={**landed.counts(), "delivery": done.delivery_id},
        message=landed.failed,
    )


def _detail(done: Delivered) -> dict[str, Any]:
    landed = done.landing
    return {
        "dataset": landed.dataset,
        "delivery": done.delivery_id,
        **landed.counts(),
        "state": done.mode,
        "state rows": done.state_rows,
        "seconds": round(landed.seconds, 3),
        "landing": str(landed.landing_path) if landed.landing_path else None,
        "quarantine": str(landed.quarantine_path) if landed.quarantine_path else None,
        "quarantine_reasons": landed.reasons,
        "source": source_notes(landed.metadata) or None,
        "error": landed.failed,
    }


def default_stages() -> list[Stage]:
    """The stages of ``seamline run``, in order."""
    from seamline.derive.stage import DeriveStage
    from seamline.harmonize.stage import HarmonizeStage
    from seamline.inventory.stage import InventoryStage
    from seamline.reconcile.stage import ReconcileStage
    from seamline.retention.stage import RetentionStage
    from seamline.seams.stage import CheckStage

    return [
        ConnectStage(),
        RetentionStage(),
        InventoryStage(),
        HarmonizeStage(),
        ReconcileStage(),
        DeriveStage(),
        CheckStage(),
    ]


@dataclass
class RunSummary:
    run_id: int
    stages: list[StageResult]
    report: Path
    seconds: float

    @property
    def exit_code(self) -> ExitCode:
        if any(s.status in ("failed", "partial") for s in self.stages):
            return ExitCode.RUNTIME
        if any(s.status == "checks_failed" for s in self.stages):
            return ExitCode.CHECKS_FAILED
        return ExitCode.OK


def run_pipeline(
    ws: Workspace,
    store: Store,
    *,
    reporter: Reporter | None = None,
    datasets: Sequence[str] | None = None,
    stages: Sequence[Stage] | None = None,
) -> RunSummary:
    """Run the stages in order; a failed stage stops the run. Returns the summary."""
    started = time.perf_counter()
    _ = ws.parquet  # the data key, resolved once: a missing or bad key stops the run here
    aborted = store.abort_dead_runs()
    if aborted:
        import logging

        logging.getLogger(__name__).warning(
            "marked %d run(s) left running by a process that ended as aborted: %s",
            len(aborted),
            ", ".join(str(r) for r in aborted),
        )
    run_id = store.start_run("run", workspace=ws.name)
    ctx = RunContext(ws, store, run_id, reporter or NullReporter(), datasets)
    results: list[StageResult] = []
    status: Status = "ok"
    stopped = False
    try:
        for stage in stages if stages is not None else default_stages():
            # After a failed stage only stages that report on it run (the check stage:
            # a dropped column must reach the seam's owner in the same run).
            if stopped and not getattr(stage, "runs_after_failure", False):
                continue
            t0 = time.perf_counter()
            res = stage.run(ctx)
            res.seconds = time.perf_counter() - t0
            res.where = placement(stage, ws)
            results.append(res)
            if res.status == "failed":
                status = "failed"
                stopped = True
                continue
            if res.status == "partial":
                status = "failed"
            if res.status == "checks_failed" and status == "ok":
                status = "checks_failed"
    except BaseException as exc:
        store.finish_run(run_id, "failed", message=f"{type(exc).__name__}: {exc}")
        _lineage(ws, store, run_id)
        raise
    summary = RunSummary(
        run_id, results, _write_report(ws, run_id, results), time.perf_counter() - started
    )
    totals: dict[str, int] = {}
    for r in results:
        for k, v in r.counts.items():
            totals[f"{r.stage}.{k}"] = v
    store.finish_run(
        run_id,
        status,
        counts=totals,
        message="; ".join(m for r in results for m in r.messages) or None,
    )
    _lineage(ws, store, run_id)
    return summary


def placement(stage: Stage, ws: Workspace) -> str:
    """Where ``stage`` ran, in one sentence, when the workspace's engine is Spark ('' on
    DuckDB): a stage not ported to Spark says so rather than ignore the setting."""
    if ws.project.engine != "spark":
        return ""
    note = getattr(stage, "on_spark", None) or (
        f"{stage.name} ran in this process on the embedded engine, not on Spark"
    )
    return str(note).format(where=f"Spark ({spark_master(ws.project)})") + "."


def _lineage(ws: Workspace, store: Store, run_id: int) -> None:
    """OpenLineage events of the run (never fails the run: a transport error is logged)."""
    import logging

    from seamline.seams.lineage import emit_run_events

    result = emit_run_events(ws, store, run_id)
    if result.error:
        logging.getLogger(__name__).warning("lineage events not delivered: %s", result.error)


def _write_report(ws: Workspace, run_id: int, results: list[StageResult]) -> Path:
    reports = ws.data_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / "run-latest.json"
    payload = {"workspace": ws.name, "run_id": run_id, "stages": [asdict(r) for r in results]}
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path
