"""The retention stage of ``seamline run`` (after connect) and of ``seamline retention apply``.

In ``seamline run`` it deletes only when ``seamline.yaml`` says ``retention: {apply:
true}``; otherwise it reports what it would delete. Its work is a child run of kind
``retention`` whose counts are ``<dataset>.<kind>`` (never values). A dataset whose
expired data could not be deleted is failed for the later stages, so nothing more is
built from it in this run; a sweep that cannot run at all fails the run.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from seamline.errors import SeamlineError
from seamline.retention.policy import parse_now
from seamline.retention.sweep import Sweep, sweep
from seamline.stagebase import RunContext, StageResult, settle


class RetentionStage:
    name = "retention"
    on_spark = "retention ran in this process, through this machine's file system, not on Spark"
    """Where the stage runs on a workspace with ``engine: spark``, said in the run."""

    def __init__(self, now: datetime | None = None, *, apply: bool | None = None) -> None:
        self.now = now
        self.apply = apply
        """None: as ``seamline.yaml``'s ``retention.apply`` says (default false)."""
        self.sweep: Sweep | None = None

    def run(self, ctx: RunContext) -> StageResult:
        ws, store = ctx.workspace, ctx.store
        result = StageResult(self.name)
        apply = ws.project.retention.apply if self.apply is None else self.apply
        run_id = store.start_run(self.name, workspace=ws.name, parent_id=ctx.run_id)
        try:
            done = sweep(ws, store, self.now or parse_now(None), apply=apply)
        except (SeamlineError, OSError, pa.ArrowException) as exc:
            message = f"retention could not run; nothing was deleted after this point: {exc}"
            store.finish_run(run_id, "failed", message=message)
            result.status = "failed"
            result.messages.append(message)
            return result
        self.sweep = done
        for ds, why in done.errors.items():
            ctx.failed.add(ds)
            result.messages.append(
                f"{ds}: its data past the period could not be {'deleted' if apply else 'listed'}"
                f" ({why}). Later stages leave it out of this run; fix the cause and run again."
            )
        if apply:
            ctx.nodata.update(done.emptied)
        result.counts = {k.replace(" ", "_"): v for k, v in done.totals().items()}
        result.details = done.rows()
        result.messages.extend(notes(done))
        counts = {**done.counts(), "applied": int(apply)}
        if done.audit_period:
            counts["audit.past_period_kept"] = done.audit_past
        store.finish_run(
            run_id,
            "failed" if done.errors else "ok",
            counts=counts,
            message="; ".join(result.messages) or None,
        )
        return settle(result, ctx)


def notes(done: Sweep) -> list[str]:
    """What a person should know about a sweep, one sentence or two each."""
    out: list[str] = []
    total = sum(i.count for i in done.items)
    if not total:
        with_period = sum(1 for e in done.periods.values() if e.period)
        out.append(
            f"nothing is past its period at {done.now:%Y-%m-%d %H:%M} UTC "
            f"({with_period} of {len(done.periods)} datasets have a period)."
        )
    if total and not done.applied:
        out.append(
            "dry run: nothing was deleted, so the exchange still serves these records. Set "
            "`retention: {apply: true}` in seamline.yaml, or run `seamline retention apply "
            "--apply`, to delete what is listed."
        )
    for spec in done.withdrawn:
        verb = "were withdrawn" if done.applied else "would be withdrawn"
        out.append(
            f"the golden records of {spec} {verb}: some of their records are past their "
            "period. The reconcile stage rebuilds them from the records that are left."
        )
    for ds in done.emptied:
        verb = "is" if done.applied else "would be"
        out.append(f"{ds}: every record of its current state {verb} past its period.")
    if done.audit_period:
        out.append(
            f"audit log: {done.audit_past:,} of {done.audit_total:,} events are older than its "
            f"period {done.audit_period}; kept (data retention never deletes from the audit log)."
        )
    return out
