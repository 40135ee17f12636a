"""Apache Spark: the same trees as Spark SQL, on a cluster or in local mode.

A SparkEngine works in the process's one Spark session (Spark allows one per process):
opening one is cheap once the session is up, and closing it drops the views it made,
never the session, which :func:`stop_session` ends. Files are read by the cluster
(``spark.read.parquet`` on ``file://``, ``hdfs://`` or ``s3a://`` URIs); Arrow tables
the driver holds (code tables) are handed to Spark whole; per-batch Python work (the
harmonize pre-pass) is shipped to the executors (:meth:`SparkEngine.map_batches`).
Query results come back to the driver as Arrow; a result written to the data folder
(harmonize's) is written by the executors instead (:meth:`SparkEngine.copy_to_parquet`),
as a directory of part files with the column types DuckDB's file has.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from seamline.engine.base import EngineError, Linkage
from seamline.engine.spark_quiet import java_reason, quiet, quiet_conf, start_jvm
from seamline.engine.spark_sql import to_spark

DIALECT = "spark"

DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
}
"""Settings seamline needs whatever the cluster: UTC (dates and times are compared with
DuckDB's), Arrow for results, no progress bar of Spark's on the user's terminal, and
adaptive execution allowed to size the partitions of the views the stages cache (else a
small cached view keeps ``spark.sql.shuffle.partitions``, 200 by default, and every query
over it runs as many tasks). ``spark: conf:`` in seamline.yaml may add to them and
override them."""

LOCAL_ROWS = 10_000
"""A table the driver hands to Spark with more rows than this is kept by the executors,
not in the statement's plan (:meth:`SparkEngine._held`); smaller ones (code tables) stay
local relations, which the optimizer folds into the statement without a job."""


def spark_session(master: str, conf: Mapping[str, str] | None = None) -> Any:
    """The process's Spark session, started on ``master`` with ``conf`` if not yet up."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            "engine: spark needs PySpark, which is not installed",
            hint="Install it with `pip install 'seamline[spark]'` (and Java 17 or newer).",
        ) from exc
    builder = SparkSession.builder.master(master).appName("seamline")
    merged = fail_fast_conf(quiet_conf({**DEFAULT_CONF, **(conf or {})}))
    jar = _similarity_jar()
    if jar:
        merged["spark.jars"] = ",".join(j for j in (merged.get("spark.jars"), jar) if j)
    for key, value in merged.items():
        builder = builder.config(key, value)
    try:
        start_jvm(master, merged)
        session = builder.getOrCreate()
    except Exception as exc:  # Py4J and Java start-up errors have no common base
        raise EngineError(
            f"could not start Spark on {master}: {java_reason(str(exc)) or _first_line(exc)}",
            hint="Check spark: master and conf: in seamline.yaml (or SEAMLINE_SPARK_MASTER) "
            "and that Java 17 or newer is on the PATH.",
        ) from exc
    quiet(session)
    if jar:
        for name, (java_class, returns) in JAR_FUNCTIONS.items():
            session.udf.registerJavaFunction(name, java_class, returns)
    # Spark's Python function (the harmonize pre-pass) runs in this Python on every node.
    session.sparkContext.pythonExec = executor_python(merged)
    return session


def executor_python(conf: Mapping[str, str], env: Mapping[str, str] | None = None) -> str:
    """The Python the executors run seamline's per-batch functions in: ``spark.pyspark.python``
    in ``conf``, else ``PYSPARK_PYTHON``, else this process's own interpreter (its path must
    then exist on every node, with seamline installed). Spark itself would run ``python3``
    from the PATH, which seldom has seamline."""
    env = os.environ if env is None else env
    return conf.get("spark.pyspark.python") or env.get("PYSPARK_PYTHON") or sys.executable


JAR_FUNCTIONS: dict[str, tuple[str, str]] = {
    "jaro_winkler": ("uk.gov.moj.dash.linkage.JaroWinklerSimilarity", "double"),
    "jaccard": ("uk.gov.moj.dash.linkage.JaccardSimilarity", "double"),
    "damerau_levenshtein": ("uk.gov.moj.dash.linkage.LevDamerauDistance", "double"),
}
"""DuckDB's string similarities that Spark lacks, from Splink's jar, by DuckDB's names:
a derived dataset's SQL may use them as Splink's comparisons do."""


def _similarity_jar() -> str | None:
    """Splink's string-similarity functions (``jaro_winkler``, ``damerau_levenshtein``)
    for Spark, a jar inside Splink's wheel: on the session's class path from its start,
    shipped to the executors with the job. None without Splink."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:
        return None
    location: str = similarity_jar_location()
    return location if Path(location).is_file() else None


def stop_session() -> None:
    """End the process's Spark session, if one is up."""
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


def uri(path: Path | str) -> str:
    """A path as the URI Spark reads: URIs as given, local paths as ``file://``."""
    text = str(path)
    if "://" in text:
        return text
    return Path(os.path.abspath(text)).as_uri()


class SparkEngine:
    """Runs the stages' trees as Spark SQL in the process's Spark session."""

    dialect = DIALECT
    in_process = False

    def __init__(self, master: str, conf: Mapping[str, str] | None = None) -> None:
        self.master = master
        self.where = f"Spark ({master})"
        self._spark = spark_session(master, conf)
        self._views: set[str] = set()
        self._cached: dict[str, Any] = {}
        self._held_frames: list[Any] = []

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the views this engine made; the session stays up for the next engine."""
        for name in sorted(self._views):
            self._spark.catalog.dropTempView(name)
        self._views.clear()
        for frame in [*self._cached.values(), *self._held_frames]:
            frame.unpersist()
        self._cached.clear()
        self._held_frames.clear()

    def linkage(self) -> Linkage:
        """Splink's Spark backend in this session: intermediate tables kept by the
        executors (``persist``: memory, then disk), as the views of this engine are;
        conditions transpiled as every other statement."""
        from splink import SparkAPI

        untyped: Any = SparkAPI  # Splink's SparkAPI has no annotations
        from seamline.engine.splink_dialects import spark_same_hash

        api = untyped(spark_session=self._spark, break_lineage_method="persist")
        api.sql_dialect = spark_same_hash()  # the samples DuckDB's backend draws too
        return Linkage(api, to_spark, self._held)

    def _held(self, table: pa.Table) -> Any:
        """The driver's table as a Spark frame. Beyond :data:`LOCAL_ROWS` rows it is
        handed to the executors (``localCheckpoint``: their memory, then disk) and the
        driver's copy dropped from the plan: a frame made from Arrow is a local relation
        the driver holds, and Spark's optimizer copies its rows into every statement that
        reads it (twice in a self-join), which ran the driver out of memory in reconcile
        at 40,000 people per register with 1.2 GB."""
        frame = self._spark.createDataFrame(table)
        if table.num_rows <= LOCAL_ROWS:
            return frame
        from pyspark import StorageLevel

        held = frame.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
        self._held_frames.append(held)
        return held

    def _keep(self, name: str, frame: Any) -> None:
        """``frame`` as the cached view ``name`` (a cached view it replaces is released)."""
        old = self._cached.pop(name, None)
        if old is not None:
            old.unpersist()
        frame.createOrReplaceTempView(name)
        self._views.add(name)
        self._cached[name] = frame

    @staticmethod
    def render(statement: exp.Expr) -> str:
        return to_spark(statement, pretty=True)

    def _frame(self, statement: exp.Expr | str, params: Sequence[Any] | None) -> Any:
        try:
            sql = to_spark(statement)
        except (ValueError, TypeError) as exc:
            raise EngineError(f"the statement has no Spark SQL form: {exc}") from exc
        try:
            return self._spark.sql(sql, args=list(params) if params is not None else None)
        except Exception as exc:  # pyspark's errors share no base class with Py4J's
            raise statement_error(exc) from exc

    def _temp_table(self, statement: exp.Create) -> bool:
        """``CREATE TEMPORARY TABLE name AS query``: a cached view of the query."""
        props = statement.args.get("properties")
        temporary = props is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in props.expressions
        )
        query = statement.expression
        if statement.kind != "TABLE" or not temporary or query is None:
            return False
        name = statement.this.name
        self._keep(name, self._frame(query, None).cache())
        return True

    def execute(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> None:
        if isinstance(statement, exp.Create) and self._temp_table(statement):
            return
        if isinstance(statement, exp.Drop) and statement.kind == "TABLE":
            for table in statement.args.get("tables") or []:
                self._spark.catalog.dropTempView(table.name)
                self._views.discard(table.name)
                cached = self._cached.pop(table.name, None)
                if cached is not None:
                    cached.unpersist()
            return
        self._run(lambda: self._frame(statement, params).collect())

    def arrow(self, statement: exp.Expr | str, params: Sequence[Any] | None = None) -> pa.Table:
        frame = self._frame(statement, params)
        table: pa.Table = self._run(frame.toArrow)
        return _plain(table)

    def rows(
        self, statement: exp.Expr | str, params: Sequence[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        frame = self._frame(statement, params)
        return [tuple(row) for row in self._run(frame.collect)]

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """The table, held by the driver, handed to Spark whole (to the executors beyond
        :data:`LOCAL_ROWS` rows)."""
        frame = self._run(lambda: self._held(table))
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def register_batches(self, name: str, reader: pa.RecordBatchReader) -> None:
        """The stream read out in the driver and handed to Spark whole (not streamed)."""
        self.register_arrow(name, reader.read_all())

    def map_batches(
        self,
        name: str,
        query: exp.Expr,
        function: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]],
        keep: Sequence[str],
        added: pa.Schema,
    ) -> None:
        """``function`` run by the executors on each partition of the query's rows
        (``mapInArrow``); the kept columns keep the types Spark gave them."""
        from pyspark.sql.pandas.types import from_arrow_schema
        from pyspark.sql.types import StructType

        frame = self._frame(query, None)
        fields = [frame.schema[c] for c in keep]
        schema = StructType([*fields, *from_arrow_schema(added).fields])
        mapped = self._run(lambda: frame.mapInArrow(function, schema))
        mapped.createOrReplaceTempView(name)
        self._views.add(name)

    def parquet_view(self, name: str, paths: Sequence[Path]) -> None:
        """Parquet files read by the cluster, several united by column name."""
        reader = self._spark.read
        if len(paths) > 1:  # merging footers is a job of its own: only when there are several
            reader = reader.option("mergeSchema", "true")
        frame = self._run(lambda: reader.parquet(*(uri(p) for p in paths)))
        # Kept by the executors (memory, then disk) once read: the stages query a view
        # several times (the harmonized file once per field's flags), and each query would
        # otherwise list and read the files again.
        self._keep(name, frame.cache())

    def dataset_view(self, name: str, dataset: Any) -> None:
        raise EngineError(
            "the data folder is encrypted (encryption: in seamline.yaml), and the Spark "
            "engine reads only Parquet files in clear",
            hint="Use engine: duckdb for an encrypted data folder.",
        )

    def copy_to_parquet(
        self,
        query: exp.Expr,
        path: Path,
        *,
        open_writer: Callable[..., pq.ParquetWriter],
        row_group_rows: int = 131_072,
        order: str | None = None,
    ) -> None:
        """The result written by the executors with Spark's Parquet writer: ``path``
        becomes a directory of part files, sorted globally by ``order`` (a range-partitioned
        sort, so the parts in name order hold the rows in order). Nothing is collected to
        the driver. Timestamps are written without a zone (the session is UTC), as DuckDB
        writes them; ``open_writer`` is not used (this engine writes in clear only)."""
        frame = self._frame(query, None)
        frame = frame.select(*(_as_written_column(f) for f in frame.schema.fields))
        if order is not None:
            frame = frame.orderBy(order)
        writer = (
            frame.write.mode("errorifexists")
            .option("compression", "zstd")
            # Only part files: no _SUCCESS marker (the rename into place says the same).
            .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        )
        self._run(lambda: writer.parquet(uri(path)))
        if path.is_dir():  # on this machine's disk: Hadoop's checksums of the parts go
            for sidecar in path.glob(".*.crc"):
                sidecar.unlink()

    def _run(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except EngineError:
            raise
        except Exception as exc:  # pyspark's errors share no base class with Py4J's
            raise statement_error(exc) from exc


def fail_fast_conf(conf: Mapping[str, str]) -> dict[str, str]:
    """``conf`` with the driver's JVM told to end itself when it runs out of memory
    (``-XX:+ExitOnOutOfMemoryError``), unless its ``spark.driver.extraJavaOptions`` say
    what to do then. Without it an out-of-memory error in a thread Spark does not watch
    (the one that streams a result to Python) leaves that thread dead and the run waiting
    for it for ever; ended, the JVM's socket closes and the statement fails at once."""
    out = dict(conf)
    options = out.get("spark.driver.extraJavaOptions", "")
    if "OutOfMemoryError" not in options:
        out["spark.driver.extraJavaOptions"] = f"{options} -XX:+ExitOnOutOfMemoryError".strip()
    return out


def statement_error(exc: BaseException) -> EngineError:
    """A failed statement as the user's one error line. A lost connection to the driver's
    JVM means it ended: it does so when it runs out of memory (see :func:`fail_fast_conf`)."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(e, ConnectionError) or type(e).__name__ == "Py4JNetworkError" for e in chain):
        return EngineError(
            "Spark's driver stopped while running a statement (it stops itself when it runs "
            f"out of memory; it printed why above): {_first_line(exc)}",
            hint="Give it more memory (spark.driver.memory in spark: conf: of seamline.yaml), "
            "or more executors for the data.",
        )
    return EngineError(
        f"Spark could not run a statement: {_first_line(exc)}",
        hint="Run with --debug to see the SQL.",
    )


def _as_written_column(field: Any) -> Any:
    """A column of a result as it is to be written: timestamps without a zone (Spark's
    ``TIMESTAMP`` is an instant; as ``TIMESTAMP_NTZ`` it is written as DuckDB writes a
    ``TIMESTAMP``, wall time in UTC, the session's zone), other columns as they are."""
    from pyspark.sql.functions import col

    column = col(f"`{field.name.replace('`', '``')}`")
    plain = _ntz(field.dataType)
    return column if plain == field.dataType else column.cast(plain).alias(field.name)


def _ntz(t: Any) -> Any:
    from pyspark.sql import types as st

    if isinstance(t, st.TimestampType):
        return st.TimestampNTZType()
    if isinstance(t, st.StructType):
        return st.StructType(
            [st.StructField(f.name, _ntz(f.dataType), f.nullable) for f in t.fields]
        )
    if isinstance(t, st.ArrayType):
        return st.ArrayType(_ntz(t.elementType), t.containsNull)
    if isinstance(t, st.MapType):
        return st.MapType(_ntz(t.keyType), _ntz(t.valueType), t.valueContainsNull)
    return t


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _plain(table: pa.Table) -> pa.Table:
    """Spark's Arrow as DuckDB's: timestamps without a zone (the session is UTC), text as
    ``string``, every column nullable (Spark marks what it knows is never null, DuckDB
    nothing), so files and comparisons do not depend on the engine."""
    fields = [pa.field(f.name, _plain_type(f.type)) for f in table.schema]
    schema = pa.schema(fields)
    return table if schema.equals(table.schema) else table.cast(schema)


def _plain_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(t) and t.tz is not None:
        return pa.timestamp(t.unit)
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain_type(f.type)) for f in t])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_plain_type(t.value_type))
    return t
