"""`seamline reconcile`: link records, the stewards' worklist and their decisions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from seamline.cli.common import WorkspaceArg, WorkspaceOpt, load, out, print_summary, progress_bars
from seamline.cli.reconcile_explain import reconcile_group
from seamline.errors import UsageError

if TYPE_CHECKING:
    from seamline.reconcile.worklist import Format

_WORKLIST_COLUMNS = (
    "kind",
    "entity_id",
    "attribute",
    "values",
    "chosen",
    "left",
    "right",
    "probability",
)
"""The columns of the worklist on screen, in order."""
_WORKLIST_FORMATS: dict[str, Format] = {"csv": "csv", "json": "json", "html": "html"}

reconcile_app = typer.Typer(no_args_is_help=True)
reconcile_app.callback(invoke_without_command=True)(reconcile_group)


@reconcile_app.command("run")
def reconcile_run(
    directory: WorkspaceArg = Path("."),
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Print the linkage model used: blocking rules with their pairs, trained weights.",
        ),
    ] = False,
) -> None:
    """Link, compare and publish golden records (connects and harmonizes first).

    Records sharing an identifier trusted for exact links are linked outright; the rest
    are scored by Splink with a model built from the attributes the data holds. Writes
    reference/<entity>.parquet and stores the discrepancies and review links.
    """
    from seamline.harmonize.stage import HarmonizeStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.reconcile.stage import ReconcileStage
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store, progress_bars() as reporter:
        summary = run_pipeline(
            ws,
            store,
            reporter=reporter,
            stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()],
        )
    print_summary(summary)
    if explain:
        from seamline.reconcile.explain import explain_workspace

        for line in explain_workspace(ws):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(summary.exit_code)


@reconcile_app.command("worklist")
def reconcile_worklist(
    directory: WorkspaceArg = Path("."),
    attribute: Annotated[str | None, typer.Option(help="Only this attribute.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only items involving this dataset.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to a .csv, .json or .html file."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="At most this many items (default: 50 on screen, all in a file)."),
    ] = None,
) -> None:
    """Conflicts, doubtful values and review-band links for stewards, most impactful first."""
    from seamline.reconcile.worklist import load_worklist, write_worklist
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        rows = load_worklist(
            store,
            attribute=attribute,
            dataset=dataset,
            limit=limit if limit is not None or output else 50,
        )
        total = (
            len(rows) if output else len(load_worklist(store, attribute=attribute, dataset=dataset))
        )
    if output is not None:
        fmt = _WORKLIST_FORMATS.get(output.suffix.lstrip(".").lower())
        if fmt is None:
            raise UsageError(
                f"cannot write a worklist as {output.suffix!r}", allowed=".csv, .json, .html"
            )
        write_worklist(rows, output, fmt)
        out.print(f"Wrote {len(rows):,} worklist items to {output}.")
        return
    if not rows:
        out.print(
            "Nothing to review. Run `seamline run` (or `seamline reconcile run`) first if you expected items."
        )
        return
    shown = (
        f"Worklist: {total:,} items"
        if total == len(rows)
        else f"Worklist: {len(rows):,} of {total:,} items, the most impactful first"
    )
    table = Table(title=shown, title_justify="left")
    for col in _WORKLIST_COLUMNS:
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in _WORKLIST_COLUMNS])
    out.print(table)
    if total > len(rows):
        out.print(
            f"{total - len(rows):,} more not shown. See them all with --limit {total} or "
            "-o worklist.html.",
            markup=False,
        )


@reconcile_app.command("decide")
def reconcile_decide(
    kind: Annotated[str, typer.Argument(help="accept_value, reject_link or force_link.")],
    subject: Annotated[
        str,
        typer.Argument(help="An entity id (accept_value) or two record keys LEFT|RIGHT (links)."),
    ],
    actor: Annotated[str, typer.Option("--by", help="Who decides (recorded).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
    directory: WorkspaceOpt = Path("."),
    attribute: Annotated[str | None, typer.Option(help="For accept_value: the attribute.")] = None,
    value: Annotated[str | None, typer.Option(help="For accept_value: the accepted value.")] = None,
) -> None:
    """Record a steward's decision; it is re-applied on every later run."""
    from seamline.reconcile.decisions import record_decision
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        decision = record_decision(
            store, kind, subject, actor=actor, reason=reason, attribute=attribute, value=value
        )
    out.print(f"Recorded decision {decision} ({kind} {subject}); the next run applies it.")
