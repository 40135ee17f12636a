"""Reading data ad hoc: `seamline read` and `seamline copybook`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from seamline.cli.common import WorkspaceOpt, err, load, out, print_rows
from seamline.errors import UsageError

if TYPE_CHECKING:
    from seamline.sources.base import SourceOptions
    from seamline.workspace import Workspace


def read(
    target: Annotated[
        str,
        typer.Argument(help="A dataset or derived dataset id, or with --copybook a data file."),
    ],
    workspace: WorkspaceOpt = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to .parquet, .jsonl or .csv.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    record: Annotated[
        list[int] | None,
        typer.Option(
            min=1,
            help="Show the landed record with this number (_record_no; repeatable), as the "
            "reconcile report names records (tax_payers #134).",
        ),
    ] = None,
    copybook: Annotated[
        Path | None,
        typer.Option(help="Read TARGET as a mainframe file described by this copybook."),
    ] = None,
    encoding: Annotated[str, typer.Option(help="Code page of a mainframe file.")] = "cp037",
    record_format: Annotated[
        str, typer.Option(help="F, FB, V, VB (with block descriptors), VBS or D (text lines).")
    ] = "F",
    rdw_little_endian: Annotated[bool, typer.Option(help="RDW headers are little-endian.")] = False,
    rdw_includes_header: Annotated[
        bool,
        typer.Option(
            help="RDW and BDW lengths count their own 4 bytes, as z/OS writes them; "
            "--no-rdw-includes-header for files whose lengths count only the data."
        ),
    ] = True,
    landed: Annotated[
        bool,
        typer.Option("--landed", help="Read the dataset's current landed state, not its source."),
    ] = False,
) -> None:
    """Read one dataset (or a mainframe file ad hoc) and show or write its records.

    A derived dataset's id reads its computed output (derived/<id>.parquet): with
    --output this exports it to Parquet, JSON lines or CSV.
    """
    from seamline.plugins import default_registry
    from seamline.sources.base import ReadContext, Reader
    from seamline.sources.export import export

    landed_reader: Reader[Any] | None = None
    if copybook is not None:
        options_model = default_registry().connector("copybook").options_model
        options = _validated(
            options_model,
            kind="copybook",
            path=str(Path(target).resolve()),
            copybook=str(copybook.resolve()),
            encoding=encoding,
            record_format=record_format,
            rdw_big_endian=not rdw_little_endian,
            rdw_includes_header=rdw_includes_header,
        )
        context = ReadContext(base_dir=Path.cwd(), limit=limit)
        reader_cls = default_registry().connector("copybook")
    elif landed:
        from seamline.sources.base import SourceOptions
        from seamline.sources.deliveries import StateReader

        ws = load(workspace)
        spec = ws.dataset(target)
        options = SourceOptions(kind="landed")
        context = ReadContext(base_dir=ws.data_dir, dataset=spec.id, limit=limit)
        reader_cls = StateReader
        landed_reader = StateReader(options, context, files=ws.parquet)
    elif target in (ws := load(workspace)).derived:
        from seamline.derive.reader import DerivedReader
        from seamline.sources.base import SourceOptions

        options = SourceOptions(kind="derived")
        context = ReadContext(base_dir=ws.data_dir, dataset=target, limit=limit)
        reader_cls = DerivedReader
        landed_reader = DerivedReader(options, context, files=ws.parquet)
    else:
        spec = ws.dataset(target)
        if record:
            _print_preview(_landed_records(ws, spec.id, record))
            return
        options = ws.sources[spec.id]
        context = ReadContext(base_dir=ws.root, dataset=spec.id, limit=limit)
        reader_cls = default_registry().connector(options.kind)
    reader = landed_reader or reader_cls(options, context)
    result = export(reader, output, limit=limit)
    if output is None:
        _print_preview(result.preview)
    err.print(
        f"read {result.read:,} records: {result.written:,} accepted, {result.quarantined:,} quarantined"
        + (f"; wrote {output}" if output else "")
        + (f"; quarantine in {result.quarantine}" if result.quarantine else "")
    )


def _landed_records(ws: Workspace, dataset: str, numbers: list[int]) -> list[dict[str, Any]]:
    """The records of the current landing of ``dataset`` with these ``_record_no``."""
    from seamline.sources.deliveries import current_state

    path = current_state(ws.data_dir, dataset)
    if path is None:
        raise UsageError(
            f"{dataset} has not landed yet, so it has no record numbers",
            hint=f"Run `seamline run {ws.root}` first.",
        )
    rows: list[dict[str, Any]] = ws.parquet.read_table(
        path, filters=[("_record_no", "in", list(numbers))]
    ).to_pylist()
    missing = sorted(set(numbers) - {int(r["_record_no"]) for r in rows})
    if missing:
        err.print(
            f"No record {', '.join(f'#{n}' for n in missing)} in the current landing of "
            f"{dataset}, which holds {ws.parquet.num_rows(path):,} records.",
            markup=False,
        )
    return rows


def _validated(model: type[SourceOptions], **values: Any) -> SourceOptions:
    """``values`` as ``model``'s options; the first invalid one is a usage error."""
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(
            f"bad option {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        ) from None


def _print_preview(rows: list[dict[str, Any]]) -> None:
    """Records as a table when every value fits whole, else one block per record."""
    if not rows:
        out.print("(no records)")
        return
    print_rows([{k: "" if v is None else str(v) for k, v in row.items()} for row in rows])


def copybook_layout(
    path: Annotated[Path, typer.Argument(help="A COBOL copybook (.cpy, .cob).")],
) -> None:
    """Print a copybook's decoded layout: field, level, offset, length and type."""
    from seamline.sources.copybook import layout_table, load_copybook

    layout = load_copybook(path)
    rows = layout_table(layout)
    table = Table(title=str(path), title_justify="left")
    for key in ("field", "level", "start", "end", "length", "type"):
        table.add_column(
            key, justify="right" if key in {"level", "start", "end", "length"} else "left"
        )
    for row in rows:
        table.add_row(
            *[str(row.get(k, "")) for k in ("field", "level", "start", "end", "length", "type")]
        )
    out.print(table)
