"""The demo on a real Spark standalone cluster: a master and two workers on 127.0.0.1.

The cluster is started with the daemon script PySpark ships, each worker with one core
and 1 GB; the demo (150 people, with name steps that have no SQL, so harmonize's
pre-pass runs on the executors) goes through connect, inventory, harmonize, check and
reconcile on it, and its results must equal those of the same demo on DuckDB.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from spark_demo import (
    CONF,
    Run,
    assert_harmonized_equal,
    demo_pair,
    print_times,
    profiles,
    run_demo,
    spark_yaml,
    table,
)
from standalone import Standalone

from seamline.engine.spark_engine import spark_session, stop_session
from seamline.harmonize.run import plan_for
from seamline.workspace import load_workspace

REQUIRE = os.environ.get("SEAMLINE_REQUIRE_SERVICES") == "1"
PEOPLE = 150


def _spark_home() -> Path:
    """PySpark's folder, which is SPARK_HOME for a pip install (skip, or fail in CI, without)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        reason = "pyspark is not installed (pip install 'seamline[spark]')"
        if REQUIRE:
            pytest.fail(f"{reason}, and SEAMLINE_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    return Path(spec.origin).parent


@pytest.fixture(scope="module")
def cluster(java_runtime: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    """A master and two workers (1 core, 1 GB each), stopped at the module's end."""
    home = _spark_home()
    assert (home / "sbin" / "spark-daemon.sh").is_file(), f"no sbin/spark-daemon.sh in {home}"
    standalone = Standalone(home, tmp_path_factory.mktemp("standalone"))
    started = time.perf_counter()
    try:
        standalone.start()
        standalone.wait()
        print(f"\nstandalone cluster up in {time.perf_counter() - started:.1f} s")
        yield standalone
    finally:
        standalone.stop()


# The executors run the Python of this process (seamline and PySpark are installed there);
# each asks for less than a worker offers. A task starts at once on a free core rather
# than waiting for the one that caches its partition (3 s by default, for every stage).
CLUSTER_CONF = {
    **CONF,
    "spark.sql.shuffle.partitions": "2",
    "spark.locality.wait": "0s",
    # The driver on loopback too, where the workers are.
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.executor.memory": "512m",
    "spark.executor.cores": "1",
    "spark.pyspark.python": sys.executable,
    # The daemons do not inherit this process's PYTHONPATH: hand it on, so the executors
    # import seamline from where this process does (a checkout run with PYTHONPATH=src).
    **(
        {"spark.executorEnv.PYTHONPATH": os.environ["PYTHONPATH"]}
        if os.environ.get("PYTHONPATH")
        else {}
    ),
}


def _name_steps(root: Path) -> None:
    """Names through the name step (no SQL: it runs in harmonize's pre-pass)."""
    path = root / "datasets" / "civil_persons.yaml"
    text = path.read_text(encoding="utf-8")
    for column in ("FAMILY_NAME", "GIVEN_NAME"):
        text, n = re.subn(
            rf"(\{{column: {column}, attribute: \w+)", r"\1, normalize: [{name: {}}]", text
        )
        assert n == 1, column
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def runs(
    cluster: Standalone,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_databases: Callable[[], str],
) -> Iterator[tuple[Run, Run]]:
    block = spark_yaml(cluster.url, CLUSTER_CONF)
    duck_root, spark_root = demo_pair(
        tmp_path_factory.mktemp("cluster"), block, people=PEOPLE, edit=_name_steps
    )
    duck = run_demo(duck_root, postgres_databases())
    spark_session(cluster.url, CLUSTER_CONF)
    try:
        on_spark = run_demo(spark_root, postgres_databases())
        print_times(duck, on_spark)
        yield duck, on_spark
    finally:
        stop_session()


def test_the_run_used_both_workers(cluster: Standalone, runs: tuple[Run, Run]) -> None:
    apps = cluster.state()["activeapps"]
    assert [app["name"] for app in apps] == ["seamline"]
    assert apps[0]["cores"] == 2
    where = {s.stage: s.where for s in runs[1].summary.stages}
    assert where["harmonize"].startswith(f"harmonize ran its SQL plan on Spark ({cluster.url})")
    assert "on the executors" in where["harmonize"]


def test_the_pre_pass_had_work(runs: tuple[Run, Run]) -> None:
    ws = load_workspace(runs[0].root)  # the same datasets as the Spark run's
    assert [c.column for c in plan_for(ws, "civil_persons").arrow] == ["FAMILY_NAME", "GIVEN_NAME"]


def test_every_stage_passes(runs: tuple[Run, Run]) -> None:
    for run in runs:
        assert [s.status for s in run.summary.stages][:3] == ["ok"] * 3, run.summary.stages


def test_harmonized_rows_are_equal(runs: tuple[Run, Run]) -> None:
    assert_harmonized_equal(*runs)


def test_connect_profiles_and_checks_are_equal(runs: tuple[Run, Run]) -> None:
    duck, on_spark = runs
    assert duck.stage("connect").counts == on_spark.stage("connect").counts
    assert profiles(duck.root) == profiles(on_spark.root)
    assert duck.checks == on_spark.checks
    assert any(status == "pass" for *_, status, _ in duck.checks)


def test_links_golden_records_and_discrepancies_are_equal(runs: tuple[Run, Run]) -> None:
    """Splink's Spark backend and the truth rules' SQL on the cluster's executors."""
    duck, on_spark = runs
    assert on_spark.stage("reconcile").where.startswith(
        "reconcile ran its probabilistic linkage (Splink's Spark backend)"
    )
    for name in ("entity_ids.parquet", "person.parquet"):
        a, b = (table(r.root, "reference", name) for r in runs)
        assert a.num_rows == b.num_rows > 0
        keys = [(c, "ascending") for c in a.column_names[:2]]
        assert b.sort_by(keys).equals(a.sort_by(keys)), name
    assert on_spark.discrepancies == duck.discrepancies
    assert len(duck.discrepancies) > 0
