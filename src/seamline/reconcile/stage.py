"""The reconcile stage of ``seamline run`` (add it after harmonize in ``default_stages``)."""

from __future__ import annotations

from seamline.errors import SeamlineError
from seamline.reconcile.report import write_report
from seamline.reconcile.run import ReconcileResult, reconcile
from seamline.stagebase import RunContext, StageResult


class ReconcileStage:
    """Link, compare and publish every reconcile spec's entity."""

    name = "reconcile"
    on_spark = (
        "reconcile ran its probabilistic linkage (Splink's Spark backend) and its golden "
        "records and discrepancies on {where}; reading the harmonized records, clustering "
        "the links, entity ids, the reference files and the store's rows ran in this process"
    )
    """Where the stage runs on a workspace with ``engine: spark``, said in the run."""

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        run_id = store.start_run("reconcile", workspace=ws.name, parent_id=ctx.run_id)
        task = ctx.reporter.task("reconcile")
        try:
            done = reconcile(ws, store, run_id, exclude=set(ctx.failed))
        except SeamlineError as exc:
            task.done()
            store.finish_run(run_id, "failed", message=str(exc))
            result.status = "failed"
            result.messages.append(str(exc))
            return result
        task.done()
        result.counts = done.counts()
        result.messages.extend(_notes(ctx, done))
        store.finish_run(
            run_id, "ok", counts=result.counts, message="; ".join(result.messages) or None
        )
        for s in done.specs:
            detail: dict[str, object] = {
                "spec": s.spec,
                "records": s.records,
                "entities": s.entities,
                "links": ", ".join(f"{k}={v}" for k, v in s.links.items() if v),
                "review links": s.review_links,
            }
            if s.metrics:
                links = s.metrics["links"]
                detail["F1"] = links["f1"]
                detail["precision"] = links["precision"]
                detail["recall"] = links["recall"]
                detail.update(_golden_detail(s.metrics.get("golden_outcome") or {}))
            result.details.append(detail)
            result.reports[f"{s.spec} golden records"] = str(s.golden)
        result.reports["reconcile report"] = str(
            write_report(ws.data_dir / "reports", ws.name, done)
        )
        return result


def _notes(ctx: RunContext, done: ReconcileResult) -> list[str]:
    """What a run restricted to some datasets reused or left out."""
    notes = list(done.skipped)
    chosen = set(ctx.selected()) if ctx.datasets else None
    for s in done.specs:
        notes.extend(f"{s.spec}: {note}" for note in s.notes)
        earlier = [d for d in s.datasets if chosen is not None and d not in chosen]
        if earlier:
            notes.append(f"{s.spec}: used earlier runs' harmonized data of {', '.join(earlier)}")
        if s.unharmonized:
            notes.append(
                f"{s.spec}: left out {', '.join(s.unharmonized)} (never harmonized; "
                "run `seamline run` without --dataset to include them)"
            )
    return notes


def _golden_detail(outcome: dict[str, dict[str, int]]) -> dict[str, object]:
    """The goal's two figures: the lowest share right or flagged, and the values wrong
    with nothing telling a steward (summed over the attributes)."""
    shares = {
        a: (c["right"] + c["flagged"]) / c["scored"] for a, c in outcome.items() if c["scored"]
    }
    if not shares:
        return {}
    lowest = min(shares, key=lambda a: (shares[a], a))
    return {
        "golden right or flagged (lowest)": f"{shares[lowest]:.2%} {lowest}",
        "golden silently wrong": sum(c["silently_wrong"] for c in outcome.values()),
    }
