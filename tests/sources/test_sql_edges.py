"""Incremental SQL reads at their edges, on SQLite and the real PostgreSQL and MariaDB.

Rows committed after a run with the same watermark value as the last one read, and rows
whose watermark is NULL, must reach the landing state exactly once; several runs with
new rows, idle polls and edge rows replay to a state with every row once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from seamline.crypto.parquet import PLAIN
from seamline.sources.base import ReadContext
from seamline.sources.deliveries import Delivered, current_state, deliver, delivery_rows
from seamline.sources.sql import SqlOptions
from seamline.store import Store

T0 = dt.datetime(2024, 3, 1, 9, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tax.db"
    fixture = "postgres_url" if request.param == "postgresql" else "mariadb_url"
    return str(request.getfixturevalue(fixture))


class Db:
    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        meta = sa.MetaData()
        self.table = sa.Table(
            "payers_deliveries",
            meta,
            sa.Column("payer_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("name", sa.String(80)),
            sa.Column("changed_at", sa.DateTime, nullable=True),
        )
        meta.create_all(self.engine)

    def insert(self, ids: range | list[int], at: dt.datetime | None, name: str = "v1") -> None:
        rows = [{"payer_id": i, "name": f"{name} {i}", "changed_at": at} for i in ids]
        with self.engine.begin() as conn:
            conn.execute(self.table.insert(), rows)

    def update(self, payer_id: int, name: str, at: dt.datetime | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                self.table.update()
                .where(self.table.c.payer_id == payer_id)
                .values(name=name, changed_at=at)
            )

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Db]:
    d = Db(db_url)
    yield d
    d.close()


class Runs:
    """Runs of the connect step as `seamline run` does them: state kept only when committed."""

    def __init__(self, tmp_path: Path, url: str, **opts: Any) -> None:
        self.tmp, self.state = tmp_path, dict[str, Any]()
        self.options = SqlOptions.model_validate(
            {"kind": "sql", "url": url, "table": "payers_deliveries", **opts}
        )
        self.store_cm = Store.open(f"sqlite:///{tmp_path}/store.db")
        self.store = self.store_cm.__enter__()

    def run(self) -> Delivered:
        done = deliver(
            self.store,
            "payers",
            self.options,
            self.tmp / "data",
            ReadContext(self.tmp, "payers", state=dict(self.state), batch_size=1000),
            run_id=None,
            files=PLAIN,
        )
        if done.landing.committed:
            self.state = done.landing.state
        return done

    def landed(self) -> dict[int, str]:
        path = current_state(self.tmp / "data", "payers")
        assert path is not None
        rows = pq.read_table(path).to_pylist()
        ids = [r["payer_id"] for r in rows]
        assert len(ids) == len(set(ids)), "a payer is in the state twice"
        numbers = [r["_record_no"] for r in rows]
        assert len(numbers) == len(set(numbers))
        return {r["payer_id"]: r["name"] for r in rows}

    def close(self) -> None:
        self.store_cm.__exit__(None, None, None)


@pytest.fixture
def runs(tmp_path: Path, db: Db, db_url: str) -> Iterator[Runs]:
    r = Runs(tmp_path, db_url, key=["payer_id"], watermark="changed_at")
    yield r
    r.close()


def test_rows_at_the_watermark_edge_and_with_null_watermarks_land_once(db: Db, runs: Runs) -> None:
    db.insert(range(1, 1002), T0)  # 1,001 rows, all at the same instant
    db.insert([5000], None)
    first = runs.run()
    assert (first.mode, first.status, first.landing.read) == ("append", "ok", 1002)

    # committed after the run, with the same timestamp as the watermark: must be read
    db.insert(range(1002, 1052), T0)
    db.insert([5001], None)  # a new row without a watermark: read once
    second = runs.run()
    assert second.landing.read == 51
    assert len(runs.landed()) == 1053

    idle = runs.run()  # nothing new: the edge and the NULL rows are not read again
    assert (idle.status, idle.landing.read, idle.state_rows) == ("empty", 0, 1053)

    db.update(7, "v2 7", T0 + dt.timedelta(seconds=1))  # an update moves the watermark on
    db.update(5000, "v2 5000", None)  # a changed row without a watermark is read again
    third = runs.run()
    assert third.landing.read == 2
    landed = runs.landed()
    assert len(landed) == 1053
    assert landed[7] == "v2 7" and landed[5000] == "v2 5000" and landed[1051] == "v1 1051"


def test_replay_several_runs_new_rows_idle_polls_and_edges(db: Db, runs: Runs) -> None:
    expected: dict[int, str] = {}

    def add(ids: range | list[int], at: dt.datetime | None) -> None:
        db.insert(ids, at)
        expected.update({i: f"v1 {i}" for i in ids})

    plan: list[tuple[range | list[int], dt.datetime | None]] = [
        (range(1, 101), T0),
        (range(101, 111), T0),  # same instant as the last run's watermark
        ([], None),  # idle
        (range(111, 161), T0 + dt.timedelta(minutes=1)),
        ([900, 901], None),  # no watermark
        (range(161, 166), T0 + dt.timedelta(minutes=1)),  # the new edge again
        ([], None),  # idle
        (range(166, 200), T0 + dt.timedelta(minutes=2)),
    ]
    statuses = []
    for ids, at in plan:
        if ids:
            add(ids, at)
        statuses.append(runs.run().status)
    assert statuses == ["ok", "ok", "empty", "ok", "ok", "ok", "empty", "ok"]
    assert runs.landed() == expected
    rows = delivery_rows(runs.store, "payers")
    assert sum(int(str(r["read"])) for r in rows) == len(expected) == 201
    assert all(r["status"] in ("ok", "empty") for r in rows)
    assert [r["in state"] for r in rows if r["status"] == "ok"] == ["yes"] * 6


def test_null_watermark_rules(db: Db, db_url: str, tmp_path: Path) -> None:
    db.insert([1], T0)
    db.insert([2], None)
    for rule, first_ids, later_reads in (
        ("never", {1}, 0),
        ("always", {1, 2}, 1),
        ("read_once", {1, 2}, 0),
    ):
        folder = tmp_path / rule
        folder.mkdir()
        r = Runs(folder, db_url, key=["payer_id"], watermark="changed_at", null_watermark=rule)
        try:
            r.run()
            assert set(r.landed()) == first_ids, rule
            assert r.run().landing.read == later_reads, rule
            assert set(r.landed()) == first_ids, rule
        finally:
            r.close()


def test_the_sql_source_without_a_watermark_is_a_snapshot(
    db: Db, db_url: str, tmp_path: Path
) -> None:
    db.insert(range(1, 11), T0)
    r = Runs(tmp_path, db_url, key=["payer_id"])
    try:
        assert r.run().mode == "snapshot"
        with db.engine.begin() as conn:
            conn.execute(db.table.delete().where(db.table.c.payer_id > 5))
        assert r.run().state_rows == 5  # a full extract: the latest delivery is the state
    finally:
        r.close()
