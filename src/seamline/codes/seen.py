"""What a dataset column holds: its values with counts, and copybook 88-level names."""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp

from seamline.errors import SourceError, UsageError, did_you_mean
from seamline.plugins import default_registry
from seamline.workspace.datafolder import state_path
from seamline.workspace.loader import Workspace


def split_target(target: str) -> tuple[str, str]:
    """``DATASET.FIELD`` into its two parts."""
    if "." not in target:
        raise UsageError(
            f"{target!r} is not DATASET.FIELD",
            hint="name the column as dataset.column, e.g. civil_persons.MARITAL_CD",
        )
    dataset, column = target.split(".", 1)
    return dataset, column


def values_seen(
    ws: Workspace, dataset_id: str, column: str, limit: int = 500
) -> list[tuple[str, int]]:
    """The column's distinct non-blank values in the landing zone, as written, most
    frequent first (matching them to a code list is :mod:`seamline.workspace.crosswalk`'s)."""
    ws.dataset(dataset_id)
    path = state_path(ws.data_dir, dataset_id)
    if not path.is_file():
        raise SourceError(
            f"nothing landed for {dataset_id} yet",
            hint=f"run `seamline run {ws.root}` first",
        )
    names = [n for n in ws.parquet.read_schema(path).names if not n.startswith("_")]
    if column not in names:
        guess = did_you_mean(column, names)
        raise UsageError(
            f"dataset {dataset_id} has no column {column!r}"
            + (f" (did you mean {guess!r}?)" if guess else ""),
            allowed=", ".join(names),
        )
    value = exp.cast(exp.column(column, quoted=True), "VARCHAR")
    blank = exp.EQ(this=exp.Trim(this=value.copy()), expression=exp.Literal.string(""))
    query = (
        exp.select(exp.alias_(value, "v"), exp.alias_(exp.Count(this=exp.Star()), "n"))
        .from_("landing")
        .where(
            exp.and_(
                exp.Not(this=exp.Is(this=exp.column(column, quoted=True), expression=exp.Null())),
                exp.Not(this=blank),
            )
        )
        .group_by(exp.Literal.number(1))
        .order_by(exp.Ordered(this=exp.column("n"), desc=True), exp.column("v"))
        .limit(limit)
    )
    # The embedded engine even on `engine: spark`: one column grouped, at most `limit`
    # values back, asked by a command or a web page (once per coded column). Measured on
    # a 20-million-row landing file (110 MB): 0.3 s here; Spark local[2] on the same
    # 2-core machine, 25 s to start its session, then 81 s for the first query and 16 s
    # for the next (docs/scale.md, What runs where).
    with ws.parquet.engine() as engine:
        ws.parquet.view(engine, "landing", path)
        return [(str(v), int(n)) for v, n in engine.rows(query)]


def copybook_labels(ws: Workspace, dataset_id: str, column: str) -> dict[str, str]:
    """Names the source's layout gives the column's values (a copybook's level 88)."""
    source = ws.sources.get(dataset_id)
    if source is None:
        return {}
    reader = default_registry().connectors.get(source.kind)
    return reader.value_labels(source, Path(ws.root), column) if reader else {}
