"""The engine protocol: what the stages use of an engine, whichever runs the SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from seamline.errors import SeamlineError


class EngineError(SeamlineError):
    """The engine could not run a statement."""


def parquet_parts(path: Path) -> list[Path]:
    """The Parquet files that make up ``path``: the file itself, or the part files of a
    directory (the layout Spark's writer leaves: ``part-00000-….parquet`` and so on) in
    name order, which is the order of their rows. Names starting with ``_`` or ``.``
    (``_SUCCESS``, Hadoop's ``.crc`` checksums, a writer's ``_temporary``) are not parts."""
    if not path.is_dir():
        return [path]
    return sorted(
        p
        for p in path.iterdir()
        if p.suffix == ".parquet" and p.name[0] not in "_." and p.is_file()
    )


def _as_is(table: pa.Table) -> Any:
    return table


@dataclass(frozen=True)
class Linkage:
    """Splink on an engine: its database API, and a condition written in DuckDB's
    dialect (a comparison level's SQL) as that backend's SQL. The linkage model is built
    once, in DuckDB's words; only this differs between engines."""

    api: Any
    """Splink's ``DuckDBAPI`` or ``SparkAPI``."""
    condition: Callable[[str], str]
    table: Callable[[pa.Table], Any] = _as_is
    """The records to link as the backend takes them: the Arrow table on DuckDB; on
    Spark a frame its executors hold."""


class Engine(Protocol):
    """An engine runs sqlglot trees (written once, in DuckDB's dialect) and returns Arrow.

    Two implement it: :class:`~seamline.engine.duckdb_engine.DuckDBEngine`, embedded, and
    :class:`~seamline.engine.spark_engine.SparkEngine`, which transpiles the same trees to
    Spark SQL. Text statements carry values as ``?`` parameters, never spliced in.
    """

    dialect: str
    where: str
    """Where statements run, in words, for the run's report (``embedded DuckDB``...)."""
    in_process: bool
    """Whether statements run in this process (DuckDB) or on other machines (Spark's
    executors). Per-batch Python work is handed to :meth:`map_batches` on the latter, so
    that it runs where the rows are."""

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None: ...

    def render(self, statement: exp.Expr) -> str:
        """The SQL text of a tree in this engine's dialect (for --explain and logs)."""
        ...

    def execute(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> None:
        """Run a statement for its effect."""
        ...

    def arrow(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""
        ...

    def rows(
        self, statement: exp.Expr | str, params: Sequence[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples (for small results)."""
        ...

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under ``name``."""
        ...

    def register_batches(self, name: str, reader: pa.RecordBatchReader) -> None:
        """Make a stream of record batches queryable under ``name``, read once, in order."""
        ...

    def map_batches(
        self,
        name: str,
        query: exp.Expr,
        function: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]],
        keep: Sequence[str],
        added: pa.Schema,
    ) -> None:
        """A view ``name`` of the query's rows passed through ``function``.

        ``function`` takes the query's record batches and yields batches of the columns
        ``keep`` (as they came) followed by the fields of ``added``. It must pickle (a
        module-level function or an instance of a module-level class): Spark ships it to
        its executors, which run it on each partition of the rows.
        """
        ...

    def parquet_view(self, name: str, paths: Sequence[Path]) -> None:
        """A view ``name`` over Parquet files in clear, several united by column name.
        A path may be a directory of part files (:func:`parquet_parts`), read as one."""
        ...

    def dataset_view(self, name: str, dataset: Any) -> None:
        """Make a pyarrow dataset queryable under ``name``."""
        ...

    def copy_to_parquet(
        self,
        query: exp.Expr,
        path: Path,
        *,
        open_writer: Callable[..., pq.ParquetWriter],
        row_group_rows: int = 131_072,
        order: str | None = None,
    ) -> None:
        """Write a query's result at ``path``, in order, where the rows are computed.

        In process (DuckDB), one Parquet file written through ``open_writer``, in the
        query's own order (DuckDB keeps the order rows are read in; a query whose joins
        reorder them sorts itself). On a cluster (Spark), a directory of part files that
        the executors write with the engine's own Parquet writer, sorted globally by the
        column ``order`` (the rows of the parts, read in name order, are in order);
        ``open_writer`` is not used there, as such an engine reads and writes only data
        folders in clear. Either reads back with the same column names, order and types
        through ``seamline.crypto.parquet.ParquetFiles``. ``path`` must not exist.
        """
        ...

    def linkage(self) -> Linkage:
        """Splink's backend on this engine (a fresh database API each call)."""
        ...
