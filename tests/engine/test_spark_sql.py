"""The Spark SQL the stages' trees become (no Spark needed), and the workspace's engine
settings. Running it on Spark is tests/engine/test_spark_parity.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlglot import exp

from seamline.engine.spark_sql import _groups, java_format, to_spark
from seamline.workspace.engines import data_path, engine_issues, spark_master
from seamline.workspace.project import ProjectSpec
from seamline.workspace.yamlpos import Positions


@pytest.mark.parametrize(
    ("strptime", "java"),
    [
        ("%d.%m.%Y", "d.M.yyyy"),
        ("%Y%m%d", "yyyyMMdd"),
        ("%Y-%m-%dT%H:%M:%S", "yyyy-M-d'T'H:m:s"),
    ],
)
def test_date_formats_become_java_patterns(strptime: str, java: str) -> None:
    assert java_format(strptime) == java


def test_duckdb_only_functions_are_rewritten() -> None:
    sql = to_spark(
        "SELECT regexp_full_match(v, '[0-9]+'), try_strptime(v, '%d.%m.%Y'), "
        "list_sum(a), list_extract(a, 1) FROM t"
    )
    assert "v RLIKE '^(?:[0-9]+)$'" in sql
    assert "TRY_TO_TIMESTAMP(v, 'd.M.yyyy')" in sql
    assert "AGGREGATE(a, CAST(0 AS BIGINT), (acc, x) -> acc + CAST(x AS BIGINT))" in sql
    assert "TRY_ELEMENT_AT(a, 1)" in sql
    # A tree naming DuckDB's len() of a list (as the date normalizer's does): its size.
    tree = exp.select(exp.Anonymous(this="len", expressions=[exp.column("a")])).from_("t")
    assert to_spark(tree) == "SELECT SIZE(a) FROM t"


def test_hamming_and_ordered_lists_are_rewritten() -> None:
    sql = to_spark("SELECT hamming(a, b), list(x ORDER BY k, j) FROM t")
    assert (
        "SIZE(FILTER(SEQUENCE(1, LENGTH(a)), i -> SUBSTRING(a, i, 1) <> SUBSTRING(b, i, 1)))" in sql
    )
    assert "TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k AS _k0, j AS _k1, x AS _v))), " in sql
    assert to_spark("SELECT list(x) FROM t") == "SELECT COLLECT_LIST(x) FROM t"
    with pytest.raises(ValueError, match="ascending"):
        to_spark("SELECT list(x ORDER BY k DESC) FROM t")


def test_division_and_date_differences_keep_duckdbs_types() -> None:
    """DuckDB's ``/`` divides in DOUBLE (a DECIMAL's quotient too), its ``date - date`` is
    a number of days, and its damerau_levenshtein an integer; Spark's are not."""
    sql = to_spark(
        "SELECT CAST(a AS DECIMAL(18, 2)) / 100, a // 2, "
        "DATE '2026-12-31' - CAST(p || '-01' AS DATE) <= 60, d - e, "
        "damerau_levenshtein(w, n) = 1 FROM t"
    )
    assert "CAST(CAST(a AS DECIMAL(18, 2)) AS DOUBLE) / CAST(100 AS DOUBLE)" in sql
    assert "a DIV 2" in sql
    days = "CAST(DATEDIFF(CAST('2026-12-31' AS DATE), CAST(p || '-01' AS DATE)) AS BIGINT)"
    assert f"{days} <= 60" in sql
    assert ", d - e," in sql  # columns' types are not known: left as written
    assert "CAST(DAMERAU_LEVENSHTEIN(w, n) AS BIGINT) = 1" in sql


def test_spark_is_told_to_log_nothing_unless_the_conf_says() -> None:
    from seamline.engine.spark_quiet import LOG4J2, quiet_conf

    assert LOG4J2.is_file()
    conf = quiet_conf({"spark.driver.extraJavaOptions": "-Xss4m"})
    assert conf["spark.driver.extraJavaOptions"] == (
        f"-Xss4m -Dlog4j2.configurationFile={LOG4J2.as_uri()}"
    )
    assert conf["spark.log.level"] == "OFF"
    assert quiet_conf({"spark.log.level": "WARN"})["spark.log.level"] == "WARN"
    own = {"spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile=file:/etc/mine.xml"}
    assert quiet_conf(own) == own


def test_regexp_replace_first_match_and_back_references() -> None:
    every = to_spark("SELECT regexp_replace(v, '(a)', '\\1$', 'g') FROM t")
    assert "REGEXP_REPLACE(v, '(a)', '$1\\\\$')" in every
    first = to_spark("SELECT regexp_replace(v, '(a)(b)', '\\2') FROM t")
    assert "'(?s)^(.*?)(?:(a)(b))(.*)$', '$1$3$4'" in first


def test_capturing_groups_are_counted() -> None:
    assert _groups(r"(a)(?:b)(?<n>c)[(]\(") == 2


def test_the_master_comes_from_the_environment_first() -> None:
    project = ProjectSpec(name="p", engine="spark", spark={"master": "local[1]"})
    assert spark_master(project, {}) == "local[1]"
    assert spark_master(project, {"SEAMLINE_SPARK_MASTER": "spark://h:7077"}) == "spark://h:7077"
    assert ProjectSpec(name="p", spark={"conf": {"a": 4, "b": True}}).spark.conf == {
        "a": "4",
        "b": "true",
    }


def test_a_file_uri_data_dir_is_a_local_folder() -> None:
    assert str(data_path("file:///srv/data")) == "/srv/data"
    assert str(data_path("rel/data")) == "rel/data"


def test_what_spark_cannot_do_is_refused_by_validate() -> None:
    project = ProjectSpec(name="p", engine="spark", data_dir="s3a://bucket/data")
    issues = engine_issues(project, "sqlite:///x.db", Positions("seamline.yaml"))
    text = " | ".join(i.message for i in issues)
    assert "needs a server store, and the store is sqlite" in text
    assert "data_dir s3a://bucket/data is not a folder this machine can write" in text
    assert (
        engine_issues(
            project.model_copy(update={"engine": "duckdb"}), "sqlite://", Positions("seamline.yaml")
        )
        == []
    )
    ok = ProjectSpec(name="p", engine="spark", data_dir="file:///srv/data")
    assert engine_issues(ok, "postgresql+psycopg://h/db", Positions("seamline.yaml")) == []


def test_a_reservoir_sample_becomes_a_seeded_random_order_and_a_limit() -> None:
    from seamline.inventory import profile_sql as q

    grouped = q.grouped_values("landing", [q.FieldRef("a", 0, True)], {0}, 100, 7)
    sql = to_spark(grouped)
    assert "TABLESAMPLE" not in sql.upper()
    assert "WHERE NOT `a` IS NULL ORDER BY RAND(7) LIMIT 100) AS s" in sql


def test_explain_shows_the_plan_in_the_dialect_it_runs_in(tmp_path: Path) -> None:
    from seamline.demo import generate_demo
    from seamline.harmonize.run import explain
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.store import Store
    from seamline.workspace import load_workspace

    generate_demo(tmp_path / "ws", people=20, seed=3)
    ws = load_workspace(tmp_path / "ws", env={})
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        run_pipeline(ws, store, stages=[ConnectStage()], datasets=["tax_payers"])
    assert '"tin"' in explain(ws, "tax_payers") and "`tin`" not in explain(ws, "tax_payers")
    spark = replace(ws, project=ws.project.model_copy(update={"engine": "spark"}))
    assert "`tin`" in explain(spark, "tax_payers")


def test_similarity_functions_and_date_differences_are_rewritten() -> None:
    """Splink's jar functions for DuckDB's names; a date minus a date as days."""
    sql = to_spark(
        "SELECT damerau_levenshtein(a, b) = 1, jaro_winkler_similarity(a, b), "
        "DATE '2026-12-31' - CAST(p || '-01' AS DATE), d - e FROM t"
    )
    assert "CAST(DAMERAU_LEVENSHTEIN(a, b) AS BIGINT) = 1" in sql
    assert "JARO_WINKLER(a, b)" in sql
    assert "CAST(DATEDIFF(CAST('2026-12-31' AS DATE), CAST(p || '-01' AS DATE)) AS BIGINT)" in sql
    # Columns of unknown type are left as they are (Spark's interval for two dates).
    assert sql.endswith(", d - e FROM t")


def test_the_billing_demos_derived_queries_have_a_spark_form() -> None:
    """The queries a user writes for DuckDB (the billing demo's) as Spark SQL; they were
    run on Spark local[2] and gave DuckDB's rows (docs/scale.md)."""
    from seamline.demo.billing.derived import AGING, CATEGORY_TOTALS, INVOICES, PAYMENT_LINKS

    for sql in (INVOICES, PAYMENT_LINKS, AGING, CATEGORY_TOTALS):
        text = to_spark(sql)
        assert text.split("*/")[-1].lstrip().startswith(("SELECT", "WITH")), text
    assert "CAST(DAMERAU_LEVENSHTEIN(" in to_spark(PAYMENT_LINKS)
    assert to_spark(AGING).count("CAST(DATEDIFF(CAST('2026-12-31' AS DATE), ") == 3


def test_the_driver_ends_itself_when_out_of_memory_unless_told_otherwise() -> None:
    """Without the flag an out-of-memory error in the thread that streams a result to
    Python left the run waiting for ever (the engines bench at 200,000 people)."""
    from seamline.engine.spark_engine import fail_fast_conf

    plain = fail_fast_conf({"spark.driver.extraJavaOptions": "-Dx=1"})
    assert plain["spark.driver.extraJavaOptions"] == "-Dx=1 -XX:+ExitOnOutOfMemoryError"
    assert fail_fast_conf({})["spark.driver.extraJavaOptions"] == "-XX:+ExitOnOutOfMemoryError"
    own = {"spark.driver.extraJavaOptions": "-XX:OnOutOfMemoryError=/opt/dump.sh"}
    assert fail_fast_conf(own) == own


def test_a_lost_driver_is_told_apart_from_a_rejected_statement() -> None:
    from seamline.engine.spark_engine import statement_error

    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as lost:
            raise RuntimeError("An error occurred while calling o72.getResult") from lost
    except RuntimeError as exc:
        stopped = statement_error(exc)
    assert "driver stopped" in stopped.message and "spark.driver.memory" in (stopped.hint or "")
    rejected = statement_error(ValueError("[UNRESOLVED_COLUMN] `x` cannot be resolved"))
    assert rejected.message.startswith("Spark could not run a statement: [UNRESOLVED_COLUMN]")


def test_a_driver_that_ended_is_named_when_the_next_stage_asks_for_spark() -> None:
    """After the driver's JVM ended (out of memory), the next stage's session would fail
    with "connection refused"; the JVM's exit code is found instead."""
    import subprocess
    import sys
    from types import SimpleNamespace

    from seamline.engine.spark_quiet import ended

    done = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    done.wait()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert ended(SimpleNamespace(proc=done)) == 3
        assert ended(SimpleNamespace(proc=running)) is None
        assert ended(SimpleNamespace()) is None  # a gateway PySpark did not start
    finally:
        running.kill()
        running.wait()
