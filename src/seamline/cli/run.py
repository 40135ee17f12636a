"""Commands that run the pipeline or its stages and list what ran: run, inventory, harmonize, derive, runs, deliveries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from seamline.cli.common import (
    WorkspaceArg,
    WorkspaceOpt,
    cell,
    err,
    load,
    out,
    print_summary,
    progress_bars,
)

DatasetsOpt = Annotated[
    list[str] | None, typer.Option("--dataset", "-d", help="Only this dataset (repeatable).")
]


def inventory(
    directory: WorkspaceArg = Path("."),
    dataset: DatasetsOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the inventory as JSON on stdout.")
    ] = False,
) -> None:
    """Profile and classify every dataset (connecting it first) and report governance gaps.

    Records per field: type, null share, distinct count, min/max, lengths, top values,
    value patterns, date formats, validated identifier schemes, phone numbers, ISO codes,
    code-list candidates and personal-data class with evidence. Writes
    reports/inventory.html and reports/inventory.json in the workspace's data folder.
    """
    from seamline.inventory.stage import InventoryStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store, progress_bars() as reporter:
        summary = run_pipeline(
            ws,
            store,
            reporter=reporter,
            datasets=dataset,
            stages=[ConnectStage(), InventoryStage()],
        )
    if as_json:
        report = ws.data_dir / "reports" / "inventory.json"
        if report.is_file():
            sys.stdout.write(report.read_text(encoding="utf-8") + "\n")
        for stage in summary.stages:
            for message in stage.messages:
                err.print(f"{stage.stage}: {message}", markup=False)
    else:
        print_summary(summary)
    raise typer.Exit(summary.exit_code)


def harmonize(
    directory: WorkspaceArg = Path("."),
    dataset: DatasetsOpt = None,
    explain: Annotated[
        str | None,
        typer.Option(help="Print the compiled SQL plan of this dataset and stop."),
    ] = None,
) -> None:
    """Make the datasets comparable: canonical attributes, code lists, normalizers.

    Compiles each dataset's mapping (fields -> attributes, crosswalks, normalize steps)
    into one SQL plan run on the engine over the landing zone, writing
    harmonized/<dataset>.parquet with, per attribute, the value, the original text and
    a flag (invalid_identifier, unparseable_date, unmapped_code, ...). Connects first.
    """
    from seamline.harmonize import explain as explain_plan
    from seamline.harmonize.stage import HarmonizeStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.store import Store

    ws = load(directory)
    if explain is not None:
        ws.dataset(explain)
        sys.stdout.write(explain_plan(ws, explain))
        return
    with Store.open(ws.store_url(), key=ws.data_key) as store, progress_bars() as reporter:
        summary = run_pipeline(
            ws,
            store,
            reporter=reporter,
            datasets=dataset,
            stages=[ConnectStage(), HarmonizeStage()],
        )
    print_summary(summary)
    raise typer.Exit(summary.exit_code)


def derive(
    directory: WorkspaceArg = Path("."),
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Only this derived dataset (repeatable)."),
    ] = None,
) -> None:
    """Compute the derived datasets (derived/*.yaml) from the current harmonized data.

    Runs each query, in lineage order, over the harmonized files, the golden records
    and other derived datasets, writing derived/<id>.parquet. A failing query fails
    that derived dataset and those reading it; the others are still computed. Run
    `seamline check` afterwards to check their contracts.
    """
    from seamline.derive import DeriveStage
    from seamline.pipeline import run_pipeline
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url()) as store, progress_bars() as reporter:
        summary = run_pipeline(ws, store, reporter=reporter, stages=[DeriveStage(only)])
    print_summary(summary)
    raise typer.Exit(summary.exit_code)


def run(
    directory: WorkspaceArg = Path("."),
    dataset: DatasetsOpt = None,
) -> None:
    """Run the pipeline: connect, then every later stage, recording each run in the store."""
    from seamline.pipeline import run_pipeline
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store, progress_bars() as reporter:
        summary = run_pipeline(ws, store, reporter=reporter, datasets=dataset)
    print_summary(summary)
    raise typer.Exit(summary.exit_code)


_LONG_COLUMNS = {"landing", "quarantine"}  # paths: printed once below the table


def deliveries(
    dataset: Annotated[str, typer.Argument(help="The dataset id.")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """List a dataset's deliveries, newest first, and which of them make its current state."""
    from seamline.sources.deliveries import current_state, delivery_rows
    from seamline.store import Store

    ws = load(workspace)
    spec = ws.dataset(dataset)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        rows = delivery_rows(store, spec.id)
    if not rows:
        out.print(f"No deliveries of {spec.id} yet; `seamline run {ws.root}` lands one.")
        return
    table = Table()
    for col in rows[0]:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[cell(v) for v in row.values()])
    out.print(table)
    state = current_state(ws.data_dir, spec.id)
    out.print(f"  current state: {state if state else 'nothing landed yet'}")


def runs(
    directory: WorkspaceArg = Path("."),
    limit: Annotated[int, typer.Option(min=1, help="How many runs to list.")] = 20,
) -> None:
    """List the most recent runs recorded in the store."""
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        found = store.list_runs(limit=limit)
    table = Table()
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    table.add_column("dataset", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("started")
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("counts", overflow="fold")
    failed = []
    for r in found:
        table.add_row(
            str(r.id),
            r.stage,
            r.dataset or "",
            r.status,
            r.started_at.strftime("%m-%d\n%H:%M") if r.started_at else "",
            f"{(r.duration_ms or 0) / 1000:.1f}",
            _run_counts(r.stage, r.counts or {}),
        )
        if r.status == "failed" and r.message:
            failed.append((r.id, r.message))
    out.print(table)
    for run_id, message in failed:
        out.print(f"Run {run_id} failed: {message}", markup=False)


_LANDING = ("read", "landed", "quarantined")


def _run_counts(stage: str, counts: dict[str, Any]) -> str:
    """A run's counts for the console; a landing as ``read = landed + quarantined``.

    Other zero counts are left out so that the figures that matter fit 80 columns.

    The pipeline's own row repeats every stage's counts: it shows the landing only (the
    stage rows below it show the rest).
    """
    prefix = "connect." if stage == "run" else ""
    if all(f"{prefix}{k}" in counts for k in _LANDING):
        r, la, q = (counts[f"{prefix}{k}"] for k in _LANDING)
        landing = f"read {r:,} = landed {la:,} + quarantined {q:,}"
        rest = {k: v for k, v in counts.items() if k not in {f"{prefix}{x}" for x in _LANDING}}
        if stage == "run":
            return landing
        return ", ".join([landing, *(f"{k}={cell(v)}" for k, v in rest.items() if v)])
    if stage == "run":
        return ""
    return ", ".join(f"{k}={cell(v)}" for k, v in counts.items() if v)
