"""`seamline findings`: list and close the problems a person should look at."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seamline.cli.common import WorkspaceArg, WorkspaceOpt, open_store, out
from seamline.errors import UsageError

findings_app = typer.Typer(
    help="Findings: problems a person should look at (failed contracts, drift, gaps).",
    no_args_is_help=True,
)

FINDING_STATUSES = ("open", "resolved", "closed", "all")


@findings_app.command("list")
def findings_list(
    directory: WorkspaceArg = Path("."),
    status: Annotated[
        str,
        typer.Option(
            help="open, resolved (a later run no longer saw it), closed (by a person) or all."
        ),
    ] = "open",
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. contract.failed.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the findings as a JSON list, evidence included.")
    ] = False,
) -> None:
    """List findings with their id, kind, subject, owner and how often they were seen."""
    if status not in FINDING_STATUSES:
        raise UsageError(
            f"--status {status!r} is not one of {', '.join(FINDING_STATUSES)}.",
            allowed=", ".join(FINDING_STATUSES),
        )
    with open_store(directory) as store:
        found = store.findings(kind=kind, status=status)
    if as_json:
        import dataclasses
        import json

        rows = [dataclasses.asdict(f) for f in found]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    table = Table()
    for col in ("id", "status", "severity", "kind", "subject", "owner", "seen", "message"):
        table.add_column(col)
    for f in found:
        table.add_row(
            str(f.id),
            f.status,
            f.severity,
            f.kind,
            f.subject,
            f.owner or "",
            str(f.times_seen),
            f.message,
        )
    out.print(table)
    out.print(f"{len(found):,} finding(s).")


@findings_app.command("close")
def findings_close(
    finding: Annotated[int, typer.Argument(help="The finding's id (see `findings list`).")],
    reason: Annotated[str, typer.Option(help="Why it is closed; kept with the finding.")],
    directory: WorkspaceOpt = Path("."),
    by: Annotated[str | None, typer.Option(help="Who closes it (default: the login name).")] = None,
) -> None:
    """Close a finding by hand. It opens again if a later run sees the same problem."""
    import getpass

    with open_store(directory) as store:
        info = store.close_finding(finding, by=by or getpass.getuser(), reason=reason)
    out.print(f"Closed finding {info.id} ({info.kind} on {info.subject}).")
