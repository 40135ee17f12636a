"""`seamline codes`: crosswalk suggestions, SKOS export and import."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seamline.cli.common import WorkspaceOpt, err, load, out

codes_app = typer.Typer(
    help="Code lists: crosswalk suggestions, SKOS export and import.", no_args_is_help=True
)


@codes_app.command("suggest")
def codes_suggest(
    codelist: Annotated[str, typer.Argument(help="The canonical code list id.")],
    target: Annotated[str, typer.Argument(help="DATASET.FIELD whose local codes to map.")],
    directory: WorkspaceOpt = Path("."),
    accept: Annotated[
        bool,
        typer.Option(help="Write each value's best candidate into the code list's YAML file."),
    ] = False,
    min_score: Annotated[
        float, typer.Option(help="With --accept, only candidates at least this good.")
    ] = 0.6,
) -> None:
    """Local values with no crosswalk entry, each with ranked canonical candidates.

    Candidates come from label similarity across languages and scripts, abbreviations,
    numeric position, other datasets' mappings and copybook 88-level names. With
    --accept the chosen entries are written into codelists/<id>.yaml (comments kept) so
    the change can be reviewed in git.
    """
    from seamline.codes import accept as accept_mapping
    from seamline.codes import suggest
    from seamline.codes.seen import copybook_labels, split_target, values_seen

    ws = load(directory)
    dataset_id, column = split_target(target)
    seen = values_seen(ws, dataset_id, column)
    found = suggest(
        ws, codelist, dataset_id, column, seen, labels=copybook_labels(ws, dataset_id, column)
    )
    if not found:
        out.print(f"Every value of {target} is mapped in {codelist}.")
        return
    table = Table(
        title=f"{target} -> {codelist}: {len(found)} unmapped values", title_justify="left"
    )
    for col in ("local value", "rows", "candidates (score: reasons)"):
        table.add_column(col, overflow="fold")
    for sug in found:
        table.add_row(
            sug.local,
            f"{sug.count:,}",
            "\n".join(f"{c.code} {c.score:.2f}: {'; '.join(c.reasons)}" for c in sug.candidates[:3])
            or "(no candidate)",
        )
    out.print(table)
    if accept:
        chosen = {
            s.local: s.best.code for s in found if s.best is not None and s.best.score >= min_score
        }
        if not chosen:
            out.print(f"No candidate scored {min_score} or more; nothing written.")
            return
        path = accept_mapping(ws.root, codelist, dataset_id, column, chosen)
        out.print(f"Wrote {len(chosen)} entries into {path}; review with `git diff`.")


@codes_app.command("export")
def codes_export(
    codelist: Annotated[str, typer.Argument(help="The code list id (or iso3166_1, iso3166_2).")],
    directory: WorkspaceOpt = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Write a code list and its crosswalks as SKOS (Turtle)."""
    from seamline.codes import resolve_codelist, to_turtle

    text = to_turtle(resolve_codelist(load(directory), codelist))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {codelist} to {output}")


@codes_app.command("import")
def codes_import(
    path: Annotated[Path, typer.Argument(help="A SKOS file (Turtle, RDF/XML, JSON-LD).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the YAML to FILE.")
    ] = None,
    scheme: Annotated[
        str | None, typer.Option(help="The concept scheme to import when the file has several.")
    ] = None,
) -> None:
    """Turn a SKOS concept scheme into a codelists/*.yaml file."""
    import io

    from ruamel.yaml import YAML

    from seamline.codes import import_skos

    spec = import_skos(path, scheme=scheme)
    yaml = YAML()
    yaml.default_flow_style = None
    buffer = io.StringIO()
    yaml.dump(spec.model_dump(mode="json", exclude_defaults=True), buffer)
    if output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        output.write_text(buffer.getvalue(), encoding="utf-8")
        err.print(f"wrote code list {spec.id} ({len(spec.codes)} codes) to {output}")
