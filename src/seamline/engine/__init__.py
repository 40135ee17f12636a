"""The engine boundary: the only package that imports duckdb and pyspark (a ruff rule
enforces it).

Everything else hands an :class:`Engine` SQL built as sqlglot expression trees (or text
with bound parameters) and gets Arrow tables back. Two engines implement it: DuckDB,
embedded (the default), and Spark, which runs the same trees transpiled to Spark SQL.
PySpark is imported only when a Spark engine is opened.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from seamline.engine.base import Engine, EngineError, Linkage, parquet_parts
from seamline.engine.duckdb_engine import SPILL_DIR, DuckDBEngine, adopt

if TYPE_CHECKING:
    from seamline.engine.spark_engine import SparkEngine
    from seamline.engine.spark_ranges import SparkRanges


def open_spark(master: str, conf: Mapping[str, str] | None = None) -> "SparkEngine":
    """A Spark engine in the process's session on ``master`` (started on first use)."""
    from seamline.engine.spark_engine import SparkEngine

    return SparkEngine(master, conf)


def spark_ranges(master: str, conf: Mapping[str, str] | None = None) -> "SparkRanges":
    """Parallel reads' byte ranges decoded on the executors of the session on ``master``
    (started when a read first needs it)."""
    from seamline.engine.spark_ranges import SparkRanges

    return SparkRanges(master, conf)


__all__ = [
    "SPILL_DIR",
    "DuckDBEngine",
    "Engine",
    "EngineError",
    "Linkage",
    "adopt",
    "open_spark",
    "parquet_parts",
    "spark_ranges",
]
