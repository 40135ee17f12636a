"""`seamline catalog`: DCAT-AP export and search."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seamline.cli.common import WorkspaceArg, WorkspaceOpt, err, load, out, writable

catalog_app = typer.Typer(
    help="The catalogue: export it as DCAT-AP 3.0.1 or search it.", no_args_is_help=True
)


@catalog_app.command("export")
def catalog_export(
    directory: WorkspaceArg = Path("."),
    fmt: Annotated[
        str, typer.Option("--format", help="turtle or json-ld.", show_default=True)
    ] = "turtle",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    base_uri: Annotated[
        str | None, typer.Option(help="Publish the IRIs under this address.")
    ] = None,
) -> None:
    """Write the catalogue as DCAT-AP 3.0.1 (datasets, distributions, data services).

    Row counts and dates come from the store where data has landed; source options
    other than the connector kind and a relative path are never exported.
    """
    from seamline.catalog import export_catalog
    from seamline.store import Store

    ws = load(directory)
    if output is not None:
        writable(output)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        stats = store.landing_stats()
    text = export_catalog(ws, fmt=fmt, stats=stats, base_uri=base_uri)  # type: ignore[arg-type]
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote the catalogue of {len(ws.datasets)} datasets to {output}")


@catalog_app.command("search")
def catalog_search(
    text: Annotated[str, typer.Argument(help="Words to find; all must match.")],
    directory: WorkspaceOpt = Path("."),
    limit: Annotated[int, typer.Option(help="At most this many datasets.")] = 20,
) -> None:
    """Search dataset titles, descriptions, fields, owners, stewards and systems."""
    from seamline.catalog import search_catalog

    hits = search_catalog(load(directory), text, limit=limit)
    if not hits:
        out.print(f"No dataset matches {text!r}.")
        return
    table = Table()
    for col in ("dataset", "title", "score", "matched in"):
        table.add_column(col, overflow="fold")
    for h in hits:
        table.add_row(h.dataset, h.title, f"{h.score:g}", "\n".join(h.matched))
    out.print(table)
