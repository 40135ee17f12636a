"""The derive stage of ``seamline run`` and ``seamline derive``: after reconcile, before check.

Derived datasets are computed in lineage order (a derived dataset after those it reads).
One that fails (its query, or a missing input) is reported with the reason and the run
goes on with the others; those that read it are not computed in this run, so nothing is
built on a stale or missing input. Each is a child run in the store with its row count.
"""

from __future__ import annotations

from collections.abc import Sequence

from seamline.derive.run import derive_one
from seamline.errors import SeamlineError, UsageError, did_you_mean
from seamline.stagebase import RunContext, StageResult
from seamline.workspace.derived import derived_order, lineage
from seamline.workspace.loader import Workspace


class DeriveStage:
    """Compute ``only`` (all derived datasets when None) into ``derived/``."""

    name = "derive"
    on_spark = (
        "derive ran its queries on {where}; the results were collected here and written "
        "to the data folder"
    )

    def __init__(self, only: Sequence[str] | None = None) -> None:
        self.only = list(only) if only else None

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        chosen = selected(ws, self.only, ctx.datasets)
        failed: dict[str, str] = {}
        for did in (d for d in derived_order(ws) if d in chosen):
            run_id = store.start_run("derive", workspace=ws.name, dataset=did, parent_id=ctx.run_id)
            blocked = [t for t in lineage(ws, did) if t in failed or t in ctx.failed]
            try:
                if blocked:
                    raise SeamlineError(
                        f"not computed: its input {', '.join(blocked)} failed earlier in this run"
                    )
                done = derive_one(ws, did)
            except SeamlineError as exc:
                store.finish_run(run_id, "failed", message=str(exc))
                failed[did] = str(exc)
                result.messages.append(f"{did}: {exc}")
                result.details.append({"derived": did, "error": str(exc)})
                continue
            store.finish_run(run_id, "ok", counts={"rows": done.rows, "columns": len(done.columns)})
            result.details.append(
                {
                    "derived": did,
                    "rows": done.rows,
                    "reads": ", ".join(i.table for i in done.inputs),
                    "seconds": round(done.seconds, 3),
                    "path": str(done.path),
                }
            )
            result.counts["rows"] = result.counts.get("rows", 0) + done.rows
            result.counts["derived"] = result.counts.get("derived", 0) + 1
        if failed:
            result.counts["failed"] = len(failed)
            result.status = "failed" if len(failed) == len(chosen) else "partial"
        if chosen:
            result.reports["derived"] = str(ws.data_dir / "derived")
        return result


def selected(ws: Workspace, only: Sequence[str] | None, datasets: Sequence[str] | None) -> set[str]:
    """The derived datasets to compute: ``only`` (each must exist), else those reading
    (directly or through other derived ones) a selected dataset, else all of them."""
    if only:
        for name in only:
            if name not in ws.derived:
                guess = did_you_mean(name, list(ws.derived))
                raise UsageError(
                    f"no derived dataset {name!r} in the workspace"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    allowed=", ".join(sorted(ws.derived)) or "none: add a file under derived/",
                )
        return set(only)
    if not datasets:
        return set(ws.derived)
    chosen: set[str] = set()
    for did in derived_order(ws):
        reads = set(lineage(ws, did))
        if reads & set(datasets) or reads & chosen:
            chosen.add(did)
    return chosen
