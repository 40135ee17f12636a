"""``seamline check``: run every seam's contract on the current data, record the results.

Per seam: the schema, then all rules in one scan of the provider's harmonized file
(see :mod:`seamline.seams.contract`), then volume and freshness. Each result is a
``CheckResult`` row in the store; each rule that fails (or cannot run) is also a
finding owned by the seam's accountable owner.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

from seamline.engine import Engine, EngineError
from seamline.errors import UsageError, did_you_mean
from seamline.seams.contract import DATA, check_query, compile_rules, rule_row
from seamline.seams.derived import check_derived
from seamline.seams.report import CheckReport, CheckRow, SeamInfo, owner_text
from seamline.seams.structure import freshness_row, parquet_columns, schema_rows, volume_rows
from seamline.store import Store
from seamline.store.checks import add_check_results
from seamline.store.history import StageRun, deliveries, latest_stage_runs
from seamline.workspace.datafolder import state_path
from seamline.workspace.loader import Workspace
from seamline.workspace.models import SeamSpec


def select_seams(ws: Workspace, seams: Sequence[str] | None) -> list[SeamSpec]:
    """The named seams (all when none are named); an unknown name is a usage error.

    A derived dataset's id is a name too (its contract is checked): it is skipped here,
    as are seams whose provider is a derived dataset (served, its contract checked as
    the derived dataset's).
    """
    if not seams:
        return [ws.seams[k] for k in sorted(ws.seams) if ws.seams[k].provider not in ws.derived]
    out = []
    for name in seams:
        if name in ws.derived:
            continue
        if name not in ws.seams:
            known = [*ws.seams, *ws.derived]
            guess = did_you_mean(name, known)
            raise UsageError(
                f"no seam or derived dataset {name!r} in the workspace"
                + (f" (did you mean {guess!r}?)" if guess else ""),
                allowed=", ".join(sorted(known)) or "none: add a file under seams/",
            )
        if ws.seams[name].provider not in ws.derived:
            out.append(ws.seams[name])
    return out


def run_checks(
    ws: Workspace,
    store: Store,
    seams: Sequence[str] | None,
    run_id: int,
    *,
    now: dt.datetime | None = None,
) -> CheckReport:
    """Check the contracts of ``seams`` (all when None) under the store run ``run_id``.

    ``now`` is the moment freshness and ``today`` are measured against (default: now).
    """
    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    report = CheckReport(run_id)
    with ws.engine() as engine:
        for seam in select_seams(ws, seams):
            runs = latest_stage_runs(store, seam.provider)
            if "connect" not in runs and not parquet_columns(
                ws.parquet, _harmonized(ws, seam.provider)
            ):
                report.skipped[seam.id] = (
                    f"Its provider {seam.provider} has had no delivery yet. "
                    "Run `seamline run` on the workspace first."
                )
                continue
            report.seams.append(
                SeamInfo(
                    seam.id,
                    seam.title,
                    seam.provider,
                    seam.consumer,
                    owner_text(seam),
                    seam.owner.email,
                )
            )
            report.rows.extend(check_seam(ws, store, seam, engine, now, runs))
        derived = None if not seams else [n for n in seams if n in ws.derived]
        check_derived(ws, store, derived, engine, now, report)
    report.seconds = time.perf_counter() - started
    record(store, report)
    checked = {info.id for info in report.seams}
    store.resolve_findings(run_id, ["contract.failed", "contract.error"], checked.__contains__)
    return report


def _harmonized(ws: Workspace, dataset: str) -> Path:
    return ws.data_dir / "harmonized" / f"{dataset}.parquet"


def stale_data(runs: dict[str, StageRun], provider: str) -> tuple[str, str] | None:
    """Why the provider's harmonized data is not its latest delivery, and the fix; or None.

    Read from the store's runs, not file times: landing the same source again (as
    ``seamline inventory`` does) is not a failure. A failed delivery or a failed
    harmonize after it is: the rules then run on older data, and the owner must hear.
    """
    connect, harmonize = runs.get("connect"), runs.get("harmonize")
    if connect is not None and connect.status == "failed":
        return (
            f"The latest delivery of {provider} failed at {connect.at:%Y-%m-%d %H:%M} UTC: "
            f"{(connect.message or 'no reason recorded').rstrip('.')}.",
            "Fix the source and run `seamline run` again.",
        )
    if harmonize is not None and harmonize.status == "failed":
        return (
            f"Harmonizing {provider} failed at {harmonize.at:%Y-%m-%d %H:%M} UTC: "
            f"{(harmonize.message or 'no reason recorded').rstrip('.')}.",
            "Fix the mapping and run `seamline run` again.",
        )
    return None


def check_seam(
    ws: Workspace,
    store: Store,
    seam: SeamSpec,
    engine: Engine,
    now: dt.datetime,
    runs: dict[str, StageRun] | None = None,
) -> list[CheckRow]:
    owner = owner_text(seam)
    runs = latest_stage_runs(store, seam.provider) if runs is None else runs
    stale = stale_data(runs, seam.provider)
    paths = {
        "harmonized": _harmonized(ws, seam.provider),
        "landing": state_path(ws.data_dir, seam.provider),
    }
    columns = {k: parquet_columns(ws.parquet, p) for k, p in paths.items()}
    if not columns["harmonized"]:
        return [
            CheckRow(
                seam.id, owner, "data", None, "harmonized data of the provider", "error",
                message=f"There is no harmonized data for {seam.provider} at "
                f"{paths['harmonized']}. " + (" ".join(stale) if stale
                else "Run `seamline run` on the workspace."),
            )
        ]  # fmt: skip
    rows: list[CheckRow] = []
    if stale is not None:
        rows.append(
            CheckRow(
                seam.id, owner, "data", None, "harmonized data of the latest delivery", "error",
                message=f"{stale[0]} The rules below ran on older data. {stale[1]}",
            )
        )  # fmt: skip
    rows.extend(schema_rows(ws, seam, columns["harmonized"], columns["landing"]))
    references = {
        r.reference.split(".", 1)[0]: set(
            parquet_columns(
                ws.parquet, ws.data_dir / "harmonized" / f"{r.reference.split('.', 1)[0]}.parquet"
            )
        )
        for r in seam.contract.rules
        if r.check == "referential" and r.reference
    }
    compiled = compile_rules(seam, columns["harmonized"], today=now.date(), references=references)
    ws.parquet.view(engine, DATA, paths["harmonized"])
    for c in compiled:
        if c.runnable and c.reference:
            ws.parquet.view(
                engine, f"ref_{c.index}", ws.data_dir / "harmonized" / f"{c.reference}.parquet"
            )
    query = check_query(compiled)
    try:
        table = engine.arrow(query)
    except EngineError as exc:
        # One bad rule must not hide the others: say which query failed, keep going.
        return [
            *rows,
            *(
                rule_row(seam, c, None, None, error=f"the check query failed: {exc}")
                for c in compiled
            ),
        ]
    values = table.to_pylist()[0]
    total = int(values["rows"])
    for c in compiled:
        if not c.runnable:
            rows.append(rule_row(seam, c, None, None, error=c.error))
            continue
        fail = int(values[f"r{c.index}_fail"] or 0)
        n = int(values[f"r{c.index}_n"] or 0)
        rows.append(rule_row(seam, c, fail, n))
    history = deliveries(store, seam.provider)
    rows.extend(volume_rows(seam, total, history))
    fresh = freshness_row(engine, ws.parquet, seam, history, paths, columns, now)
    if fresh is not None:
        rows.append(fresh)
    return rows


def record(store: Store, report: CheckReport) -> None:
    """Keep every result as a ``CheckResult``; a non-passing one also becomes a finding."""
    add_check_results(
        store,
        [
            {
                "run_id": report.run_id,
                "seam": r.seam,
                "rule": r.rule,
                "attribute": r.attribute,
                "observed": r.observed,
                "expected": r.expected,
                "status": r.status,
                "details": {**r.details, "message": r.message, "owner": r.owner},
            }
            for r in report.rows
        ],
    )
    for r in report.rows:
        if r.status == "pass":
            continue
        store.upsert_finding(
            kind="contract.failed" if r.status == "fail" else "contract.error",
            subject=r.seam,
            message=f"{'derived dataset' if r.details.get('derived') else 'seam'} {r.seam}: {r.rule} {'failed' if r.status == 'fail' else 'could not run'}: "
            f"observed {r.observed_text}, expected {r.expected}"
            + (f" ({r.message})" if r.message else ""),
            severity="error",
            evidence={
                "key": r.rule,
                "rule": r.rule,
                "attribute": r.attribute,
                "observed": r.observed,
                "expected": r.expected,
                **r.details,
            },
            owner=r.owner,
            run_id=report.run_id,
            key=r.rule,
        )
