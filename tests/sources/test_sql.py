"""The sql source against SQLite and the real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import datetime as dt
import decimal
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from seamline.errors import SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext, SourceTime
from seamline.sources.sql import SqlOptions, SqlReader, register

N = 10_000
FIRST = ["Aigul", "Nurlan", "Светлана", "Бакыт", "Maria", "Timur", "Олжас", "Dana"]
LAST = ["Toktogulova", "Abenov", "Иванова", "Садыков", "Petrenko", "Omarov"]


def people_rows(start: int, count: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(start, start + count):
        rows.append(
            {
                "person_id": i,
                "full_name": f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
                "birth_date": dt.date(1950, 1, 1) + dt.timedelta(days=(i * 37) % 20_000),
                "tax_due": decimal.Decimal(i * 7 % 100_000) / 100,
                "is_resident": i % 3 != 0,
                "note": None if i % 5 == 0 else f"case {i}",
                "updated_at": dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i),
            }
        )
    return rows


def make_people(url: str, count: int = N) -> sa.Table:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        "people",
        meta,
        sa.Column("person_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("birth_date", sa.Date),
        sa.Column("tax_due", sa.Numeric(12, 2)),
        sa.Column("is_resident", sa.Boolean),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime),
    )
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(table.insert(), people_rows(1, count))
    engine.dispose()
    return table


def insert_people(url: str, table: sa.Table, start: int, count: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(table.insert(), people_rows(start, count))
    engine.dispose()


def read_all(reader: SqlReader) -> tuple[pa.Table, list[Batch]]:
    batches = list(reader.batches())
    table = pa.Table.from_batches([b.data for b in batches])
    return table, batches


def reader_for(tmp_path: Path, state: dict[str, Any] | None = None, **opts: Any) -> SqlReader:
    options = SqlOptions.model_validate({"kind": "sql", **opts})
    ctx = ReadContext(base_dir=tmp_path, dataset="people", state=dict(state or {}))
    return SqlReader(options, ctx)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/people.db"
    fixture = "postgres_url" if request.param == "postgresql" else "mariadb_url"
    return str(request.getfixturevalue(fixture))


def test_reads_table_with_types_values_and_streams_in_chunks(db_url: str, tmp_path: Path) -> None:
    make_people(db_url)
    reader = reader_for(tmp_path, url=db_url, table="people", key=["person_id"], chunk_size=1000)
    table, batches = read_all(reader)

    assert len(batches) == 10
    assert all(b.data.num_rows == 1000 for b in batches)
    assert sum(len(b.quarantined) for b in batches) == 0
    assert table.num_rows == N
    schema = table.schema
    assert schema.names[:2] == ["_record_no", "_source_pos"]
    assert schema.field("person_id").type == pa.int64()
    assert schema.field("full_name").type == pa.string()
    assert schema.field("birth_date").type == pa.date32()
    assert schema.field("tax_due").type == pa.decimal128(12, 2)
    assert schema.field("updated_at").type == pa.timestamp("us")
    # MariaDB has no boolean type: BOOLEAN is TINYINT(1) and comes back as an integer.
    assert schema.field("is_resident").type in (pa.bool_(), pa.int64())

    rows = {r["person_id"]: r for r in table.to_pylist()}
    expected = {r["person_id"]: r for r in people_rows(1, N)}
    assert rows.keys() == expected.keys()
    for pid in (1, 2, 5, 4_321, N):
        got, want = rows[pid], expected[pid]
        assert got["full_name"] == want["full_name"]
        assert got["birth_date"] == want["birth_date"]
        assert got["tax_due"] == want["tax_due"]
        assert bool(got["is_resident"]) == want["is_resident"]
        assert got["note"] == want["note"]
        assert got["updated_at"] == want["updated_at"]
        assert got["_source_pos"] == f"id={pid}"
    assert rows[2]["full_name"] == "Светлана Иванова"
    assert sum(1 for r in rows.values() if r["note"] is None) == N // 5
    assert table.column("_record_no").to_pylist() == list(range(1, N + 1))


def test_incremental_reads_only_new_rows(db_url: str, tmp_path: Path) -> None:
    people = make_people(db_url, count=2_000)
    first = reader_for(tmp_path, url=db_url, table="people", watermark="updated_at")
    table, _ = read_all(first)
    assert table.num_rows == 2_000
    state = first.state()
    assert state["watermark"] == (dt.datetime(2024, 1, 1) + dt.timedelta(minutes=2_000)).isoformat()
    # The delivery is as fresh as its newest watermark value (naive: taken as UTC).
    newest = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=2_000)
    assert first.source_time() == SourceTime(newest, "watermark")

    insert_people(db_url, people, 2_001, 150)
    second = reader_for(tmp_path, state, url=db_url, table="people", watermark="updated_at")
    table2, _ = read_all(second)
    assert sorted(table2.column("person_id").to_pylist()) == list(range(2_001, 2_151))
    assert table2.column("_source_pos").to_pylist()[0] == "row 1"

    third = reader_for(tmp_path, second.state(), url=db_url, table="people", watermark="updated_at")
    table3, _ = read_all(third)
    assert table3.num_rows == 0
    assert third.state()["watermark"] == second.state()["watermark"]


def test_incremental_query_read(db_url: str, tmp_path: Path) -> None:
    people = make_people(db_url, count=500)
    query = "SELECT person_id, full_name, tax_due FROM people WHERE is_resident = :yes"
    query = query.replace(":yes", "1" if db_url.startswith("mysql") else "TRUE")
    if db_url.startswith("sqlite"):
        query = query.replace("TRUE", "1")
    opts: dict[str, Any] = {"url": db_url, "query": query, "watermark": "person_id"}
    first = reader_for(tmp_path, **opts, chunk_size=100)
    table, batches = read_all(first)
    residents = [r for r in people_rows(1, 500) if r["is_resident"]]
    assert table.num_rows == len(residents)
    assert len(batches) == -(-len(residents) // 100)
    assert first.state()["watermark"] == "500"
    assert first.source_time() is None  # a number is no time: freshness falls back to the read

    insert_people(db_url, people, 501, 30)
    second = reader_for(tmp_path, first.state(), **opts)
    table2, _ = read_all(second)
    assert table2.column("person_id").to_pylist() == [
        r["person_id"] for r in people_rows(501, 30) if r["is_resident"]
    ]


def test_sqlite_path_and_bad_values_are_quarantined(tmp_path: Path) -> None:
    db = tmp_path / "registry.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE births (id INTEGER PRIMARY KEY, name TEXT, born DATE, fee NUMERIC(8,2))"
        )
        conn.executemany(
            "INSERT INTO births VALUES (?, ?, ?, ?)",
            [
                (1, "Aigul Toktogulova", "1987-03-14", 12.5),
                (2, "Nurlan Abenov", "1990-02-30", 3),
                (3, "Бакыт Садыков", "2001-11-02", "lots"),
                (4, "Dana Omarov", None, None),
            ],
        )
    conn.close()
    reader = reader_for(tmp_path, path="registry.db", table="births", key=["id"])
    table, batches = read_all(reader)
    assert table.column("id").to_pylist() == [1, 4]
    assert table.column("born").to_pylist() == [dt.date(1987, 3, 14), None]
    assert table.column("fee").to_pylist() == [decimal.Decimal("12.50"), None]
    quarantined = [q for b in batches for q in b.quarantined]
    assert [(q.record_no, q.position) for q in quarantined] == [(2, "id=2"), (3, "id=3")]
    assert "column born" in quarantined[0].reason
    assert "1990-02-30" in quarantined[0].raw.decode()
    assert "column fee" in quarantined[1].reason
    assert reader.describe().startswith("sql sqlite:///")


def test_missing_table_names_url_without_password(postgres_url: str, tmp_path: Path) -> None:
    url = (
        sa.make_url(postgres_url)
        .set(password="S3cret-Tax-Pass")
        .render_as_string(hide_password=False)
    )
    reader = reader_for(tmp_path, url=url, table="no_such_people")
    with pytest.raises(SourceError) as err:
        list(reader.batches())
    text = str(err.value)
    assert "no_such_people" in text
    assert "S3cret-Tax-Pass" not in text
    assert "***" in text
    assert "S3cret-Tax-Pass" not in reader.describe()


def test_unreachable_server_gives_source_error_without_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://tax_reader:S3cret-Tax-Pass@127.0.0.1:1/taxes"
    reader = reader_for(tmp_path, url=url, table="people")
    with pytest.raises(SourceError) as err:
        list(reader.batches())
    text = str(err.value)
    assert "cannot connect" in text
    assert "127.0.0.1:1" in text
    assert "S3cret-Tax-Pass" not in text
    assert err.value.hint


def test_bad_url_and_options(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        list(reader_for(tmp_path, url="not a url://x:S3cret@", table="t").batches())
    assert "S3cret" not in str(err.value)
    with pytest.raises(ValueError, match="exactly one of url"):
        SqlOptions.model_validate({"kind": "sql", "table": "t"})
    with pytest.raises(ValueError, match="exactly one of table or query"):
        SqlOptions.model_validate(
            {"kind": "sql", "path": "a.db", "table": "t", "query": "SELECT 1"}
        )


def test_registers_connector() -> None:
    registry = Registry()
    register(registry)
    assert registry.connector("sql") is SqlReader
