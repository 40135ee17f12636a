"""The store on both databases it supports: SQLite and the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from seamline.errors import StoreError
from seamline.store import Store, head_revision, safe_url, upgrade_store
from seamline.store.migrate import normalize_url
from seamline.store.models import Base


def test_open_creates_the_schema_at_head(store_url: str) -> None:
    with Store.open(store_url) as store:
        tables = set(inspect(store.engine).get_table_names())
    expected = set(Base.metadata.tables)
    assert expected <= tables
    assert {"runs", "landings", "findings", "decisions", "audit_events"} <= expected
    assert upgrade_store(store_url) == (head_revision(), head_revision())


def test_migrations_match_the_models(store_url: str) -> None:
    """The head migration creates exactly the columns the models declare."""
    with Store.open(store_url) as store:
        inspector = inspect(store.engine)
        for name, table in Base.metadata.tables.items():
            got = {c["name"] for c in inspector.get_columns(name)}
            assert got == {c.name for c in table.columns}, name


def test_runs_are_recorded_with_status_counts_and_duration(store_url: str) -> None:
    with Store.open(store_url) as store:
        parent = store.start_run("run", workspace="pilot")
        child = store.start_run("connect", workspace="pilot", dataset="civil", parent_id=parent)
        store.finish_run(child, "ok", counts={"read": 10, "landed": 9, "quarantined": 1})
        store.finish_run(parent, "failed", message="tax: cannot connect")
        runs = store.list_runs()
    assert [r.id for r in runs] == [child, parent]
    assert runs[0].stage == "connect" and runs[0].dataset == "civil"
    assert runs[0].counts == {"read": 10, "landed": 9, "quarantined": 1}
    assert runs[0].parent_id == parent
    assert runs[0].duration_ms is not None and runs[0].duration_ms >= 0
    assert runs[1].status == "failed" and runs[1].message == "tax: cannot connect"


def test_finishing_an_unknown_run_names_it(store_url: str) -> None:
    with Store.open(store_url) as store, pytest.raises(StoreError, match="no run 4242"):
        store.finish_run(4242, "ok")


def test_landing_counts_must_add_up_in_the_api_and_in_the_database(store_url: str) -> None:
    with Store.open(store_url) as store:
        run = store.start_run("connect", workspace="pilot", dataset="civil")
        store.record_landing(run, "civil", read=5, landed=4, quarantined=1, path="x.parquet")
        with pytest.raises(StoreError, match="do not add up"):
            store.record_landing(run, "civil", read=5, landed=4, quarantined=0, path=None)
        assert store.landings("civil") == [(run, 5, 4, 1)]
        with store.engine.connect() as conn, pytest.raises(Exception, match="ck_landing_adds_up"):
            conn.execute(
                text(
                    "INSERT INTO landings (run_id, dataset, read_count, landed_count, "
                    "quarantined_count, created_at) VALUES (:r, 'civil', 3, 1, 1, CURRENT_TIMESTAMP)"
                ),
                {"r": run},
            )


def test_dataset_schema_and_state_round_trip(store_url: str) -> None:
    with Store.open(store_url) as store:
        r1 = store.start_run("connect", workspace="pilot", dataset="tax")
        store.record_dataset(
            "tax",
            title="Taxpayers",
            system="tax-db",
            owner="tax-service",
            steward=None,
            entity="Person",
            run_id=r1,
        )
        store.record_observed_schema(r1, "tax", [("tin", "string"), ("born", "date32[day]")])
        r2 = store.start_run("connect", workspace="pilot", dataset="tax")
        store.record_observed_schema(r2, "tax", [("tin", "string")], {"tin": "identifier"})
        assert store.observed_schema("tax") == [("tin", "string")]
        assert store.observed_schema("other") == []
        assert store.get_state("tax") == {}
        store.set_state("tax", "sql", {"watermark": "2026-11-01T00:00:00", "n": 3})
        store.set_state("tax", "sql", {"watermark": "2026-11-02T00:00:00", "n": 4})
        assert store.get_state("tax") == {"watermark": "2026-11-02T00:00:00", "n": 4}
        store.clear_state("tax")
        assert store.get_state("tax") == {}


def test_the_same_finding_seen_twice_is_one_finding(store_url: str) -> None:
    with Store.open(store_url) as store:
        a = store.upsert_finding(
            kind="drift.new_code",
            subject="civil.marital",
            message="new code X",
            key="X",
            evidence={"count": 3},
            owner="Bakyt Sadykov",
        )
        b = store.upsert_finding(
            kind="drift.new_code",
            subject="civil.marital",
            message="new code X",
            key="X",
            evidence={"count": 5},
            owner="Bakyt Sadykov",
        )
        c = store.upsert_finding(
            kind="drift.new_code", subject="civil.marital", message="new code Y", key="Y"
        )
        found = store.findings(kind="drift.new_code")
    assert a == b != c
    assert [(f.id, f.times_seen) for f in found] == [(a, 2), (c, 1)]
    assert found[0].evidence == {"count": 5}


def test_a_store_from_a_newer_version_is_refused_and_left_unchanged(store_url: str) -> None:
    with Store.open(store_url):
        pass
    engine = create_engine(normalize_url(store_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="newer seamline") as info, Store.open(store_url):
        pass
    assert "9999_future" in str(info.value)
    with pytest.raises(StoreError, match="newer seamline"):
        upgrade_store(store_url)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"
        )
    engine.dispose()


def test_an_older_store_is_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url)
    with engine.begin() as conn:  # a store created before any migration ran
        conn.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    engine.dispose()
    before, after = upgrade_store(url)
    assert before is None and after == head_revision()
    assert upgrade_store(url) == (after, after)


def test_opening_an_older_store_upgrades_it_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from seamline.store.migrate import create_store_engine, upgrade_engine

    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_store_engine(url)
    assert upgrade_engine(engine, to="0002") == (None, "0002")  # a store of an older release
    engine.dispose()
    with caplog.at_level("WARNING", logger="seamline.store"), Store.open(url) as store:
        assert "cert_fingerprint" in {
            c["name"] for c in inspect(store.engine).get_columns("api_clients")
        }
    assert [r.getMessage() for r in caplog.records] == [
        f"upgraded the store at {url} from schema revision 0002 to {head_revision()} "
        "(`seamline upgrade` does this on its own)"
    ]
    caplog.clear()
    with caplog.at_level("WARNING", logger="seamline.store"), Store.open(url):
        pass  # at head already: nothing to say
    assert caplog.records == []


def test_an_unreachable_store_is_a_clear_error() -> None:
    url = "postgresql://nobody:secret@127.0.0.1:1/none"
    with pytest.raises(StoreError) as info, Store.open(url):
        pass
    message = str(info.value)
    assert "cannot reach the store" in message and "secret" not in message
    assert "***" in message


def test_safe_url_hides_passwords() -> None:
    assert safe_url("postgresql://tax:hunter2@db:5432/s") == "postgresql://tax:***@db:5432/s"
    assert normalize_url("postgresql://db/s") == "postgresql+psycopg://db/s"


def test_deliveries_are_recorded_numbered_on_and_marked_in_state(store_url: str) -> None:
    with Store.open(store_url) as store:
        run = store.start_run("connect", workspace="pilot", dataset="queue")
        assert store.next_record_no("queue") == 1
        first = store.start_delivery("queue", run_id=run, mode="append", first_record_no=1)
        store.finish_delivery(first, "ok", read=1000, landed=998, quarantined=2, path="a")
        assert store.next_record_no("queue") == 1001
        empty = store.start_delivery("queue", run_id=run, mode="append", first_record_no=1001)
        store.finish_delivery(empty, "empty")
        assert store.next_record_no("queue") == 1001
        with pytest.raises(StoreError, match="read 5 != landed 4 \\+ quarantined 0"):
            store.finish_delivery(empty, "ok", read=5, landed=4)
        store.set_in_state("queue", {first}, only=True)
        store.mark_pruned({empty})
        got = store.deliveries("queue")
    assert [(d.id, d.status, d.in_state, d.kept) for d in got] == [
        (first, "ok", True, True),
        (empty, "empty", False, False),
    ]
    assert got[0].read == 1000 and got[0].run_id == run and got[0].mode == "append"


def test_runs_of_a_live_process_are_not_aborted(store_url: str) -> None:
    with Store.open(store_url) as store:
        mine = store.start_run("run", workspace="pilot")
        assert store.abort_dead_runs() == []
        assert store.list_runs()[0].status == "running"
        store.finish_run(mine, "ok")
