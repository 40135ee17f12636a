"""Compute one derived dataset: its query on the engine, written atomically through ``ws.parquet``.

Each table the query names becomes a view of the same name over the file it resolves to
(:func:`seamline.workspace.derived.resolve`), so the parsed tree runs as written; the
engine writes the result to a temporary file beside the output, which then replaces the
output in one rename. A query that fails leaves the previous output in place.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from seamline.engine import EngineError
from seamline.errors import SeamlineError
from seamline.workspace.derived import (
    Input,
    QueryProblem,
    derived_path,
    parse_query,
    reconcile_ids,
    resolve,
    tables_of,
)
from seamline.workspace.derived_checks import sql_where
from seamline.workspace.loader import Workspace


class DeriveError(SeamlineError):
    """A derived dataset could not be computed."""


@dataclass
class DerivedResult:
    derived: str
    path: Path
    rows: int
    columns: list[str]
    inputs: list[Input] = field(default_factory=list)
    seconds: float = 0.0


def inputs_of(ws: Workspace, ident: str) -> list[Input]:
    """What the query of ``ident`` reads; a DeriveError when it cannot (the spec is
    validated on load, so only a file changed since then gets here)."""
    spec = ws.derived[ident]
    try:
        tables = tables_of(parse_query(spec.sql))
    except QueryProblem as exc:
        raise DeriveError(f"{ident}: {exc.message}", where=sql_where(ws, ident)) from None
    reconciled = reconcile_ids(ws.root)
    out = []
    for table in tables:
        found = resolve(ws, table, reconciled)
        if found is None:
            raise DeriveError(
                f"{ident}: the SQL reads an unknown table {table!r}",
                where=sql_where(ws, ident),
                hint="Run `seamline validate` to see what the tables may be.",
            )
        out.append(found)
    return out


def derive_one(ws: Workspace, ident: str) -> DerivedResult:
    """Run the query of the derived dataset ``ident`` and write ``derived/<id>.parquet``."""
    started = time.perf_counter()
    spec = ws.derived[ident]
    inputs = inputs_of(ws, ident)
    for src in inputs:
        if not src.path.is_file():
            run = "`seamline run`" if src.kind != "derived" else f"the derived dataset {src.table}"
            raise DeriveError(
                f"{ident} reads {src.table}, which has no {src.what} yet ({src.path})",
                hint=f"Compute it first: {run}.",
            )
    tree = parse_query(spec.sql)
    path = derived_path(ws.data_dir, ident)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with ws.engine() as engine:
            for src in inputs:
                ws.parquet.view(engine, src.table, src.path)
            ws.parquet.copy(engine, tree, partial)
        os.replace(partial, path)
    except EngineError as exc:
        raise DeriveError(
            f"the query of {ident} failed: {exc.message.split(': ', 1)[-1]}",
            where=sql_where(ws, ident),
            hint="Fix the SQL, then run `seamline derive` again.",
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    schema = ws.parquet.read_schema(path)
    return DerivedResult(
        ident,
        path,
        ws.parquet.num_rows(path),
        list(schema.names),
        inputs,
        time.perf_counter() - started,
    )
