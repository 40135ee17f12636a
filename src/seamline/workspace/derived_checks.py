"""``seamline validate`` on derived datasets: ids, owners, queries, tables and cycles,
each problem at its file:line:column (inside the query, for a syntax error)."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from seamline.errors import did_you_mean
from seamline.workspace.derived import (
    FOLDER,
    KIND,
    QueryProblem,
    output_columns,
    parse_query,
    reconcile_ids,
    tables_of,
    word_at,
)
from seamline.workspace.issues import Issue
from seamline.workspace.pydantic_issues import allowed_list

if TYPE_CHECKING:
    from seamline.workspace.loader import Workspace


def _sql_position(ws: Workspace, ident: str, line: int, column: int) -> tuple[int, int]:
    """The file line and column of (line, column) of the query of ``ident``."""
    origin = ws.origin(KIND, ident)
    if origin is None:
        return 0, 0
    vline, vcol = origin.at("sql")
    if not line:
        return vline, vcol
    try:
        lines = (ws.root / origin.path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return vline, vcol
    head = lines[vline - 1][vcol - 1 :].strip() if vline <= len(lines) else ""
    if head[:1] in ("|", ">"):  # a block scalar: the query starts on the next line
        body = lines[vline + line - 1] if vline + line - 1 < len(lines) else ""
        block = lines[vline] if vline < len(lines) else ""
        indent = len(block) - len(block.lstrip())
        return vline + line, indent + column if body else vcol
    return vline + line - 1, (vcol + column - 1 if line == 1 else column)


def sql_where(ws: Workspace, ident: str) -> str | None:
    """``file:line:column`` of the first line of the query of ``ident`` (for run-time errors)."""
    origin = ws.origin(KIND, ident)
    if origin is None:
        return None
    line, column = _sql_position(ws, ident, 1, 1)
    return f"{origin.path}:{line}:{column}"


class _Checks:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.issues: list[Issue] = []

    def add(
        self,
        ident: str,
        loc: tuple[str | int, ...],
        message: str,
        *,
        allowed: str | None = None,
        hint: str | None = None,
        at: tuple[int, int] | None = None,
    ) -> None:
        origin = self.ws.origin(KIND, ident)
        path = origin.path if origin else f"{FOLDER}/{ident}.yaml"
        line, column = at or (origin.at(*loc) if origin else (0, 0))
        self.issues.append(Issue(path, line, column, message, allowed, hint or None))


def derived_issues(ws: Workspace) -> list[Issue]:
    """Every problem of the workspace's derived datasets: ids, owners, queries, lineage."""
    c = _Checks(ws)
    reconciled = reconcile_ids(ws.root)
    names = sorted({*ws.datasets, *reconciled, *ws.derived})
    agencies = {a: a for a in ws.agencies} | {s.name: a for a, s in ws.agencies.items()}
    graph: dict[str, list[str]] = {}
    for did, spec in ws.derived.items():
        if did in ws.datasets:
            c.add(did, ("id",), f"id {did!r} is also a dataset's id", hint="Rename one of them.")
        elif did in reconciled:
            c.add(
                did,
                ("id",),
                f"id {did!r} is also a reconcile spec's id (its golden records)",
                hint="Rename the derived dataset.",
            )
        if spec.owner_agency not in agencies and "agencies" not in ws.incomplete:
            guess = did_you_mean(spec.owner_agency, list(agencies))
            loc = ("owner",) if isinstance(spec.owner, str) else ("owner", "agency")
            c.add(
                did,
                loc,
                f"unknown owner agency {spec.owner_agency!r}"
                + (f" (did you mean {guess!r}?)" if guess else ""),
                allowed=allowed_list(sorted(ws.agencies)) if ws.agencies else "none defined",
                hint="Agencies are declared in agencies.yaml.",
            )
        if spec.entity is not None and spec.entity not in ws.entities:
            c.add(
                did,
                ("entity",),
                f"unknown entity {spec.entity!r}",
                allowed=allowed_list(sorted(ws.entities)),
            )
        try:
            tree = parse_query(spec.sql)
            tables = tables_of(tree)
        except QueryProblem as exc:
            c.add(
                did,
                ("sql",),
                exc.message,
                hint=exc.hint,
                at=_sql_position(ws, did, exc.line, exc.column),
            )
            continue
        graph[did] = [t for t in tables if t in ws.derived and t not in ws.datasets]
        for table in tables:
            if table in names:
                continue
            if "datasets" in ws.incomplete or "derived" in ws.incomplete:
                continue  # it may be defined by the file that could not be read
            guess = did_you_mean(table, names)
            c.add(
                did,
                ("sql",),
                f"the SQL reads an unknown table {table!r}"
                + (f" (did you mean {guess!r}?)" if guess else ""),
                allowed=allowed_list(names) if names else "none defined",
                hint="A table is a dataset id (its harmonized data), a reconcile spec id "
                "(its golden records) or a derived dataset id.",
                at=_table_position(ws, did, spec.sql, table),
            )
        columns = output_columns(tree)
        for i, key in enumerate(spec.primary_key):
            if columns is not None and key not in columns:
                c.add(
                    did,
                    ("primary_key", i),
                    f"primary key column {key!r} is not a column of the query",
                    allowed=allowed_list(columns),
                )
    for cycle in _cycles(graph):
        first = cycle[0]
        c.add(
            first,
            ("sql",),
            "derived datasets read each other in a cycle: " + " -> ".join(cycle),
            hint="A derived dataset may read another only if that one does not read it back.",
        )
    return c.issues


def _table_position(ws: Workspace, ident: str, sql: str, table: str) -> tuple[int, int]:
    """Where ``table`` first appears in the query text, as a file position."""
    for n, text in enumerate(sql.splitlines(), start=1):
        at = word_at(text, table)
        if at >= 0:
            return _sql_position(ws, ident, n, at + 1)
    return _sql_position(ws, ident, 0, 0)


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle among derived datasets once (graphlib finds one at a time)."""
    out: list[list[str]] = []
    left = dict(graph)
    while True:
        try:
            TopologicalSorter(left).prepare()
            return out
        except CycleError as exc:
            cycle = list(exc.args[1])[::-1]  # graphlib lists it against the arrows
            out.append(cycle)
            for node in set(cycle):
                left.pop(node, None)
            left = {k: [d for d in v if d in left or d not in graph] for k, v in left.items()}
