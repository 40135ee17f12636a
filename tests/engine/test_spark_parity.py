"""The demo on both engines: the stages ported to Spark give DuckDB's results.

One demo (300 people) is run through connect, inventory, harmonize, check and reconcile
twice, once with ``engine: duckdb`` and once with ``engine: spark`` on ``local[2]``, each
with a PostgreSQL store of its own. Harmonized rows, quarantine counts, profile figures
and check results must be equal; every stage of the Spark run says where it ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from spark_demo import CONF, Run, demo_pair, print_times, spark_yaml
from spark_demo import profiles as _profiles
from spark_demo import run_demo as _run
from spark_demo import table as _table

from seamline.engine.spark_engine import spark_session, stop_session

MASTER = "local[2]"
SPARK_YAML = spark_yaml(MASTER, CONF)


@pytest.fixture(scope="module")
def spark(java_runtime: None) -> Iterator[None]:
    """One Spark session for the module (starting one takes seconds)."""
    spark_session(MASTER, CONF)
    yield
    stop_session()


@pytest.fixture(scope="module")
def runs(
    spark: None, tmp_path_factory: pytest.TempPathFactory, postgres_databases: Callable[[], str]
) -> tuple[Run, Run]:
    duck_root, spark_root = demo_pair(tmp_path_factory.mktemp("parity"), SPARK_YAML, people=300)
    duck = _run(duck_root, postgres_databases())
    on_spark = _run(spark_root, postgres_databases())
    print_times(duck, on_spark)
    return duck, on_spark


def test_both_runs_pass_every_stage(runs: tuple[Run, Run]) -> None:
    for run in runs:
        assert [s.status for s in run.summary.stages][:3] == ["ok"] * 3, run.summary.stages


def test_harmonized_rows_are_equal(runs: tuple[Run, Run]) -> None:
    duck, on_spark = runs
    folder = duck.root / ".seamline" / "data" / "harmonized"
    names = sorted(p.name for p in folder.glob("*.parquet"))
    assert len(names) == 4
    for name in names:
        a, b = _table(duck.root, "harmonized", name), _table(on_spark.root, "harmonized", name)
        assert b.schema.equals(a.schema), f"{name}:\n{a.schema}\n---\n{b.schema}"
        assert a.num_rows == b.num_rows > 0
        for column in a.column_names:
            assert b[column].to_pylist() == a[column].to_pylist(), f"{name}.{column}"
    assert duck.stage("harmonize").details == on_spark.stage("harmonize").details


def test_quarantine_counts_are_equal(runs: tuple[Run, Run]) -> None:
    duck, on_spark = runs
    assert duck.stage("connect").counts == on_spark.stage("connect").counts
    assert duck.stage("connect").counts.get("quarantined", 0) > 0


def test_profile_figures_are_equal(runs: tuple[Run, Run]) -> None:
    duck, on_spark = runs
    a, b = _profiles(duck.root), _profiles(on_spark.root)
    assert [d["id"] for d in a] == [d["id"] for d in b]
    assert sum(len(d["fields"]) for d in a) > 20
    for da, db in zip(a, b, strict=True):
        assert da["rows"] == db["rows"]
        for fa, fb in zip(da["fields"], db["fields"], strict=True):
            assert fb == fa, f"{da['id']}.{fa['name']}"


def test_check_results_are_equal(runs: tuple[Run, Run]) -> None:
    duck, on_spark = runs
    assert duck.checks == on_spark.checks
    assert any(status == "pass" for *_, status, _ in duck.checks)


def test_the_spark_run_says_where_each_stage_ran(runs: tuple[Run, Run]) -> None:
    duck, on_spark = runs
    assert all(s.where == "" for s in duck.summary.stages)
    where = {s.stage: s.where for s in on_spark.summary.stages}
    assert where["harmonize"].startswith(f"harmonize ran its SQL plan on Spark ({MASTER})")
    assert where["inventory"].startswith("inventory computed its profile statistics on Spark")
    assert where["check"].startswith("check ran its contract rules and freshness on Spark")
    assert "embedded DuckDB engine" in where["reconcile"] and "not on Spark" in where["reconcile"]
    assert "not on Spark" in where["connect"]


def test_golden_records_from_the_spark_outputs_are_equal(runs: tuple[Run, Run]) -> None:
    """Reconcile runs on the embedded engine in both, over equal harmonized files."""
    duck, on_spark = runs
    a = pq.read_table(duck.root / ".seamline" / "data" / "reference" / "person.parquet")
    b = pq.read_table(on_spark.root / ".seamline" / "data" / "reference" / "person.parquet")
    assert a.num_rows == b.num_rows > 0
    assert b.sort_by(a.column_names[0]).equals(a.sort_by(a.column_names[0]))


def test_a_field_over_the_distinct_bound_is_profiled_on_a_sample(spark: None) -> None:
    """Above the bound of exact distinct counts, values are grouped over a sample of rows."""
    from seamline.engine import open_spark
    from seamline.inventory import profile_sql as q

    table = pa.table({"a": [f"v{i}" for i in range(500)]})
    with open_spark(MASTER, CONF) as engine:
        engine.register_arrow("landing", table)
        grouped = q.grouped_values("landing", [q.FieldRef("a", 0, True)], {0}, 100, 7)
        rows = engine.rows(grouped)
    assert len(rows) == 100
    assert {n for *_, n in rows} == {1}
    assert len({v for _, v, _ in rows}) == 100
