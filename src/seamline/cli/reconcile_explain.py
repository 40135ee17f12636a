"""``seamline reconcile --explain``: the linkage model of the last run, without a run.

The option sits on the ``reconcile`` group: ``seamline reconcile --explain [-w DIR]``
prints the model ``reference/<spec>.model.json`` holds (every candidate blocking rule
with its pairs, the training rules, the prior, each comparison level's m, u and match
weight). ``seamline reconcile run --explain`` runs first and prints the model it used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seamline.errors import UsageError
from seamline.reconcile.explain import explain_workspace


def reconcile_group(
    ctx: typer.Context,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Print the last run's linkage model (blocking rules with their pairs, "
            "trained weights) without running.",
        ),
    ] = False,
    directory: Annotated[
        Path, typer.Option("--workspace", "-w", help="The workspace folder (with --explain).")
    ] = Path("."),
) -> None:
    """Reconcile: link records across agencies, stewards' worklist and decisions."""
    if ctx.invoked_subcommand is not None:
        if explain:
            raise UsageError(
                f"`seamline reconcile --explain` takes no command, and "
                f"`{ctx.invoked_subcommand}` was given",
                hint="Write `seamline reconcile --explain -w DIR` for the last run's model, "
                "or `seamline reconcile run DIR --explain` to run and print it.",
            )
        return
    if not explain:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    from seamline.workspace import load_workspace

    for line in explain_workspace(load_workspace(directory)):
        typer.echo(line)
