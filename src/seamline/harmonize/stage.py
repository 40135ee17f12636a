"""The harmonize stage of ``seamline run`` and ``seamline harmonize``."""

from __future__ import annotations

from seamline.errors import SeamlineError
from seamline.harmonize.plan import UNMAPPED
from seamline.harmonize.run import HarmonizeResult, harmonize_dataset, landing_path
from seamline.stagebase import RunContext, StageResult, settle
from seamline.store import Store, of_dataset
from seamline.workspace.loader import Workspace


class HarmonizeStage:
    """Compile and run every mapped dataset's plan into ``harmonized/``."""

    name = "harmonize"
    on_spark = "harmonize ran its SQL plan on {where}; steps without SQL (the Arrow pre-pass) ran on the executors; the executors wrote the result to the data folder (a directory of part files per dataset)"
    """Where the stage runs on a workspace with ``engine: spark``, said in the run."""

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        for did in ctx.usable():
            if not any(f.attribute for f in ws.datasets[did].mappings()):
                continue
            run_id = store.start_run(
                "harmonize", workspace=ws.name, dataset=did, parent_id=ctx.run_id
            )
            task = ctx.reporter.task(f"harmonize {did}", total=_landed_rows(ws, did))
            try:
                done = harmonize_dataset(ws, did, progress=task.advance)
            except SeamlineError as exc:
                task.done()
                store.finish_run(run_id, "failed", message=str(exc))
                ctx.failed.add(did)
                result.messages.append(f"{did}: {exc}")
                continue
            task.done()
            _record(store, run_id, ws, done)
            result.details.append(
                {
                    "dataset": did,
                    "rows": done.rows,
                    "fields": len(done.plan.fields),
                    "flagged values": done.flagged_values,
                    "flags": ", ".join(f"{f.attribute}:{f.flag}={f.count}" for f in done.flags[:4])
                    + (" ..." if len(done.flags) > 4 else ""),
                }
            )
            result.counts["rows"] = result.counts.get("rows", 0) + done.rows
            result.counts["flagged_values"] = (
                result.counts.get("flagged_values", 0) + done.flagged_values
            )
        result.reports["harmonized"] = str(ws.data_dir / "harmonized")
        return settle(result, ctx)


def _landed_rows(ws: Workspace, dataset_id: str) -> int | None:
    """The landing zone's row count from its Parquet footer (None if nothing landed)."""
    path = landing_path(ws, dataset_id)
    return ws.parquet.num_rows(path) if path.is_file() else None


def _record(store: Store, run_id: int, ws: Workspace, done: HarmonizeResult) -> None:
    spec = ws.datasets[done.dataset]
    mapped = {m.attribute: m for m in spec.mappings() if m.attribute}
    split = {f.column for f in spec.fields if f.split is not None}
    for f in done.flags:
        share = f.count / done.rows if done.rows else 0.0
        evidence: dict[str, object] = {
            "count": f.count,
            "share": round(share, 6),
            "examples": f.positions,
        }
        message = f"{done.dataset}.{f.column} ({f.attribute}): {f.count:,} values flagged {f.flag} ({share:.1%})"
        if f.flag == UNMAPPED:
            field = mapped.get(f.attribute)
            codelist = field.codelist if field else None
            evidence["values"] = f.values
            evidence["suggested_action"] = (
                f"seamline codes suggest {codelist} {done.dataset}.{f.column}"
            )
            message += "; local codes without a mapping: " + ", ".join(v for v, _ in f.values[:5])
        store.upsert_finding(
            kind=f"harmonize.{f.flag}",
            # a split column feeds several attributes: each has findings of its own
            subject=f"{done.dataset}.{f.column}" + (f":{f.attribute}" if f.column in split else ""),
            message=message,
            severity="warning",
            evidence=evidence,
            owner=spec.steward or spec.owner,
            run_id=run_id,
        )
    # Flags of this dataset that the run no longer sees are resolved.
    store.resolve_findings(run_id, ["harmonize"], of_dataset(done.dataset))
    store.finish_run(
        run_id,
        "ok",
        counts={"rows": done.rows, "flagged_values": done.flagged_values},
    )
