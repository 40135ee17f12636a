"""Retention on a moving clock: deliveries made at chosen dates, swept at chosen `now`s.

The store's clock (``utcnow`` of the delivery and run records) is set per delivery, so
nothing sleeps; the sweep's ``now`` is an argument, as ``--now`` is on the command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from seamline.exchange import ExchangeConfig, add_client
from seamline.exchange.app import create_app
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, default_stages, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.reconcile.worklist import store_rows
from seamline.retention import sweep
from seamline.retention.stage import RetentionStage
from seamline.store import Store
from seamline.store.models import AuditEvent
from seamline.ui.entity_view import PreparedCache, entity_page
from seamline.workspace import Workspace, load_workspace
from seamline.workspace.template import write_example

HEADER = "pin,family_name,given_name,birth_date,marital"
AIGUL = "21203198700123,Toktogulova,Aigul,12.03.1987,M"
BAKYT = "10507199000456,Sadykov,Bakyt,05.07.1990,S"
BAKYT_LATER = "10507199000456,Sadykov,Bakyt Uulu,05.07.1990,M"
NURZHAN = "10101195500789,Abdyrakhmanova,Nurzhan,01.01.1955,W"
GULNARA = "21506198200345,Isakova,Gulnara,15.06.1982,S"
BROKEN = "only-one-field"

JAN_2026 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
MAR_2027 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
JUN_2028 = datetime(2028, 6, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2032, 2, 1, tzinfo=UTC)
"""With the seam's P5Y the cutoff is 2027-02-01: only the January 2026 delivery is past it."""


class Clock:
    def __init__(self) -> None:
        self.at = JAN_2026

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Program:
    root: Path
    ws: Workspace
    store: Store
    clock: Clock
    key: str = ""

    @property
    def data(self) -> Path:
        return self.ws.data_dir

    def deliver(self, at: datetime, *lines: str) -> None:
        """Drop a CSV with ``lines`` and run connect, harmonize, reconcile at ``at``."""
        self.clock.at = at
        (self.root / "data" / "persons.csv").write_text(
            "\n".join([HEADER, *lines]) + "\n", encoding="utf-8"
        )
        summary = run_pipeline(
            self.ws, self.store, stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()]
        )
        assert [s.status for s in summary.stages] != [], summary

    def state_pins(self) -> list[str]:
        table = pq.read_table(self.data / "landing" / "civil_persons.parquet")
        return sorted(str(p) for p in table.column("pin").to_pylist())


def append_source(root: Path, *, own_period: str | None = None) -> None:
    path = root / "datasets" / "civil_persons.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  encoding: auto", "  encoding: auto\n  state: append\n  key: [pin]"
    )
    if own_period:
        text += f"retention: {own_period}\n"
    path.write_text(text, encoding="utf-8")
    project = root / "seamline.yaml"
    project.write_text(
        project.read_text(encoding="utf-8").replace(
            "quarantine_max_share: 0.05", "quarantine_max_share: 0.5"
        )
        + "audit: {retention: P10Y}\n",
        encoding="utf-8",
    )


@contextmanager
def make_program(root: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Program]:
    write_example(root)
    append_source(root)
    clock = Clock()
    monkeypatch.setattr("seamline.store.deliveries.utcnow", clock)
    monkeypatch.setattr("seamline.store.store.utcnow", clock)
    ws = load_workspace(root)
    with Store.open(url) as store:
        p = Program(root, ws, store, clock)
        p.deliver(JAN_2026, AIGUL, BAKYT, BROKEN)  # delivery 1: with one quarantined line
        p.deliver(MAR_2027, NURZHAN, BAKYT_LATER)  # delivery 2: Bakyt again, corrected
        p.deliver(JUN_2028, GULNARA)  # delivery 3
        yield p


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Program]:
    with make_program(tmp_path / "ws", f"sqlite:///{tmp_path}/store.db", monkeypatch) as p:
        yield p


@pytest.fixture
def program_on_each_store(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Program]:
    """The same program on SQLite and on the real PostgreSQL."""
    with make_program(tmp_path / "ws", store_url, monkeypatch) as p:
        yield p


def files(p: Program) -> dict[str, bool]:
    return {
        name: path.is_file()
        for name, path in {
            "landing 1": p.data / "landing" / "civil_persons" / "000001.parquet",
            "quarantine 1": p.data / "quarantine" / "civil_persons" / "000001.parquet",
            "landing 2": p.data / "landing" / "civil_persons" / "000002.parquet",
            "landing 3": p.data / "landing" / "civil_persons" / "000003.parquet",
        }.items()
    }


def audit_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.session() as s:
        return [(e.id, e.action, e.hash, e.prev_hash) for e in s.scalars(select(AuditEvent))]


def test_the_setup_holds_three_deliveries_at_three_dates(program: Program) -> None:
    kept = program.store.deliveries("civil_persons")
    assert [(d.id, d.read, d.landed, d.quarantined) for d in kept] == [
        (1, 3, 2, 1),
        (2, 2, 2, 0),
        (3, 1, 1, 0),
    ]
    assert [d.started_at.replace(tzinfo=UTC) for d in kept] == [JAN_2026, MAR_2027, JUN_2028]
    assert all(files(program).values())
    assert program.state_pins() == sorted(
        ["21203198700123", "10507199000456", "10101195500789", "21506198200345"]
    )


def test_a_dry_run_lists_exactly_what_apply_deletes_and_deletes_nothing(program: Program) -> None:
    before_state = program.state_pins()
    dry = sweep(program.ws, program.store, NOW, apply=False)
    assert not dry.errors
    assert all(files(program).values())
    assert [d.id for d in program.store.deliveries("civil_persons")] == [1, 2, 3]
    assert program.state_pins() == before_state
    assert (program.data / "reference" / "person.parquet").is_file()
    applied = sweep(program.ws, program.store, NOW, apply=True)
    assert [(i.dataset, i.kind, i.count, i.paths) for i in dry.items] == [
        (i.dataset, i.kind, i.count, i.paths) for i in applied.items
    ]
    assert dry.rows()[0]["would delete"] == applied.rows()[0]["deleted"]


def test_apply_removes_exactly_the_expired_delivery_and_its_records(
    program_on_each_store: Program,
) -> None:
    program = program_on_each_store
    app = exchange(program)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert lookup(client, program, "21203198700123") == 200  # Aigul, first delivery only
        aigul = entity_of(program, "21203198700123")
        cache = PreparedCache()
        page = entity_page(program.ws, program.store, aigul, cache)
        assert page is not None and page["records"]  # the UI's entity page shows her record
        audit_before = audit_rows(program.store)
        assert audit_before  # the lookup was audited

        done = sweep(program.ws, program.store, NOW, apply=True)

        assert not done.errors
        totals = done.totals()
        assert totals == {
            "deliveries": 1,
            "delivery files": 1,
            "quarantine files": 1,
            "landed rows": 1,  # Aigul; Bakyt's first record was replaced by his second
            "harmonized rows": 1,
            "reference rows": 4,  # the golden records are withdrawn, to be rebuilt
            "exported files": totals["exported files"],
        }
        assert totals["exported files"] >= 1  # the reports of 2026 are past 2027-02-01
        assert sum(i.count for i in done.items) == sum(done.counts().values())
        assert files(program) == {
            "landing 1": False,
            "quarantine 1": False,
            "landing 2": True,
            "landing 3": True,
        }
        assert [d.id for d in program.store.deliveries("civil_persons")] == [2, 3]
        assert program.state_pins() == ["10101195500789", "10507199000456", "21506198200345"]
        state = pq.read_table(program.data / "landing" / "civil_persons.parquet")
        assert "Bakyt Uulu" in state.column("given_name").to_pylist()
        harmonized = pq.read_table(program.data / "harmonized" / "civil_persons.parquet")
        assert sorted(harmonized.column("_record_no").to_pylist()) == sorted(
            state.column("_record_no").to_pylist()
        )
        assert not (program.data / "reference" / "person.parquet").exists()
        # the server started before the sweep no longer serves the withdrawn records
        assert lookup(client, program, "10101195500789") == 404
        assert client.get("/readyz").status_code == 503
        assert entity_page(program.ws, program.store, aigul, cache) is None

        rebuilt = run_pipeline(program.ws, program.store, stages=[ReconcileStage()])
        assert rebuilt.stages[0].status == "ok"
        assert lookup(client, program, "21203198700123") == 404  # expired: never again
        assert lookup(client, program, "10101195500789") == 200  # kept: served again
        assert lookup(client, program, "10507199000456") == 200
        assert client.get("/readyz").json()["persons"] == 3
        assert entity_page(program.ws, program.store, aigul, cache) is None
        nurzhan = entity_of(program, "10101195500789")
        page = entity_page(program.ws, program.store, nurzhan, cache)
        assert page is not None and len(page["records"]) == 1
        # the audit log: every event before the sweep is still there, unchanged
        assert audit_rows(program.store)[: len(audit_before)] == audit_before
    assert done.audit_period == "P10Y" and done.audit_past == 0

    again = sweep(program.ws, program.store, NOW, apply=True)
    # nothing left past the period but the reports the rebuild just wrote: files get the
    # real clock's time, which is before NOW - P5Y
    reports = program.data / "reports"
    assert [(i.kind, i.paths) for i in again.items] == [
        ("exported files", [str(reports / "reconcile.html"), str(reports / "run-latest.json")])
    ]


def test_a_later_now_takes_the_next_delivery_and_the_newest_row_stays(program: Program) -> None:
    sweep(program.ws, program.store, NOW, apply=True)
    run_pipeline(program.ws, program.store, stages=[ReconcileStage()])
    mapping = program.data / "reference" / "entity_ids.parquet"
    assert pq.read_table(mapping).column("spec").to_pylist() == ["person"] * 3
    # 2034-01-01 - P5Y = 2029-01-01: deliveries 2 and 3 are past it too
    done = sweep(program.ws, program.store, datetime(2034, 1, 1, tzinfo=UTC), apply=True)
    assert done.totals()["deliveries"] == 2
    assert done.totals()["landed rows"] == 3
    assert done.emptied == ["civil_persons"]
    # no record of the person spec is left: nothing to rebuild, its record keys go too
    assert done.totals()["entity keys"] == 3
    assert pq.read_table(mapping).num_rows == 0
    assert not (program.data / "reference" / "person.parquet").exists()
    kept = program.store.deliveries("civil_persons")
    # the newest row stays, emptied, so record numbers never start again at 1
    assert [(d.id, d.kept, d.in_state) for d in kept] == [(3, False, False)]
    assert program.state_pins() == []
    assert not any(files(program).values())
    assert program.store.next_record_no("civil_persons") == 7


def test_a_snapshot_state_past_its_period_is_deleted_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    write_example(root)
    clock = Clock()
    monkeypatch.setattr("seamline.store.deliveries.utcnow", clock)
    ws = load_workspace(root)
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        run_pipeline(ws, store, stages=[ConnectStage(), HarmonizeStage()])
        done = sweep(ws, store, NOW, apply=True)
        assert done.emptied == ["civil_persons"]
        assert done.totals()["landed rows"] == 4
        assert not (ws.data_dir / "landing" / "civil_persons.parquet").exists()
        assert not (ws.data_dir / "harmonized" / "civil_persons.parquet").exists()
        assert [(d.kept, d.in_state) for d in store.deliveries("civil_persons")] == [(False, False)]


def test_worklist_items_go_with_their_dataset_s_period(program_on_each_store: Program) -> None:
    program = program_on_each_store
    program.clock.at = JAN_2026
    old = program.store.start_run("reconcile", workspace="example")
    program.clock.at = JUN_2028
    new = program.store.start_run("reconcile", workspace="example")
    conflict = {
        "entity_type": "Person",
        "attribute": "family_name",
        "classification": "conflict",
        "chosen": "Sadykov",
        "reason": "r",
    }
    store_rows(
        program.store,
        old,
        [
            {**conflict, "entity_id": "e1", "observed": {"values": [{"dataset": "tax_payers", "value": "x"}]}},
            {**conflict, "entity_id": "e2", "observed": {"values": [{"dataset": "civil_persons", "value": "x"}]}},
        ],
    )  # fmt: skip
    store_rows(
        program.store,
        new,
        [{**conflict, "entity_id": "e3", "observed": {"values": [{"dataset": "tax_payers", "value": "y"}]}}],
    )  # fmt: skip
    done = sweep(program.ws, program.store, NOW, apply=True)
    assert [(i.dataset, i.count) for i in done.items if i.kind == "worklist items"] == [
        ("civil_persons", 1)
    ]
    left = {r.id for r in program.store.discrepancy_ages()}
    assert len(left) == 2  # tax_payers has no period here: its rows stay


def test_seamline_run_reports_by_default_and_deletes_when_told(program: Program) -> None:
    stages = [s.name for s in default_stages()]
    assert stages[:2] == ["connect", "retention"]
    program.clock.at = NOW
    report = run_pipeline(
        program.ws,
        program.store,
        stages=[ConnectStage(), RetentionStage(NOW), HarmonizeStage(), ReconcileStage()],
    )
    retention = report.stages[1]
    assert retention.status == "ok"
    assert retention.counts["deliveries"] == 1
    assert any("dry run: nothing was deleted" in m for m in retention.messages)
    assert all(files(program).values())

    project = program.root / "seamline.yaml"
    project.write_text(
        project.read_text(encoding="utf-8") + "retention: {apply: true}\n", encoding="utf-8"
    )
    ws = load_workspace(program.root)
    report = run_pipeline(
        ws,
        program.store,
        stages=[ConnectStage(), RetentionStage(NOW), HarmonizeStage(), ReconcileStage()],
    )
    assert [s.status for s in report.stages] == ["ok", "ok", "ok", "ok"]
    assert report.stages[1].counts["landed_rows"] == 1
    assert not files(program)["landing 1"]
    golden = pq.read_table(ws.data_dir / "reference" / "person.parquet")
    assert "21203198700123" not in golden.column("national_id").to_pylist()
    assert len(golden) == 3  # rebuilt in the same run from what is left
    recorded = program.store.list_runs(stage="retention", limit=1)[0]
    assert recorded.counts["civil_persons.landed_rows"] == 1
    assert recorded.counts["applied"] == 1


def test_the_command_prints_the_table_and_deletes_nothing_without_apply(program: Program) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_STORE"}
    env["COLUMNS"] = "200"
    env["SEAMLINE_STORE"] = str(program.store.engine.url)
    shown = subprocess.run(
        [sys.executable, "-m", "seamline", "retention", "apply", str(program.root), "--now", "2032-02-01"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr + shown.stdout
    assert "Dry run: would delete" in shown.stdout
    assert "000001.parquet" in shown.stdout
    assert "Toktogulova" not in shown.stdout + shown.stderr  # counts and paths, never values
    assert all(files(program).values())
    bad = subprocess.run(
        [sys.executable, "-m", "seamline", "retention", "apply", str(program.root), "--now", "soon"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "--now 'soon' is not an ISO 8601 date" in bad.stderr

    applied = subprocess.run(
        [sys.executable, "-m", "seamline", "retention", "apply", str(program.root), "--now", "2032-02-01", "--apply"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert "Deleted (past the period at 2032-02-01" in applied.stdout
    assert "Rebuilt the golden records of person." in applied.stdout
    assert files(program)["landing 1"] is False and files(program)["landing 2"] is True
    golden = pq.read_table(program.data / "reference" / "person.parquet")
    assert sorted(golden.column("national_id").to_pylist()) == [
        "10101195500789",
        "10507199000456",
        "21506198200345",
    ]


def test_the_default_run_deletes_with_apply_true(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`seamline run`'s own stages, on the real clock: a delivery of 2019 is past P5Y."""
    root = tmp_path / "ws"
    write_example(root)
    project = root / "seamline.yaml"
    project.write_text(
        project.read_text(encoding="utf-8") + "retention: {apply: true}\n", encoding="utf-8"
    )
    ws = load_workspace(root)
    clock = Clock()
    clock.at = datetime(2019, 5, 1, tzinfo=UTC)
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        monkeypatch.setattr("seamline.store.deliveries.utcnow", clock)
        run_pipeline(ws, store, stages=[ConnectStage()])
        monkeypatch.undo()
        summary = run_pipeline(ws, store)
        by_stage = {s.stage: s for s in summary.stages}
        assert [s.stage for s in summary.stages][:2] == ["connect", "retention"]
        assert summary.exit_code == 0, [s.messages for s in summary.stages]
        assert by_stage["retention"].counts == {"deliveries": 1, "delivery_files": 1}
        assert [d.id for d in store.deliveries("civil_persons")] == [2]
    assert not (ws.data_dir / "landing" / "civil_persons" / "000001.parquet").exists()
    assert (ws.data_dir / "reference" / "person.parquet").is_file()


def exchange(p: Program) -> Any:
    p.key = add_client(p.store, "tax", "tax-db")[1]
    return create_app(
        p.ws,
        p.store,
        ExchangeConfig(
            key_path=p.root.parent / "keys" / "audit.pem",
            today=datetime(2026, 6, 1).date(),
            auth_cache_seconds=0.0,
        ),
    )


def entity_of(p: Program, pin: str) -> str:
    golden = pq.read_table(p.data / "reference" / "person.parquet").to_pylist()
    (row,) = [r for r in golden if r["national_id"] == pin]
    return str(row["entity_id"])


def lookup(client: TestClient, p: Program, pin: str) -> int:
    response = client.get(
        f"/v1/persons/kg_pin:{pin}",
        headers={"Authorization": f"Bearer {p.key}", "X-Seamline-Purpose": "tax-registration"},
    )
    return response.status_code


def test_a_sweep_that_cannot_delete_fails_the_stage_loudly(program: Program) -> None:
    # the rewritten harmonized file cannot be written: a folder stands in its way
    (program.data / "harmonized" / "civil_persons.parquet.partial").mkdir()
    summary = run_pipeline(program.ws, program.store, stages=[RetentionStage(NOW, apply=True)])
    (stage,) = summary.stages
    assert stage.status == "failed"  # its only dataset failed: nothing usable is left
    assert summary.exit_code == 3
    assert any(
        m.startswith("civil_persons: its data past the period could not be deleted")
        for m in stage.messages
    ), stage.messages
    recorded = program.store.list_runs(stage="retention", limit=1)[0]
    assert recorded.status == "failed"
    assert all(files(program).values())  # its delivery files were not deleted
    assert [d.id for d in program.store.deliveries("civil_persons")] == [1, 2, 3]
