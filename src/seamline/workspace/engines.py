"""The workspace's engine: which one ``seamline.yaml`` chose, and what it needs.

``ws.engine()`` (``open_engine`` with the workspace's embedded engine) is how a stage that
can run on Spark gets its engine; stages that run only on the embedded engine open
``ws.parquet.engine()`` (a :class:`~seamline.engine.DuckDBEngine` spilling into the data
folder) and say so in the run (``on_spark`` on the stage, docs/scale.md).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seamline.connector import RangeRunner
from seamline.engine import DuckDBEngine, Engine, open_spark, spark_ranges
from seamline.workspace.issues import Issue
from seamline.workspace.project import ProjectSpec
from seamline.workspace.yamlpos import Positions

MASTER_ENV = "SEAMLINE_SPARK_MASTER"
SERVER_STORES = ("postgresql",)
LOCAL_SCHEMES = ("file",)


def spark_master(project: ProjectSpec, env: Mapping[str, str] | None = None) -> str:
    """``SEAMLINE_SPARK_MASTER``, else ``spark: master:``."""
    env = os.environ if env is None else env
    return env.get(MASTER_ENV) or project.spark.master


def open_engine(
    project: ProjectSpec,
    *,
    env: Mapping[str, str] | None = None,
    embedded: Callable[..., Engine] = DuckDBEngine,
    **options: Any,
) -> Engine:
    """The engine the workspace runs its SQL on. On the embedded engine it is
    ``embedded(**options)`` (the workspace's ``ws.parquet.engine``, which spills into the
    data folder; ``options`` are DuckDB's, such as a memory limit), which a Spark cluster
    sets in ``spark: conf:`` instead."""
    if project.engine == "spark":
        return open_spark(spark_master(project, env), project.spark.conf)
    return embedded(**options)


def range_runner(project: ProjectSpec, env: Mapping[str, str] | None = None) -> RangeRunner | None:
    """Where the connect stage decodes the byte ranges of a parallel read: the Spark
    executors on ``engine: spark`` (``ReadContext.ranges``), else this machine's processes
    (``None``)."""
    if project.engine == "spark":
        return spark_ranges(spark_master(project, env), project.spark.conf)
    return None


def data_path(data_dir: str) -> Path:
    """The data folder as a local path: a plain path, or a ``file://`` URI."""
    if data_dir.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(data_dir).path))
    return Path(data_dir)


def engine_issues(project: ProjectSpec, store_url: str, pos: Positions) -> list[Issue]:
    """What ``engine: spark`` needs that the workspace does not have (nothing on DuckDB)."""
    if project.engine != "spark":
        return []
    issues: list[Issue] = []
    line, column = pos.of(("engine",))

    def add(where: tuple[int, int], message: str, hint: str, allowed: str | None = None) -> None:
        issues.append(Issue("seamline.yaml", where[0], where[1], message, allowed, hint))

    scheme = store_url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in SERVER_STORES:
        add(
            pos.of(("store",)) if project.store else (line, column),
            f"engine: spark needs a server store, and the store is {scheme} "
            "(runs, profiles and check results must be reachable from wherever the "
            "Spark driver runs, and several runs may write at once)",
            "Set store: postgresql+psycopg://... in seamline.yaml (a secret as ${VAR}) "
            "or the environment variable SEAMLINE_STORE.",
            allowed="postgresql",
        )
    if "://" in project.data_dir and project.data_dir.split("://", 1)[0] not in LOCAL_SCHEMES:
        add(
            pos.of(("data_dir",)),
            f"data_dir {project.data_dir} is not a folder this machine can write: connect, "
            "reconcile and the reports still write the data folder through the local file "
            "system in this version",
            "Use a local path or a file:// URI on storage every Spark node mounts at the "
            "same path (docs/scale.md).",
            allowed="a local path, file://",
        )
    if project.encryption is not None:
        add(
            pos.of(("encryption",), key=True),
            "engine: spark reads the data folder's Parquet files in clear, and encryption: is set",
            "Use engine: duckdb for an encrypted data folder, or remove encryption:.",
        )
    if importlib.util.find_spec("pyspark") is None:
        add(
            (line, column),
            "engine: spark needs PySpark, which is not installed",
            "Install it with `pip install 'seamline[spark]'` (Java 17 or newer on the PATH).",
        )
    return issues
