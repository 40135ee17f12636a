"""The command line: a thin Typer shell over the library.

Every command calls a library function that tests call directly; the modules of this
package only parse arguments, print, and map errors to the defined exit codes
(0 ok, 1 checks failed, 2 usage or spec error, 3 runtime error).

This module builds the root ``app`` and registers each command and group, in the order
``seamline --help`` lists them; the commands live in one module per group.
"""

from __future__ import annotations

from typing import Annotated

import typer

from seamline import __version__
from seamline.cli import (
    audit,
    catalog,
    clients,
    codes,
    findings,
    keys,
    read,
    reconcile,
    retention,
    run,
    seams,
    serve,
    ui,
    workspace,
)
from seamline.cli.common import RootGroup, out

__all__ = ["app", "main"]

app = typer.Typer(
    name="seamline",
    cls=RootGroup,
    help=(
        "Own the seams between agency systems: connect every system as it is, inventory "
        "its data, harmonize, reconcile, check the contracts of each seam, and exchange "
        "the result through an audited API.\n\n"
        "Start with `seamline demo demo-workspace && seamline run demo-workspace`, or "
        "`seamline init my-program` for a small example to edit."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"seamline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    # Read by RootGroup.invoke, which reports the errors of every command.
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Own the seams between agency systems."""


app.command()(workspace.init)
app.command()(workspace.validate)
app.command()(workspace.demo)
app.command()(workspace.upgrade)
app.command()(run.inventory)
app.command()(run.harmonize)
app.command()(run.derive)
app.command()(seams.check)
app.command()(serve.serve)
app.command()(run.run)
app.command()(read.read)
app.command(name="copybook")(read.copybook_layout)
app.command()(run.deliveries)
app.command()(run.runs)
app.add_typer(seams.seams_app, name="seams")
app.add_typer(seams.contract_app, name="contract")
app.add_typer(reconcile.reconcile_app, name="reconcile")
app.add_typer(clients.clients_app, name="clients")
app.add_typer(ui.ui_app, name="ui")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(codes.codes_app, name="codes")
app.add_typer(catalog.catalog_app, name="catalog")
app.add_typer(findings.findings_app, name="findings")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(
    retention.retention_app,
    name="retention",
    help="Delete data past its retention period (docs/retention.md).",
)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; its root group maps every error to its exit code."""
    app(args=argv, prog_name="seamline")
