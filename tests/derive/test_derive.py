"""Derived datasets end to end: two harmonized datasets, two derived ones, one reading the other."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from derivekit import FILES, billing_workspace
from rdflib import URIRef
from typer.testing import CliRunner

from seamline.catalog import build_catalog
from seamline.cli import app
from seamline.crypto.parquet import is_encrypted
from seamline.derive import DeriveStage
from seamline.derive.stage import selected
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, RunSummary, StageResult, run_pipeline
from seamline.seams.stage import CheckStage
from seamline.store import Store
from seamline.workspace import Workspace, load_workspace
from seamline.workspace.derived import derived_order, derived_path

STAGES = (ConnectStage, HarmonizeStage, DeriveStage, CheckStage)


@dataclass
class Ran:
    ws: Workspace
    summary: RunSummary

    def stage(self, name: str) -> StageResult:
        return next(s for s in self.summary.stages if s.stage == name)

    def output(self, ident: str) -> list[dict[str, object]]:
        rows = self.ws.parquet.read_table(derived_path(self.ws.data_dir, ident)).to_pylist()
        return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def _run(root: Path, env: dict[str, str] | None = None) -> Ran:
    ws = load_workspace(root, env=env or {})
    with Store.open(ws.store_url(env={})) as store:
        summary = run_pipeline(ws, store, stages=[s() for s in STAGES])
    return Ran(ws, summary)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    return _run(billing_workspace(tmp_path_factory.mktemp("derive") / "ws"))


def test_derived_values_are_the_sums_of_the_lines(ran: Ran) -> None:
    assert ran.stage("derive").status == "ok"
    assert ran.output("invoices") == [
        {"agency_id": "ssc", "period": "2026-01", "total": Decimal("120.75"), "lines": 2},
        {"agency_id": "ssc", "period": "2026-02", "total": Decimal("9.99"), "lines": 1},
        {"agency_id": "water-board", "period": "2026-01", "total": Decimal("300.00"), "lines": 1},
        {"agency_id": "water-board", "period": "2026-02", "total": Decimal("45.10"), "lines": 1},
    ]
    # The second derived dataset reads the first one's output and a harmonized dataset.
    assert ran.output("agency_totals") == [
        {"agency_id": "ssc", "agency_name": "Shared Services Centre", "total": Decimal("130.74"), "invoices": 2},
        {"agency_id": "water-board", "agency_name": "Water Board", "total": Decimal("345.10"), "invoices": 2},
    ]  # fmt: skip


def test_lineage_gives_the_order_and_runs_are_recorded(ran: Ran) -> None:
    assert derived_order(ran.ws) == ["invoices", "agency_totals"]
    details = ran.stage("derive").details
    assert [(d["derived"], d["reads"], d["rows"]) for d in details] == [
        ("invoices", "billing_lines", 4),
        ("agency_totals", "invoices, agency_list", 2),
    ]
    with Store.open(ran.ws.store_url(env={})) as store:
        runs = [r for r in store.list_runs(limit=50) if r.stage == "derive"]
    assert sorted((r.dataset, r.status, (r.counts or {}).get("rows")) for r in runs) == [
        ("agency_totals", "ok", 2),
        ("invoices", "ok", 4),
    ]
    # The output is written whole or not at all: no temporary file is left behind.
    assert sorted(p.name for p in (ran.ws.data_dir / "derived").iterdir()) == [
        "agency_totals.parquet",
        "invoices.parquet",
    ]


def test_the_check_stage_checks_contract_and_primary_key(ran: Ran) -> None:
    check = ran.stage("check")
    assert check.status == "ok", check.messages
    rows = {(r["seam"], r["passed"]) for r in check.details}
    # invoices: range, referential and the primary key; agency_totals has no contract.
    assert rows == {("invoices", "3/3")}


def test_a_failing_contract_and_a_repeated_key_are_reported(tmp_path: Path) -> None:
    spec = (
        FILES["derived/invoices.yaml"]
        .replace("primary_key: [agency_id, period]", "primary_key: [agency_id]")
        .replace("check: range, min: 0}", "check: range, min: 0, max: 100}")
    )
    ran = _run(billing_workspace(tmp_path / "ws", **{"derived/invoices.yaml": spec}))
    check = ran.stage("check")
    assert check.status == "checks_failed"
    failing = sorted(m for m in check.messages if m.startswith("invoices:"))
    assert failing == [
        "invoices: primary_key fail (observed 50.00%, expected (agency_id) unique and not null)",
        "invoices: range:total fail (observed 50.00%, expected >= 0 and <= 100; failing share <= 0)",
    ]
    with Store.open(ran.ws.store_url(env={})) as store:
        findings = [f for f in store.findings() if f.subject == "invoices"]
    assert {(f.kind, f.owner) for f in findings} == {
        ("contract.failed", "billing@example.org (Shared Services Centre)")
    }
    assert len(findings) == 2


def test_a_failing_query_fails_only_what_depends_on_it(tmp_path: Path) -> None:
    broken = FILES["derived/invoices.yaml"].replace(
        "COUNT(*) AS lines", "COUNT(*) AS lines, no_such"
    )
    independent = """\
id: line_count
title: Lines
owner: ssc
sql: SELECT COUNT(*) AS n FROM billing_lines
"""
    root = billing_workspace(
        tmp_path / "ws", **{"derived/invoices.yaml": broken, "derived/line_count.yaml": independent}
    )
    ran = _run(root)
    derive = ran.stage("derive")
    assert derive.status == "partial"
    assert derive.counts == {"rows": 1, "derived": 1, "failed": 2}
    errors = {d["derived"]: d["error"] for d in derive.details if "error" in d}
    assert errors["invoices"].startswith("derived/invoices.yaml:9:3: the query of invoices failed")
    assert "no_such" in errors["invoices"]
    assert errors["agency_totals"] == (
        "not computed: its input invoices failed earlier in this run"
    )
    assert ran.output("line_count") == [{"n": 5}]
    assert not derived_path(ran.ws.data_dir, "invoices").exists()
    assert not derived_path(ran.ws.data_dir, "agency_totals").exists()
    # The contract of the failed derived dataset reaches its owner as an error.
    assert "invoices: data error (observed -, expected derived data)" in ran.stage("check").messages
    with Store.open(ran.ws.store_url(env={})) as store:
        (finding,) = [f for f in store.findings() if f.subject == "invoices"]
    assert finding.kind == "contract.error"
    assert "Computing invoices failed" in finding.message
    assert "There is no output to check" in finding.message
    assert finding.message.startswith("derived dataset invoices: data could not run")


def test_encrypted_output_is_unreadable_without_the_key(tmp_path: Path) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    project = FILES["seamline.yaml"] + 'encryption:\n  key: "${SEAMLINE_DATA_KEY}"\n'
    root = billing_workspace(tmp_path / "ws", **{"seamline.yaml": project})
    ran = _run(root, env={"SEAMLINE_DATA_KEY": key})
    path = derived_path(ran.ws.data_dir, "invoices")
    assert is_encrypted(path) is True
    with pytest.raises(OSError, match="encrypted"):
        pq.read_table(path)
    assert len(ran.output("invoices")) == 4  # through the workspace's door, with the key
    assert b"water-board" not in path.read_bytes()


def test_selection_by_dataset_takes_what_reads_it(ran: Ran) -> None:
    assert selected(ran.ws, None, ["billing_lines"]) == {"invoices", "agency_totals"}
    assert selected(ran.ws, None, ["agency_list"]) == {"agency_totals"}
    assert selected(ran.ws, ["invoices"], None) == {"invoices"}


def test_the_catalog_lists_derived_datasets_with_their_lineage(ran: Ran) -> None:
    graph = build_catalog(ran.ws)
    derived = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    lineage = {
        (str(s).rsplit("/", 1)[-1], str(o).rsplit("/", 1)[-1])
        for s, o in graph.subject_objects(derived)
    }
    assert lineage == {
        ("invoices", "billing_lines"),
        ("agency_totals", "invoices"),
        ("agency_totals", "agency_list"),
    }


def test_cli_reads_exports_and_derives(ran: Ran, tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "invoices.csv"
    done = runner.invoke(app, ["read", "invoices", "-w", str(ran.ws.root), "-o", str(target)])
    assert done.exit_code == 0, done.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"agency_id","period","total","lines"'
    assert len(lines) == 5
    done = runner.invoke(app, ["derive", str(ran.ws.root), "--only", "invoice"])
    assert done.exit_code == 2
    assert "no derived dataset 'invoice'" in done.output
    assert "did you mean 'invoices'?" in done.output
    done = runner.invoke(app, ["derive", str(ran.ws.root), "--only", "invoices"])
    assert done.exit_code == 0, done.output


def test_openlineage_events_carry_the_derived_outputs(ran: Ran) -> None:
    path = ran.ws.root / ".seamline" / "data" / "lineage" / "events.jsonl"
    events = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    complete = next(e for e in events if e["eventType"] == "COMPLETE")  # the fixture's run
    outputs = {
        Path(o["name"]).relative_to(ran.ws.data_dir).as_posix(): o for o in complete["outputs"]
    }
    assert {"derived/invoices.parquet", "derived/agency_totals.parquet"} <= set(outputs)
    invoices = outputs["derived/invoices.parquet"]
    assert invoices["outputFacets"]["outputStatistics"]["rowCount"] == 4
    assertions = invoices["facets"]["dataQualityAssertions"]["assertions"]
    assert sorted((a["name"], a["column"], a["success"]) for a in assertions) == [
        ("invoices/primary_key", "agency_id, period", True),
        ("invoices/range:total", "total", True),
        ("invoices/referential:agency_id", "agency_id", True),
    ]
    assert "dataQualityAssertions" not in outputs["derived/agency_totals.parquet"]["facets"]
