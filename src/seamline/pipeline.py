"""``seamline run``: the stages that exist, in order, each recorded as a run in the store.

Stages plug in through :func:`default_stages`; later stages (harmonize, reconcile,
check) add themselves there. A stage returns a :class:`StageResult`; the pipeline
records it, stops at a failed stage (except for stages with ``runs_after_failure``,
which report on it), goes on after a *partial* one (some datasets
failed; later stages skip them) and turns the outcome into an exit code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from seamline.errors import ExitCode
from seamline.progress import NullReporter, Reporter
from seamline.seams.lineage import emit_run_events
from seamline.sources.stage import ConnectStage
from seamline.stagebase import RunContext, Stage, StageResult, Status, settle
from seamline.store import Store
from seamline.workspace.engines import spark_master
from seamline.workspace.loader import Workspace

__all__ = [
    "ConnectStage",
    "RunContext",
    "RunSummary",
    "Stage",
    "StageResult",
    "Status",
    "default_stages",
    "run_pipeline",
    "settle",
]


def default_stages() -> list[Stage]:
    """The stages of ``seamline run``, in order."""
    # Imported here, not at the top, so that a command running one stage (`seamline
    # check`) does not import every stage's dependencies. No cycle: no stage imports this.
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
            res.where = res.where or placement(stage, ws)
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
