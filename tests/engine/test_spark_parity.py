"""The demo on both engines: the stages ported to Spark give DuckDB's results.

One demo (300 people) is run through connect, inventory, harmonize, check and reconcile
twice, once with ``engine: duckdb`` and once with ``engine: spark`` on ``local[2]``, each
with a PostgreSQL store of its own. Harmonized rows, quarantine counts, profile figures,
check results, and reconcile's links, entity ids, golden records and discrepancies must
be equal; every stage of the Spark run says where it ran.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from spark_demo import (
    CONF,
    Run,
    assert_harmonized_equal,
    demo_pair,
    print_times,
    session_fixture,
    spark_yaml,
)
from spark_demo import profiles as _profiles
from spark_demo import run_demo as _run
from sqlglot import exp

from seamline.reconcile.explain import weights

MASTER = "local[2]"
SPARK_YAML = spark_yaml(MASTER, CONF)


spark = session_fixture(MASTER, CONF)


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
    assert_harmonized_equal(*runs)


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
    assert where["reconcile"].startswith(
        f"reconcile ran its probabilistic linkage (Splink's Spark backend) and its golden "
        f"records and discrepancies on Spark ({MASTER})"
    )
    assert "not on Spark" in where["connect"]


def _reference(run: Run, name: str) -> pa.Table:
    table = pq.read_table(run.root / ".seamline" / "data" / "reference" / name)
    return table.sort_by([(c, "ascending") for c in table.column_names[:2]])


def test_links_and_entity_ids_are_equal(runs: tuple[Run, Run]) -> None:
    """Splink on Spark scores the pairs Splink on DuckDB scores, so the same records link
    into the same entities, named alike."""
    duck, on_spark = runs
    a, b = _reference(duck, "entity_ids.parquet"), _reference(on_spark, "entity_ids.parquet")
    assert a.num_rows == b.num_rows > 0
    assert b.equals(a)
    # Not every record its own entity: the linkage made links, of every kind.
    assert pa.compute.count_distinct(a.column("entity_id")).as_py() < a.num_rows
    details = [run.stage("reconcile").details for run in runs]
    assert details[1] == details[0]
    assert "probabilistic=" in details[0][0]["links"], details[0]


def test_the_models_agree(runs: tuple[Run, Run]) -> None:
    """The same model on both backends: features, blocking rules with their pair counts,
    training rules, comparison levels, and m probabilities to a relative 10^-3.

    The u probabilities are estimated on a seeded random sample of pairs, and Splink
    draws it with each engine's own sampling (DuckDB's ``REPEATABLE`` sample, Spark's
    seeded ``rand``): other pairs, so u differs by up to a third on rare levels. On the
    demo that moves no pair across a threshold: links, entity ids and golden records are
    equal (the tests above and below)."""
    models = [
        json.loads((run.root / ".seamline/data/reference/person.model.json").read_text("utf-8"))
        for run in runs
    ]
    for key in ("records", "note", "features", "blocking", "training"):
        assert models[1][key] == models[0][key], key
    assert any(b["kept"] for b in models[0]["blocking"])
    a, b = weights(models[0]), weights(models[1])
    assert [w[:2] for w in b] == [w[:2] for w in a]
    for (*level, m_a, u_a, _), (*_, m_b, u_b, _) in zip(a, b, strict=True):
        assert (m_b is None, u_b is None) == (m_a is None, u_a is None), level
        if m_a is not None:
            assert m_b == pytest.approx(m_a, rel=1e-3), level


def test_golden_records_and_discrepancies_are_equal(runs: tuple[Run, Run]) -> None:
    """Golden records and discrepancies computed on Spark equal DuckDB's."""
    duck, on_spark = runs
    a, b = _reference(duck, "person.parquet"), _reference(on_spark, "person.parquet")
    assert a.num_rows == b.num_rows > 0
    assert b.equals(a)
    assert len(duck.discrepancies) > 0
    assert {d[3] for d in duck.discrepancies} >= {"conflict", "review_link"}
    assert on_spark.discrepancies == duck.discrepancies


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


def test_rewritten_functions_give_duckdbs_results(spark: None) -> None:
    """hamming (the birth-date level of the linkage model) and an ordered list (the
    records behind a discrepancy), on Spark and on DuckDB."""
    from seamline.engine import DuckDBEngine, open_spark

    table = pa.table(
        {
            "k": [3, 1, 2, 4, 5],
            "a": ["1980-01-02", "1980-01-02", "ab", "abc", "abc"],
            "b": ["1980-01-03", "1908-01-02", "ab", "abc", "xbz"],
        }
    )
    query = (
        "SELECT hamming(a, b) AS h, list(a ORDER BY k) AS l, list(k ORDER BY a, k) AS m "
        "FROM t GROUP BY ALL"
    )
    results = []
    for engine in (DuckDBEngine(), open_spark(MASTER, CONF)):
        with engine:
            engine.register_arrow("t", table)
            results.append(engine.arrow(query).sort_by("h").to_pylist())
    assert results[1] == results[0]
    assert [r["h"] for r in results[0]] == [0, 1, 2]


def test_a_result_the_executors_write_reads_back_as_duckdbs_file(
    spark: None, tmp_path: Path
) -> None:
    """Spark's writer, given rows out of order and no ORDER BY: the parts, read through
    the door in name order, hold the rows sorted by ``order``, with the column names,
    order and types of the file DuckDB writes for the same query (timestamps without a
    zone, text as ``string``, decimals, lists, dates)."""
    from seamline.crypto.parquet import PLAIN
    from seamline.engine import DuckDBEngine, open_spark

    rows = 400
    start = dt.datetime(2024, 3, 1, 8, 30)
    table = pa.table(
        {
            "_record_no": pa.array(range(rows, 0, -1), pa.int64()),
            "name": [f"Nurlan {i}" if i % 5 else None for i in range(rows)],
            "seen_at": [start + dt.timedelta(minutes=7 * i) for i in range(rows)],
            "born": [dt.date(1950, 1, 1) + dt.timedelta(days=31 * i) for i in range(rows)],
            "amount": pa.array([Decimal(i) / 4 for i in range(rows)], pa.decimal128(12, 2)),
            "codes": [["a", str(i)] for i in range(rows)],
        }
    )
    query = exp.select("*").from_("t")
    with DuckDBEngine() as duck:
        duck.register_arrow("t", table)
        PLAIN.copy(duck, query.order_by("_record_no"), tmp_path / "duck.parquet")
    with open_spark(MASTER, CONF) as engine:
        engine.register_arrow("t", table)
        PLAIN.copy(engine, query, tmp_path / "spark.parquet", order="_record_no")
    written = tmp_path / "spark.parquet"
    assert written.is_dir() and len(PLAIN.parts(written)) > 1, list(written.iterdir())
    assert not [p for p in written.iterdir() if p not in PLAIN.parts(written)]
    a, b = PLAIN.read_table(tmp_path / "duck.parquet"), PLAIN.read_table(written)
    assert b.schema.equals(a.schema), f"{a.schema}\n---\n{b.schema}"
    assert b.equals(a)
    assert b["_record_no"].to_pylist() == list(range(1, rows + 1))


def test_splink_draws_the_same_samples_and_chunks_on_both_engines(spark: None) -> None:
    """The hash Splink samples records and assigns chunks by is the same on both engines
    (each engine's own ``hash`` is not: DuckDB's and Spark's murmur3 differ), for ids and
    for ids with a seed appended, as Splink writes them."""
    from splink.internals.chunking import _chunk_assignment_sql
    from splink.internals.input_column import InputColumn

    from seamline.engine import DuckDBEngine, open_spark

    table = pa.table({"unique_id": list(range(2_000))})
    with DuckDBEngine() as duck, open_spark(MASTER, CONF) as on_spark:
        chosen = []
        for engine in (duck, on_spark):
            dialect = engine.linkage().api.sql_dialect
            uid = [InputColumn("unique_id", sqlglot_dialect_str=dialect.sqlglot_dialect)]
            engine.register_arrow("records", table)
            sample = dialect.proportion_sample_sql(0.3, uid, seed=7)
            chunk = _chunk_assignment_sql(uid, 2, 4, "r", dialect)
            ids = "SELECT unique_id FROM records {} WHERE 1=1 {} ORDER BY 1"
            # Splink's SQL as it sends it, in the engine's own dialect.
            run = engine.rows if engine is duck else _spark_rows
            chosen.append(
                (
                    [r[0] for r in run(ids.format("", sample))],
                    [r[0] for r in run(ids.format("AS r", chunk))],
                )
            )
    (duck_sample, duck_chunk), (spark_sample, spark_chunk) = chosen
    assert duck_sample == spark_sample
    assert duck_chunk == spark_chunk
    assert 450 < len(duck_sample) < 750  # about 30 % of the ids
    assert 350 < len(duck_chunk) < 650  # about a quarter


def _spark_rows(sql: str) -> list[tuple[int, ...]]:
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    assert session is not None
    return [tuple(r) for r in session.sql(sql).collect()]


def test_a_large_table_from_the_driver_is_held_by_the_executors(spark: None) -> None:
    """Reconcile's records, handed to Spark from the driver, are not a local relation the
    optimizer copies into every statement (that ran the driver out of memory at 40,000
    people per register); a code table of a few rows stays one. Both give their rows."""
    from seamline.engine import open_spark
    from seamline.engine.spark_engine import LOCAL_ROWS

    n = LOCAL_ROWS + 1
    big = pa.table({"k": pa.array(range(n), pa.int64()), "v": [f"v{i % 7}" for i in range(n)]})
    small = pa.table({"v": ["v1", "v2"], "label": ["one", "two"]})
    with open_spark(MASTER, CONF) as engine:
        engine.register_arrow("big", big)
        engine.register_arrow("small", small)
        query = "SELECT count(*) AS n FROM big a JOIN big b USING (k) JOIN small s USING (v)"
        assert engine.arrow(query).column("n").to_pylist() == [
            sum(1 for i in range(n) if i % 7 in (1, 2))
        ]
        from seamline.engine.spark_engine import spark_session

        session = spark_session(MASTER, CONF)
        plan = session.sql(query)._jdf.queryExecution().optimizedPlan().toString()
        assert plan.count("LocalRelation") == 1  # the small table's, not the big one's
        frame = engine.linkage().table(big)
        assert "LocalRelation" not in frame._jdf.queryExecution().optimizedPlan().toString()
        assert frame.count() == n
