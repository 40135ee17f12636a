"""``seamline inventory`` and the inventory stage of ``seamline run``."""

from __future__ import annotations

from seamline.errors import SeamlineError
from seamline.inventory.classify import Classification, classify
from seamline.inventory.governance import Governance, analyse
from seamline.inventory.profiler import DatasetProfile, FieldProfile, profile_parquet
from seamline.inventory.report import build, write
from seamline.stagebase import RunContext, StageResult, settle
from seamline.store import Store, of_dataset
from seamline.workspace.datafolder import state_path
from seamline.workspace.loader import Workspace


def redact(fp: FieldProfile) -> None:
    """Values of a personal field never leave the engine: keep shapes, drop the values."""
    fp.top_values = [(f"<{i + 1}>", n) for i, (_, n) in enumerate(fp.top_values)]
    fp.min = fp.max = None


class InventoryStage:
    """Profile and classify every landed dataset; report governance gaps."""

    name = "inventory"
    on_spark = "inventory computed its profile statistics on {where}; the detectors ran in this process on a sample of each field's values"
    """Where the stage runs on a workspace with ``engine: spark``, said in the run."""

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        profiles: dict[str, DatasetProfile] = {}
        classes: dict[str, dict[str, Classification]] = {}
        failures: dict[str, str] = {}
        for did in ctx.usable():
            path = state_path(ws.data_dir, did)
            if not path.is_file():
                failures[did] = f"nothing landed at {path}. Run `seamline run` to connect it first."
                ctx.failed.add(did)
                result.messages.append(f"{did}: {failures[did]}")
                continue
            run_id = store.start_run(
                "inventory", workspace=ws.name, dataset=did, parent_id=ctx.run_id
            )
            task = ctx.reporter.task(f"inventory {did}")
            try:
                with ws.engine() as engine:
                    profile = profile_parquet(
                        path, did, files=ws.parquet, country=ws.project.country, engine=engine
                    )
            except SeamlineError as exc:
                task.done()
                store.finish_run(run_id, "failed", message=str(exc))
                failures[did] = str(exc)
                ctx.failed.add(did)
                result.messages.append(f"{did}: {exc}")
                continue
            task.advance(profile.rows)
            task.done()
            spec = ws.datasets[did]
            classes[did] = {
                fp.name: classify(fp, spec.field_by_column(fp.name), spec) for fp in profile.fields
            }
            for fp in profile.fields:
                if classes[did][fp.name].pii is not None:
                    redact(fp)
            profiles[did] = profile
            _record(store, run_id, ws, profile, classes[did])
            store.resolve_findings(
                run_id,
                ["inventory.personal_data_declared_public"],
                of_dataset(did),
            )
            pii = sum(1 for c in classes[did].values() if c.pii)
            result.details.append(
                {
                    "dataset": did,
                    "rows": profile.rows,
                    "fields": len(profile.fields),
                    "personal_fields": pii,
                    "code_candidates": sum(1 for f in profile.fields if f.code_candidate),
                }
            )
            result.counts["datasets"] = result.counts.get("datasets", 0) + 1
            result.counts["fields"] = result.counts.get("fields", 0) + len(profile.fields)
            result.counts["personal_fields"] = result.counts.get("personal_fields", 0) + pii
        gov = analyse(ws, profiles)
        _gap_findings(store, ctx.run_id, ws, gov)
        # Governance gaps are looked for in the whole workspace on every run: the
        # ones not seen again are resolved.
        store.resolve_findings(ctx.run_id, ["governance"])
        result.counts["governance_gaps"] = gov.gap_count
        report = build(ws, profiles, classes, gov, failures)
        json_path, html_path = write(report, ws.data_dir / "reports")
        result.reports = {"inventory report": str(html_path), "as JSON": str(json_path)}
        return settle(result, ctx)


def _record(
    store: Store,
    run_id: int,
    ws: Workspace,
    profile: DatasetProfile,
    classes: dict[str, Classification],
) -> None:
    spec = ws.datasets[profile.dataset]
    stats = {}
    for fp in profile.fields:
        c = classes[fp.name]
        stats[fp.name] = {
            **fp.to_json(),
            "pii": c.pii,
            "pii_evidence": c.evidence,
            "declared": c.declared,
        }
        if c.conflicts_with_declaration:
            store.upsert_finding(
                kind="inventory.personal_data_declared_public",
                subject=f"{profile.dataset}.{fp.name}",
                key="",
                severity="error",
                message=(
                    f"{profile.dataset}.{fp.name} looks like {c.pii.replace('_', ' ') if c.pii else ''} "
                    "but is declared public"
                ),
                evidence={"evidence": c.evidence},
                owner=spec.steward or spec.owner,
                run_id=run_id,
            )
    store.record_profiles(run_id, profile.dataset, stats)
    store.record_observed_schema(
        run_id,
        profile.dataset,
        [(f.name, f.physical_type) for f in profile.fields],
        {f.name: f.logical_type for f in profile.fields},
    )
    store.finish_run(
        run_id,
        "ok",
        counts={
            "rows": profile.rows,
            "fields": len(profile.fields),
            "personal_fields": sum(1 for c in classes.values() if c.pii),
        },
    )


def _gap_findings(store: Store, run_id: int, ws: Workspace, gov: Governance) -> None:
    for did in gov.without_steward:
        store.upsert_finding(
            kind="governance.no_steward",
            subject=did,
            message=f"dataset {did} has no steward",
            evidence={"owner": ws.datasets[did].owner},
            owner=ws.datasets[did].owner,
            run_id=run_id,
        )
    for attr in gov.no_truth:
        store.upsert_finding(
            kind="governance.no_source_of_truth",
            subject=attr,
            message=f"{attr} is held by {len(gov.matrix[attr])} dataset(s) but none is declared authoritative",
            evidence={"held_by": [h.dataset for h in gov.matrix[attr]]},
            run_id=run_id,
        )
    for attr, datasets in gov.contested.items():
        store.upsert_finding(
            kind="governance.several_sources_of_truth",
            subject=attr,
            message=f"{attr} is claimed authoritative by {', '.join(datasets)}",
            evidence={"datasets": datasets},
            run_id=run_id,
        )
