"""``seamline retention apply``: delete what is past its retention period (dry run by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from seamline.cli.common import err, out
from seamline.retention.policy import parse_now
from seamline.retention.sweep import Sweep

retention_app = typer.Typer(no_args_is_help=True)


@retention_app.command("apply")
def retention_apply(
    directory: Annotated[
        Path, typer.Argument(help="The workspace folder.", show_default=True)
    ] = Path("."),
    apply: Annotated[
        bool,
        typer.Option(
            "--apply/--dry-run",
            help="Delete (--apply), or only list what would be deleted (--dry-run, the default).",
        ),
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            help="Count periods back from this ISO 8601 date or date-time instead of now.",
        ),
    ] = None,
) -> None:
    """Delete the data past its retention period: deliveries, records, derived rows.

    A dataset's period is its own `retention:`, else the longest `agreement.retention`
    of the seams it provides. Past it go the deliveries' files and store rows, their
    records in the current state and the harmonized data, the golden records that may
    hold them (rebuilt at once from what is left), worklist items and old reports. The
    audit log is never touched. Prints a table of counts per dataset and kind; records
    them in the store as a run of kind retention. See docs/retention.md.
    """
    from seamline.pipeline import run_pipeline
    from seamline.reconcile.stage import ReconcileStage
    from seamline.retention.stage import RetentionStage, notes
    from seamline.store import Store
    from seamline.workspace import load_workspace

    at = parse_now(now)
    ws = load_workspace(directory)
    stage = RetentionStage(at, apply=apply)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        summary = run_pipeline(ws, store, stages=[stage])
        done = stage.sweep
        if done is None:
            for r in summary.stages:
                for message in r.messages:
                    err.print(f"Error: {message}", markup=False)
            raise typer.Exit(summary.exit_code)
        print_sweep(done, summary.run_id)
        for note in notes(done):
            out.print(note, markup=False)
        for ds, why in done.errors.items():
            err.print(f"{ds}: not done: {why}", markup=False)
        code = summary.exit_code
        if done.applied and done.withdrawn:
            rebuilt = run_pipeline(ws, store, stages=[ReconcileStage()])
            for message in (m for r in rebuilt.stages for m in r.messages):
                err.print(f"reconcile: {message}", markup=False)
            back, left = rebuild_outcome(ws, done.withdrawn)
            if back:
                out.print(f"Rebuilt the golden records of {', '.join(back)}.")
            if left:
                err.print(
                    f"The golden records of {', '.join(left)} stay withdrawn: the exchange "
                    "serves none of them until a run rebuilds them.",
                    markup=False,
                )
            code = max(code, rebuilt.exit_code)
    raise typer.Exit(code)


def rebuild_outcome(ws: Any, specs: list[str]) -> tuple[list[str], list[str]]:
    """Which withdrawn specs have golden records again, and which do not."""
    reference = ws.data_dir / "reference"
    back = [s for s in specs if (reference / f"{s}.parquet").is_file()]
    return back, [s for s in specs if s not in back]


def print_sweep(done: Sweep, run_id: int) -> None:
    """The counts table, then every file and delivery concerned, then the periods."""
    when = done.now.isoformat(timespec="seconds")
    head = "Deleted" if done.applied else "Dry run: would delete"
    rows = done.rows()
    if not rows:
        out.print(f"Nothing is past its retention period at {when}.", markup=False)
    else:
        table = Table(title=f"{head} (past the period at {when})", title_justify="left")
        for key in rows[0]:
            table.add_column(
                key,
                overflow="fold",
                justify="right" if key[-6:] == "delete" or key == "deleted" else "left",
            )
        for row in rows:
            table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()])
        out.print(table)
        for item in done.items:
            for path in item.paths:
                out.print(f"  {item.dataset} {item.kind}: {path}", markup=False, soft_wrap=True)
    for ds, eff in done.periods.items():
        period = str(eff.period) if eff.period else "none (kept until deleted by hand)"
        source = f" from {eff.source}" if eff.period else ""
        out.print(f"  period of {ds}: {period}{source}", markup=False)
    out.print(f"Recorded in run {run_id}, stage retention (`seamline runs`).", markup=False)
