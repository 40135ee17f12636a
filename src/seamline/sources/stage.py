"""The connect stage: land a delivery of every dataset's source, update its current state."""

from __future__ import annotations

from typing import Any

from seamline.errors import SeamlineError
from seamline.sources.base import ReadContext
from seamline.sources.deliveries import Delivered, deliver, source_notes
from seamline.stagebase import RunContext, StageResult, settle
from seamline.store import Store
from seamline.workspace.engines import range_runner
from seamline.workspace.loader import Workspace


class ConnectStage:
    """Land a delivery of every dataset's source and bring its current state up to date."""

    name = "connect"
    on_spark = "connect read the sources in this process, not on Spark (no file was cut into parts for its executors), and wrote the landings here, to the data folder every node mounts"
    """Where the stage runs on a workspace with ``engine: spark``, said in the run when no
    source was read on the executors (the stage says so itself when one was)."""

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        runner = range_runner(ws.project)
        on_executors: dict[str, int] = {}
        for dataset_id in ctx.selected():
            spec = ws.datasets[dataset_id]
            run_id = store.start_run(
                "connect", workspace=ws.name, dataset=dataset_id, parent_id=ctx.run_id
            )
            task = ctx.reporter.task(f"connect {dataset_id}")
            context = ReadContext(
                base_dir=ws.root,
                dataset=dataset_id,
                state=store.get_state(dataset_id),
                ranges=runner,
            )
            tasks_before = runner.tasks_run if runner is not None else 0
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
            detail = _detail(done)
            if runner is not None and runner.tasks_run > tasks_before:
                on_executors[dataset_id] = runner.tasks_run - tasks_before
                detail["read on"] = f"{runner.where}: {on_executors[dataset_id]} parts"
            result.details.append(detail)
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
        if runner is not None and on_executors:
            result.where = _where(runner.where, on_executors)
        result.reports["landing zone"] = str(ws.data_dir / "landing")
        if result.counts.get("quarantined"):
            result.reports["quarantine"] = str(ws.data_dir / "quarantine")
        return settle(result, ctx)


def _where(runner: str, on_executors: dict[str, int]) -> str:
    parts = ", ".join(f"{d} in {n} parts" for d, n in sorted(on_executors.items()))
    return (
        f"connect decoded {parts} on {runner}'s executors; it read the other sources, and "
        "wrote every landing, in this process, to the data folder every node mounts."
    )


def _no_new_data(done: Delivered) -> str:
    if done.state_rows is None:
        return "no data yet: the source delivered nothing, and nothing has landed before"
    return (
        f"no new data: the source delivered nothing; the current state "
        f"({done.state_rows:,} rows) is kept"
    )


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
