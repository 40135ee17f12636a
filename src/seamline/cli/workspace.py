"""Commands that set a workspace up: init, validate, demo, upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seamline.cli.common import WorkspaceArg, err, load, out
from seamline.errors import ExitCode, UsageError


def init(
    directory: WorkspaceArg = Path("."),
    force: Annotated[bool, typer.Option(help="Write into a folder that is not empty.")] = False,
) -> None:
    """Write a small, commented example workspace into DIRECTORY."""
    from seamline.workspace.template import write_example

    written = write_example(directory, force=force)
    out.print(f"Wrote {len(written)} files into {directory}.")
    out.print(f"Next: seamline validate {directory} && seamline run {directory}")


def validate(directory: WorkspaceArg = Path(".")) -> None:
    """Check every spec file of the workspace; report all errors with file:line:column.

    Also checks that each file a source names exists and that its copybooks parse.
    """
    from seamline.workspace import check_workspace
    from seamline.workspace.sourcefiles import source_file_issues

    ws, issues = check_workspace(directory)
    if ws is not None:
        issues = [*issues, *source_file_issues(ws)]
    if issues:
        for issue in sorted(issues):
            err.print(str(issue), markup=False)
        err.print(f"{len(issues)} error{'s' if len(issues) != 1 else ''} in {directory}.")
        raise typer.Exit(ExitCode.USAGE)
    assert ws is not None  # noqa: S101 - no issues means a workspace was built
    out.print(
        f"{directory}: valid. {len(ws.agencies)} agencies, {len(ws.systems)} systems, "
        f"{len(ws.datasets)} datasets, {len(ws.codelists)} code lists, {len(ws.seams)} seams."
    )


def demo(
    directory: WorkspaceArg = Path("demo-workspace"),
    people: Annotated[
        int,
        typer.Option(
            min=10, help="How many people the scenario has (billing: about how many billing lines)."
        ),
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    force: Annotated[bool, typer.Option(help="Replace the folder's contents.")] = False,
    scenario: Annotated[
        str,
        typer.Option(
            help="civil: four registers of one country; us-ui: a US unemployment-insurance "
            "program; billing: 38 agencies' billing workbooks and a bank statement."
        ),
    ] = "civil",
) -> None:
    """Write a demo scenario (data, spec and ground truth) into DIRECTORY."""
    from seamline.demo import generate_demo
    from seamline.demo.generate import SCENARIOS

    chosen = next((s for s in SCENARIOS if s == scenario), None)
    if chosen is None:
        raise UsageError(
            f"unknown demo scenario {scenario!r}",
            allowed=", ".join(SCENARIOS),
            hint="Pass --scenario civil, us-ui or billing.",
        )
    summary = generate_demo(directory, people=people, seed=seed, force=force, scenario=chosen)
    out.print(f"Demo workspace for {summary.people:,} people (seed {summary.seed}) in {directory}:")
    for name, count in summary.records.items():
        out.print(f"  {name:<16} {count:>9,} records")
    out.print(f"Next: seamline run {directory}")


def upgrade(
    directory: WorkspaceArg = Path("."),
    store: Annotated[
        str | None, typer.Option(help="A store URL instead of the workspace's.")
    ] = None,
) -> None:
    """Apply the store's database migrations (SQLite or PostgreSQL)."""
    from seamline.store import safe_url, upgrade_store

    url = store or load(directory).store_url()
    before, after = upgrade_store(url)
    if before == after:
        out.print(f"{safe_url(url)} is up to date (revision {after}).")
    else:
        out.print(f"Upgraded {safe_url(url)} from {before or 'an empty store'} to {after}.")
