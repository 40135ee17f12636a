"""The engine runs sqlglot trees over Parquet and returns Arrow."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from seamline.crypto.parquet import PLAIN
from seamline.engine import SPILL_DIR, DuckDBEngine, EngineError


def test_runs_a_tree_over_a_parquet_view_with_an_awkward_path(tmp_path: Path) -> None:
    folder = tmp_path / "it's a folder; DROP TABLE x"
    folder.mkdir()
    path = folder / "people.parquet"
    pq.write_table(pa.table({"name": ["Aigul", "Bakyt", "Айгүл"], "age": [37, 35, 19]}), path)
    with DuckDBEngine() as engine:
        engine.parquet_view("people", [path])
        query = (
            exp.select("name")
            .from_("people")
            .where(exp.GT(this=exp.column("age"), expression=exp.Literal.number(20)))
            .order_by("name")
        )
        assert engine.arrow(query).column("name").to_pylist() == ["Aigul", "Bakyt"]
        assert engine.rows("SELECT count(*) FROM people WHERE name = ?", ["Айгүл"]) == [(1,)]
        out = tmp_path / "out.parquet"
        engine.copy_to_parquet(exp.select("*").from_("people"), out, open_writer=PLAIN.writer)
        assert pq.read_table(out).num_rows == 3


def test_engine_errors_are_seamline_errors() -> None:
    with DuckDBEngine() as engine, pytest.raises(EngineError, match="could not run"):
        engine.execute("SELECT * FROM no_such_table")


def test_spills_go_to_the_spill_folder_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seamline.engine import adopt

    monkeypatch.chdir(tmp_path)
    with DuckDBEngine() as engine:
        assert engine.rows("SELECT current_setting('temp_directory')") == [(str(SPILL_DIR),)]
    with DuckDBEngine(memory_limit="64MB", temp_directory=tmp_path / "spill") as engine:
        engine.execute("SET preserve_insertion_order = false")
        # A sort of ~200 MB under a 64 MB limit has to spill.
        total = engine.rows(
            "SELECT sum(length(s)) FROM (SELECT repeat(CAST(i AS VARCHAR), 20) AS s "
            "FROM range(2000000) t(i) ORDER BY s DESC)"
        )
        assert total[0][0] > 0
    assert not (tmp_path / ".tmp").exists()
    # A connection a library opened (Splink's) is pointed at a folder the same way.
    with DuckDBEngine() as engine:
        adopt(engine._con, tmp_path / "library")
        assert engine.rows("SELECT current_setting('temp_directory')") == [
            (str(tmp_path / "library"),)
        ]


def test_duckdb_draws_no_progress_bar_of_its_own() -> None:
    import duckdb

    from seamline.engine import adopt

    with DuckDBEngine() as engine:
        assert engine.rows("SELECT current_setting('enable_progress_bar')") == [(False,)]
    con = duckdb.connect()  # as a library would open it, with the bar on
    con.execute("SET enable_progress_bar = true")
    adopt(con, SPILL_DIR)
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]


def test_copy_to_parquet_keeps_order_and_encodes_only_repeating_columns(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    with DuckDBEngine() as engine:
        # row ids and identifiers are all different; a status repeats
        query = (
            "SELECT i AS rid, 'KG' || lpad(CAST(i * 7919 % 1000003 AS VARCHAR), 9, '0') AS pin, "
            "CASE i % 3 WHEN 0 THEN 'active' WHEN 1 THEN 'closed' ELSE 'suspended' END "
            "AS status FROM range(300000) t(i) ORDER BY i"
        )
        engine.copy_to_parquet(
            sqlglot.parse_one(query, read="duckdb"),
            out,
            row_group_rows=50_000,
            open_writer=PLAIN.writer,
        )
    written = pq.ParquetFile(out)
    assert written.metadata.num_row_groups >= 6
    assert pq.read_table(out).column("rid").to_pylist() == list(range(300_000))
    group = written.metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings for i in range(3)}
    assert "RLE_DICTIONARY" in encodings["status"]
    assert "RLE_DICTIONARY" not in encodings["pin"]
    assert "RLE_DICTIONARY" not in encodings["rid"]


def test_copy_to_parquet_of_no_rows_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "empty.parquet"
    with DuckDBEngine() as engine:
        engine.copy_to_parquet(
            sqlglot.parse_one("SELECT 1 AS a, 'x' AS b WHERE false", read="duckdb"),
            out,
            open_writer=PLAIN.writer,
        )
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.column_names == ["a", "b"]


def test_the_executors_run_the_python_the_workspace_names() -> None:
    import sys

    from seamline.engine.spark_engine import executor_python

    named = {"spark.pyspark.python": "/opt/seamline/venv/bin/python"}
    assert (
        executor_python(named, {"PYSPARK_PYTHON": "/usr/bin/python3"})
        == named["spark.pyspark.python"]
    )
    assert executor_python({}, {"PYSPARK_PYTHON": "/usr/bin/python3"}) == "/usr/bin/python3"
    assert executor_python({}, {}) == sys.executable
