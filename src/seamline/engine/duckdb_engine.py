"""DuckDB, embedded: the default engine."""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import duckdb.func as duckdb_func
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from seamline.engine.base import EngineError, Linkage, parquet_parts

DIALECT = "duckdb"

SPILL_DIR = Path(tempfile.gettempdir()) / "seamline-spill"
"""Where engines spill intermediate results that do not fit their memory limit. DuckDB's
own default is ``.tmp`` in the working directory, which would litter the user's folder."""


def _set(con: Any, name: str, value: exp.Expr) -> None:
    setting = exp.SetItem(this=exp.EQ(this=exp.column(name), expression=value))
    con.execute(exp.Set(expressions=[setting]).sql(dialect=DIALECT))


def adopt(con: Any, directory: Path, *, encrypt: bool = False) -> bool:
    """Set up a DuckDB connection a library opened (Splink's) as the engine's own: spill
    to ``directory``, and no progress bar of DuckDB's on the user's terminal.

    With ``encrypt``, spill files are encrypted when this DuckDB can: its
    ``temp_file_encryption`` writes with the crypto of the ``httpfs`` extension (OpenSSL)
    and refuses, at the first spill, with only its built-in read-only one. So it is set
    only when ``httpfs`` is installed and loads; returns whether it was set.
    """
    _set(con, "temp_directory", exp.Literal.string(str(directory)))
    _set(con, "enable_progress_bar", exp.false())
    if not encrypt or not _load_httpfs(con):
        return False
    _set(con, "temp_file_encryption", exp.true())
    return True


def _load_httpfs(con: Any) -> bool:
    """Load ``httpfs`` if it is installed already (never downloads it)."""
    found = con.execute(
        "SELECT installed FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
    ).fetchall()
    if not found or not found[0][0]:
        return False
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error:
        return False
    return True


def _as_written(sql: str) -> str:
    return sql


class DuckDBEngine:
    """A DuckDB connection that runs sqlglot trees and returns Arrow."""

    dialect = DIALECT
    where = "the embedded DuckDB engine"
    in_process = True

    def __init__(
        self,
        database: str | Path = ":memory:",
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: Path | None = None,
        encrypt_temp: bool = False,
    ) -> None:
        config: dict[str, str | bool | int | float | list[str]] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self._con = duckdb.connect(str(database), config=config)
        # Spill folder, and no bar of DuckDB's on the terminal for queries over two
        # seconds, across ours (harmonize) or a command's output: the caller shows progress.
        self.temp_directory = temp_directory or SPILL_DIR
        self._encrypt_temp = encrypt_temp
        self.temp_encrypted = adopt(self._con, self.temp_directory, encrypt=encrypt_temp)
        """Whether spill files are encrypted (asked for with ``encrypt_temp``, see adopt)."""

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def linkage(self) -> Linkage:
        """Splink's DuckDB backend on a connection of its own, spilling where this engine
        spills; conditions as written."""
        from splink import DuckDBAPI

        from seamline.engine.splink_dialects import duckdb_same_hash

        api = DuckDBAPI()
        api.sql_dialect = duckdb_same_hash()  # the samples Spark's backend draws too
        adopt(api.duckdb_con, self.temp_directory, encrypt=self._encrypt_temp)
        return Linkage(api, _as_written)

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

    def register_batches(self, name: str, reader: pa.RecordBatchReader) -> None:
        """Make a stream of record batches queryable under ``name``, read once, in order.

        The engine pulls batches as the query needs them, so a stream larger than memory
        is fine; the producer runs while the engine works on earlier batches.
        """
        self._con.register(name, reader)

    def map_batches(
        self,
        name: str,
        query: exp.Expr,
        function: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]],
        keep: Sequence[str],
        added: pa.Schema,
    ) -> None:
        """The query's result, read into memory, through ``function`` in this process.

        Streaming stages read with an engine of their own instead (a connection cannot
        read a stream of its own results): see ``seamline.harmonize.prepass``.
        """
        table = self.arrow(query)
        schema = pa.schema([*(table.schema.field(c) for c in keep), *added])
        batches = function(iter(table.to_batches()))
        self.register_arrow(name, pa.Table.from_batches(list(batches), schema=schema))

    def batches(self, statement: exp.Expr, rows: int) -> pa.RecordBatchReader:
        """Stream a query's result as record batches of about ``rows`` rows, in order.

        The engine produces batches as they are read; the reader holds this connection
        until it is read out or closed.
        """
        relation = self._run(statement, None)
        if relation is None:
            raise EngineError("the statement returned no rows; use execute() for statements")
        reader: pa.RecordBatchReader = relation.to_arrow_reader(rows)
        return reader

    def register_udf(
        self,
        name: str,
        function: Callable[[pa.Array[Any]], pa.StructArray],
        parameter: pa.DataType,
        value_type: pa.DataType,
    ) -> None:
        """A vectorized function ``name(x) -> STRUCT(value, flag VARCHAR)`` over Arrow batches.

        ``function`` receives a whole batch as one Arrow array and returns a struct array
        with the fields ``value`` (of ``value_type``) and ``flag`` (text, null when fine).
        """

        # Annotated with Any: DuckDB evaluates the annotations, and pyarrow's classes are
        # not subscriptable at run time.
        def call(values: Any) -> Any:
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            return function(values)

        returns = duckdb.struct_type({"value": _sqltype(value_type), "flag": _sqltype(pa.string())})
        with contextlib.suppress(duckdb.Error):  # not registered yet
            self._con.remove_function(name)
        self._con.create_function(
            name,
            call,
            [_sqltype(parameter)],
            returns,
            type=duckdb_func.PythonUDFType.ARROW,
            null_handling=duckdb_func.FunctionNullHandling.SPECIAL,
        )

    def parquet_view(self, name: str, paths: Sequence[Path]) -> None:
        """A view ``name`` over Parquet files in clear, several united by column name
        (paths are bound literals, never spliced text); a directory reads as its parts.

        Call it through ``seamline.crypto.parquet.ParquetFiles.view``, which checks that the files
        are in clear and reads encrypted ones through :meth:`dataset_view`.
        """
        # A directory is its part files, listed here rather than globbed (a glob would read
        # a path's own brackets or stars as patterns); they are read in name order.
        parts = [part for p in paths for part in parquet_parts(p)]
        if not parts:
            raise EngineError(f"no Parquet files in {paths[0]}")
        files: exp.Expr = exp.Literal.string(str(parts[0]))
        args: list[exp.Expr] = []
        if len(parts) > 1:
            files = exp.Array(expressions=[exp.Literal.string(str(p)) for p in parts])
        if len(paths) > 1:  # the parts of one directory share its schema
            args = [exp.EQ(this=exp.column("union_by_name"), expression=exp.true())]
        select = exp.select("*").from_(exp.Table(this=exp.ReadParquet(expressions=[files, *args])))
        view = exp.Create(
            this=exp.to_table(name, quoted=True),
            kind="VIEW",
            replace=True,
            expression=select,
        )
        self._run(view, None)

    def dataset_view(self, name: str, dataset: Any) -> None:
        """Make a pyarrow dataset queryable under ``name``; it is scanned on each query,
        with the query's columns and filters pushed down to it."""
        self._con.register(name, dataset)

    def copy_to_parquet(
        self,
        query: exp.Expr,
        path: Path,
        *,
        open_writer: Callable[..., pq.ParquetWriter],
        row_group_rows: int = 131_072,
        order: str | None = None,
    ) -> None:
        """Write a query's result to a Parquet file, in order, streaming.

        The rows keep the query's order (``order`` is not needed: DuckDB keeps the
        order rows are read in, and a query whose joins reorder them sorts itself).

        ``open_writer(path, schema, **options)`` opens the pyarrow writer; it is
        ``seamline.crypto.parquet.ParquetFiles.writer``, which decides on encryption.

        The engine's batches go to pyarrow's writer, one row group each: with insertion
        order kept, DuckDB's own writer works on one thread, and at 2.5 million
        harmonized rows it took 12.4 s where this takes 10.0 s (the engine computes the
        next batch while the writer, which releases the GIL, encodes this one).
        """
        try:
            reader = self.batches(query, row_group_rows)
            batches = iter(reader)
            head = list(itertools.islice(batches, 1))
            # pyarrow takes a list of columns; its stubs say bool
            dictionary: Any = _repeating_columns(head[0]) if head else True
            with open_writer(
                path, reader.schema, compression="zstd", use_dictionary=dictionary
            ) as writer:
                for batch in itertools.chain(head, batches):
                    writer.write_batch(batch)
        except duckdb.Error as exc:
            raise EngineError(f"the engine could not write {path}: {exc}") from exc


def _repeating_columns(batch: pa.RecordBatch) -> list[str]:
    """The columns worth a dictionary, judged on the first batch: those whose values repeat.

    pyarrow tries a dictionary on every column and falls back once it overflows, which
    costs time and space on identifiers and row positions: at 2.5 million harmonized
    rows, writing took 3.4 s instead of 4.2 s and the file 71 MB instead of 88 MB.
    """
    repeating = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_nested(field.type):
            repeating.append(field.name)
            continue
        distinct: int = pc.count_distinct(column, mode="all").as_py()
        if distinct * 2 <= len(column):
            repeating.append(field.name)
    return repeating


_SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "large_string": "VARCHAR",
    "date32[day]": "DATE",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp[us]": "TIMESTAMP",
}


def _sqltype(t: pa.DataType) -> Any:
    name = _SQL_TYPES.get(str(t))
    if name is None:
        raise EngineError(f"no engine type for the Arrow type {t}")
    return duckdb.sqltype(name)


def parse(sql: str) -> exp.Expr:
    """Parse engine-neutral SQL into a tree (used by tests and golden files)."""
    tree: exp.Expr = sqlglot.parse_one(sql, read=DIALECT)
    return tree
