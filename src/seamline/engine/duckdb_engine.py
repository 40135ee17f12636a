"""DuckDB, embedded: the default engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from seamline.errors import SeamlineError

DIALECT = "duckdb"


class EngineError(SeamlineError):
    """The engine could not run a statement."""


class Engine:
    """A DuckDB connection that runs sqlglot trees and returns Arrow."""

    dialect = DIALECT

    def __init__(
        self,
        database: str | Path = ":memory:",
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        config: dict[str, str | bool | int | float | list[str]] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self._con = duckdb.connect(str(database), config=config)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    @staticmethod
    def render(statement: exp.Expr) -> str:
        """The SQL text of a tree in this engine's dialect (for --explain and logs)."""
        return statement.sql(dialect=DIALECT, pretty=True)

    def _run(self, statement: exp.Expr | str, params: Sequence[Any] | None) -> Any:
        sql = statement if isinstance(statement, str) else statement.sql(dialect=DIALECT)
        try:
            return self._con.sql(sql, params=list(params) if params is not None else None)
        except duckdb.Error as exc:
            raise EngineError(
                f"the engine could not run a statement: {exc}",
                hint="Run with --debug to see the SQL.",
            ) from exc

    def execute(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> None:
        """Run a statement for its effect. Text must carry values as ``?`` parameters."""
        self._run(statement, params)

    def arrow(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""
        relation = self._run(statement, params)
        if relation is None:
            raise EngineError("the statement returned no rows; use execute() for statements")
        table: pa.Table = relation.to_arrow_table()
        return table

    def rows(
        self, statement: exp.Expr | str, params: Sequence[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples (for small results)."""
        relation = self._run(statement, params)
        rows: list[tuple[Any, ...]] = relation.fetchall() if relation is not None else []
        return rows

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under ``name``."""
        self._con.register(name, table)

    def parquet_view(self, name: str, path: Path) -> None:
        """A view ``name`` over a Parquet file (the path is a bound literal, never spliced text)."""
        select = exp.select("*").from_(exp.func("read_parquet", exp.Literal.string(str(path))))
        view = exp.Create(
            this=exp.to_table(name, quoted=True),
            kind="VIEW",
            replace=True,
            expression=select,
        )
        self._run(view, None)

    def copy_to_parquet(self, query: exp.Expr, path: Path) -> None:
        """Write a query's result to a Parquet file, streaming inside the engine."""
        try:
            self._con.sql(query.sql(dialect=DIALECT)).write_parquet(str(path), compression="zstd")
        except duckdb.Error as exc:
            raise EngineError(f"the engine could not write {path}: {exc}") from exc


def parse(sql: str) -> exp.Expr:
    """Parse engine-neutral SQL into a tree (used by tests and golden files)."""
    tree: exp.Expr = sqlglot.parse_one(sql, read=DIALECT)
    return tree
