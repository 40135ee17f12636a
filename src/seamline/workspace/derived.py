"""Derived datasets (``derived/*.yaml``): SQL over harmonized, reference and other derived data.

A derived dataset is a query, written as SQL text and parsed with sqlglot (read dialect
``duckdb``), whose table names are ids of the workspace: a dataset id reads its
harmonized file, a reconcile spec id its golden records, a derived id another derived
dataset's output. The tables found in the parsed tree are its lineage and give the
order in which the derive stage computes them. This module holds the spec model, the
resolution of table names and the lineage order; the checks ``seamline validate`` runs
are in :mod:`seamline.workspace.derived_checks`, the stage in :mod:`seamline.derive`.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import sqlglot
from pydantic import Field, field_validator
from sqlglot import exp
from sqlglot.errors import ParseError

from seamline.workspace.models import ContractSpec
from seamline.workspace.periods import check_period
from seamline.workspace.specbase import Sensitivity, Spec
from seamline.workspace.yamlpos import load_yaml

if TYPE_CHECKING:
    from seamline.workspace.loader import Workspace

KIND = "derived"
"""The kind of a derived dataset in ``Workspace.origins``."""
FOLDER = "derived"
READ_DIALECT = "duckdb"
"""The SQL dialect derived queries are read in (sqlglot's name); written out for the engine."""
DERIVED_ID = r"^[a-z0-9][a-z0-9_]*$"
"""Stricter than other ids (no ``-``): the id is also a table name in other queries."""


class DerivedOwner(Spec):
    """The accountable owner of a derived dataset."""

    agency: str
    """An agency of ``agencies.yaml``, by id or by name."""
    contact: str | None = None
    """Who to ask: an e-mail address or a name."""
    name: str | None = None
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class DerivedSpec(Spec):
    """``derived/*.yaml``: a dataset computed by SQL from the workspace's other data."""

    id: str = Field(pattern=DERIVED_ID)
    title: str
    description: str = ""
    owner: str | DerivedOwner
    """An agency id, as a dataset's ``owner``, or ``{agency, contact}``."""
    steward: str | None = None
    entity: str | None = None
    """The canonical entity the rows conform to, if any."""
    primary_key: list[str] = Field(default_factory=list)
    """Columns whose values together identify a row: checked unique and not null."""
    sensitivity: Sensitivity = "internal"
    sql: str
    """One SELECT (or WITH ... SELECT) query; table names are workspace ids."""
    contract: ContractSpec = Field(default_factory=ContractSpec)
    retention: str | None = None
    """How long the output is kept (an ISO 8601 duration). The output is recomputed from
    its inputs on every run, so it holds what the inputs' retention has kept."""

    _period = field_validator("retention")(check_period)

    @property
    def owner_agency(self) -> str:
        return self.owner if isinstance(self.owner, str) else self.owner.agency

    @property
    def owner_contact(self) -> str | None:
        if isinstance(self.owner, str):
            return None
        return self.owner.contact or self.owner.name or self.owner.email


# -- where things are --------------------------------------------------------------


def derived_path(data_dir: Path, ident: str) -> Path:
    return data_dir / "derived" / f"{ident}.parquet"


InputKind = Literal["dataset", "reference", "derived"]


@dataclass(frozen=True)
class Input:
    """One table a derived query reads: its name, what it is and its file."""

    table: str
    kind: InputKind
    path: Path

    @property
    def what(self) -> str:
        return {
            "dataset": "harmonized data",
            "reference": "golden records",
            "derived": "derived data",
        }[self.kind]


def reconcile_ids(root: Path) -> list[str]:
    """The ids of ``reconcile/*.yaml`` (``id:``, else the file name), or ``person``, the
    default spec, when there are none: the names a query may use for golden records.

    Read here, not through :mod:`seamline.reconcile` (a stage the workspace layer must
    not import); the rule is ``reconcile.spec.load_reconcile_specs``'s.
    """
    folder = root / "reconcile"
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    ids = []
    for path in files:
        data, _pos, problems = load_yaml(path, str(path))
        given = data.get("id") if isinstance(data, dict) and not problems else None
        ids.append(str(given) if given else path.stem.replace(".", "_").lower())
    return ids or ["person"]


def resolve(ws: Workspace, table: str, reconciled: list[str] | None = None) -> Input | None:
    """What a table name of a derived query reads; None when it names nothing."""
    if table in ws.datasets:
        return Input(table, "dataset", ws.data_dir / "harmonized" / f"{table}.parquet")
    if table in (reconcile_ids(ws.root) if reconciled is None else reconciled):
        return Input(table, "reference", ws.data_dir / "reference" / f"{table}.parquet")
    if table in ws.derived:
        return Input(table, "derived", derived_path(ws.data_dir, table))
    return None


# -- the query -----------------------------------------------------------------------


class QueryProblem(Exception):
    """A derived query that cannot be used; ``line``/``column`` are within the SQL text."""

    def __init__(self, message: str, line: int = 0, column: int = 0, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.line, self.column, self.hint = message, line, column, hint


def parse_query(sql: str) -> exp.Query:
    """The query as a sqlglot tree; raises QueryProblem for a syntax error, several
    statements or anything but a SELECT."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=READ_DIALECT) if t is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise QueryProblem(
            f"the SQL does not parse: {first.get('description') or exc}",
            int(first.get("line") or 0),
            int(first.get("col") or 0),
        ) from None
    if len(trees) != 1:
        raise QueryProblem(
            f"the SQL holds {len(trees)} statements; a derived dataset is one query",
            hint="Write one SELECT (use WITH for intermediate steps).",
        )
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        raise QueryProblem(
            f"the SQL is a {tree.key.upper()} statement; only SELECT and WITH queries are allowed",
            hint="A derived dataset reads data; seamline writes its output.",
        )
    return tree


def tables_of(tree: exp.Expr) -> list[str]:
    """The workspace tables the query reads, in order of appearance (CTEs left out).

    Raises QueryProblem for a table function (``read_csv(...)``) or a qualified
    name: a query reads the workspace's data by id, never files or other catalogs.
    """
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found: list[str] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise QueryProblem(
                f"the SQL reads {table.this.sql(dialect=READ_DIALECT)!r}; a derived query "
                "reads datasets by id, not files or table functions"
            )
        if table.args.get("db") or table.args.get("catalog"):
            raise QueryProblem(
                f"the SQL reads {table.sql(dialect=READ_DIALECT)!r}: write the bare id, "
                "without a schema or catalog"
            )
        name = table.name
        if name not in ctes and name not in found:
            found.append(name)
    # The tree's own order puts WITH after FROM: order by where each is first written.
    text = tree.sql(dialect=READ_DIALECT)
    return sorted(found, key=lambda name: word_at(text, name))


def output_columns(tree: exp.Query) -> list[str] | None:
    """The query's column names, or None when it selects ``*`` (known only when run)."""
    if any(isinstance(e, exp.Star) or e.is_star for e in tree.selects):
        return None
    return list(tree.named_selects)


def word_at(text: str, word: str) -> int:
    """Where ``word`` first stands as a whole word in ``text`` (ignoring case), or -1."""
    low, target = text.lower(), word.lower()
    start = low.find(target)
    while start >= 0:
        before = low[start - 1] if start else " "
        end = start + len(target)
        after = low[end] if end < len(low) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return start
        start = low.find(target, start + 1)
    return -1


def lineage(ws: Workspace, ident: str) -> list[str]:
    """The tables the derived dataset ``ident`` reads (empty when its SQL does not parse)."""
    try:
        return tables_of(parse_query(ws.derived[ident].sql))
    except QueryProblem:
        return []


def derived_order(ws: Workspace) -> list[str]:
    """The derived ids, each after the derived datasets it reads (validated: no cycle)."""
    graph = {d: [t for t in lineage(ws, d) if t in ws.derived] for d in sorted(ws.derived)}
    return list(TopologicalSorter(graph).static_order())
