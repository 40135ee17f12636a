"""The demo pipeline on the embedded engine against the same workspace on Spark, in one run:
200,000 and 1,000,000 people (times ``scale``), time per stage, and the check that both
engines reach the same result.

Contenders, each in a fresh process on its own copy of the generated workspace and its
own fresh PostgreSQL database (``engine: spark`` requires a server store, so the embedded
run gets one too and the store costs both the same):

- ``duckdb``: ``engine: duckdb``, the baseline;
- ``spark local[2]``: ``engine: spark`` in local mode on this machine's two cores;
- ``spark cluster``: only when ``SEAMLINE_BENCH_SPARK_CLUSTER`` names a master
  (``spark://host:7077``); the data folder must be where every worker sees it.

``SEAMLINE_BENCH_ENGINES_SIZES=200000`` measures other sizes than 200,000 and 1,000,000
(comma-separated, still times ``scale``): one Spark run at 1,000,000 people takes hours
on two cores.

Equal means: the same statuses, the same harmonized row count per dataset, the same
quarantine count and the same number of golden records; a difference is printed and kept
in the results with the times. The Spark session's start is
inside the Spark contenders' time (a real run pays it). CPU seconds count the Python
process only, not Spark's JVM, so compare the Spark contenders by wall time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness import Measurement, measure, table

SIZES = (200_000, 1_000_000)
PG_HOST = os.environ.get("SEAMLINE_TEST_PG_HOST", "127.0.0.1")
CLUSTER_ENV = "SEAMLINE_BENCH_SPARK_CLUSTER"
SIZES_ENV = "SEAMLINE_BENCH_ENGINES_SIZES"
DUCKDB, LOCAL, CLUSTER = "duckdb", "spark local[2]", "spark cluster"
SPARK_CONF = {
    "spark.driver.memory": "6g",
    "spark.executor.memory": "3g",  # a cluster's executors (local mode runs in the driver)
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
}


@contextmanager
def fresh_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one contender, dropped afterwards."""
    import psycopg

    name = f"seamline_bench_{uuid.uuid4().hex[:12]}"
    admin = f"host={PG_HOST} port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pipeline(root: str, store_url: str) -> dict[str, Any]:
    """Run every stage; what both engines must agree on, and each stage's seconds."""
    from seamline.pipeline import run_pipeline
    from seamline.store import Store
    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={"SEAMLINE_STORE": store_url})
    with Store.open(store_url) as store:
        summary = run_pipeline(ws, store)
    harmonized = {
        p.stem: ws.parquet.num_rows(p)
        for p in sorted((ws.data_dir / "harmonized").glob("*.parquet"))
    }
    connect = next(s for s in summary.stages if s.stage == "connect")
    return {
        "statuses": {s.stage: s.status for s in summary.stages},
        "seconds": {s.stage: s.seconds for s in summary.stages},
        "where": {s.stage: s.where for s in summary.stages if s.where},
        "harmonized": harmonized,
        "quarantined": connect.counts.get("quarantined", 0),
        "golden": ws.parquet.num_rows(ws.data_dir / "reference" / "person.parquet"),
    }


def _on_spark(root: Path, master: str) -> None:
    project = root / "seamline.yaml"
    text = project.read_text(encoding="utf-8")
    conf = "".join(f"    {k}: {v}\n" for k, v in SPARK_CONF.items())
    spark = f"engine: spark\nspark:\n  master: {master}\n  conf:\n{conf}"
    if "engine: duckdb\n" not in text:
        raise RuntimeError(f"{project} does not say engine: duckdb; cannot switch it")
    project.write_text(text.replace("engine: duckdb\n", spark), encoding="utf-8")


def _differences(runs: list[Measurement]) -> list[str]:
    """Where each contender's result differs from the first's (empty: they agree).

    A difference is a result of the benchmark, reported with the times, not an error that
    would lose them: the u probabilities of the linkage are estimated on a sample each
    engine draws by its own hash (docs/scale.md), so a pair near a threshold can fall on
    the other side of it on the other engine.
    """
    keys = ("statuses", "harmonized", "quarantined", "golden")
    base = runs[0]
    return [
        f"{m.name} and {base.name} differ on {k}: {m.result[k]} against {base.result[k]}"
        for m in runs[1:]
        for k in keys
        if m.result[k] != base.result[k]
    ]


def run(scale: float) -> dict[str, Any]:
    from seamline.demo import generate_demo

    contenders = [(DUCKDB, None), (LOCAL, "local[2]")]
    if os.environ.get(CLUSTER_ENV):
        contenders.append((CLUSTER, os.environ[CLUSTER_ENV]))
    out: dict[str, Any] = {}
    sizes = [int(n) for n in os.environ.get(SIZES_ENV, "").split(",") if n.strip()] or SIZES
    for people in (max(1_000, int(n * scale)) for n in sizes):
        with tempfile.TemporaryDirectory(prefix="seamline-bench-engines-") as tmp:
            source = Path(tmp) / "demo"
            generate_demo(source, people=people, seed=7)
            runs: list[Measurement] = []
            for name, master in contenders:
                root = Path(tmp) / name.replace(" ", "-").replace("[", "").replace("]", "")
                shutil.copytree(source, root)
                if master is not None:
                    _on_spark(root, master)
                with fresh_database() as url:
                    runs.append(measure(name, pipeline, str(root), url))
        differences = _differences(runs)
        print(table(f"demo pipeline, {people:,} people per register", runs, DUCKDB))
        stages = list(runs[0].result["seconds"])
        print(f"{'stage':<12}" + "".join(f"{m.name:>16}" for m in runs))
        for stage in stages:
            print(f"{stage:<12}" + "".join(f"{m.result['seconds'][stage]:>16.1f}" for m in runs))
        for line in differences or [
            "equal on statuses, harmonized rows, quarantine and golden records "
            f"({runs[0].result['golden']:,} golden)"
        ]:
            print(line)
        out[str(people)] = {
            m.name: {"seconds": m.seconds, "cpu_seconds": m.cpu_seconds, "peak_mb": m.peak_mb,
                     "stages": m.result["seconds"], "where": m.result["where"]}
            for m in runs
        } | {"differences": differences}  # fmt: skip
    return out
