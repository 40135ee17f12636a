"""The inventory stage on the demo workspace: store, reports, governance gaps, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seamline.demo import generate_demo
from seamline.inventory.stage import InventoryStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.store import Store
from seamline.workspace import load_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inv") / "demo"
    generate_demo(root, people=400, seed=3)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_inventory(root: Path) -> tuple[object, Store, object]:
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        summary = run_pipeline(ws, store, stages=[ConnectStage(), InventoryStage()])
        findings = store.findings()
        profiles = store.latest_profiles("tax_payers")
    return summary, findings, profiles


def test_inventory_profiles_classifies_and_reports(demo: Path) -> None:
    summary, findings, profiles = run_inventory(demo)
    assert summary.exit_code == 0
    inventory = summary.stages[1]
    assert inventory.counts["datasets"] == 4
    report = json.loads(Path(inventory.reports["as JSON"]).read_text(encoding="utf-8"))
    fields = {(d["id"], f["name"]): f for d in report["datasets"] for f in d["fields"]}
    assert fields[("tax_payers", "birth_date")]["date_formats"][0][0] == "YYYY-MM-DD"
    assert fields[("social_cases", "birth")]["date_formats"][0][0] == "DD.MM.YYYY"
    assert fields[("civil_persons", "BIRTH_DATE")]["logical_type"] == "date"  # YYYYMMDD numbers
    assert fields[("tax_payers", "pin")]["pii"] == "direct_identifier"
    assert fields[("civil_persons", "FAMILY_NAME")]["pii"] == "personal"
    assert (
        "mapped to Person.family_name"
        in fields[("civil_persons", "FAMILY_NAME")]["pii_evidence"][0]
    )
    assert fields[("tax_payers", "status")]["code_candidate"]
    # personal values never reach the report or the store
    assert fields[("tax_payers", "pin")]["top_values"][0][0] == "<1>"
    assert profiles["pin"]["min"] is None
    assert profiles["status"]["top_values"][0][0] in {"active", "closed", "suspended", "liquidated"}
    # birth date lives in three systems, in three formats
    births = [p for p in report["format_pairs"] if p["attribute"] == "Person.birth_date"]
    assert len(births) == 3 and not any(p["agree"] for p in births)
    assert {h["dataset"] for h in report["matrix"]["Person.birth_date"]} == {
        "civil_persons",
        "social_cases",
        "tax_payers",
    }
    html = Path(inventory.reports["inventory report"]).read_text(encoding="utf-8")
    assert "Who holds which attribute" in html and "Person.birth_date" in html
    kinds = {f.kind for f in findings}
    assert "governance.no_source_of_truth" in kinds


def test_gaps_and_declared_public_personal_data_become_findings(tmp_path: Path, demo: Path) -> None:
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(demo, root, ignore=shutil.ignore_patterns(".seamline"))
    edit(root / "datasets" / "tax_payers.yaml", 'steward: "Bakyt Sadykov"\n', "")
    edit(
        root / "datasets" / "tax_payers.yaml",
        "authoritative_for: [tax_number]",
        "authoritative_for: [tax_number, birth_date]",
    )
    edit(root / "datasets" / "tax_payers.yaml", "sensitivity: personal", "sensitivity: public")
    _, findings, _ = run_inventory(root)
    by_kind: dict[str, list[str]] = {}
    for f in findings:
        by_kind.setdefault(f.kind, []).append(f.subject)
    assert by_kind["governance.no_steward"] == ["tax_payers"]
    assert by_kind["governance.several_sources_of_truth"] == ["Person.birth_date"]
    public = by_kind["inventory.personal_data_declared_public"]
    assert "tax_payers.pin" in public and "tax_payers.full_name" in public
    assert not any(s.startswith("civil_persons.") for s in public)


def test_an_unreadable_dataset_is_reported_and_the_others_are_profiled(
    tmp_path: Path, demo: Path
) -> None:
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(demo, root, ignore=shutil.ignore_patterns(".seamline"))
    (root / "data" / "social" / "beneficiaries.ndjson").unlink()
    summary, _, _ = run_inventory(root)
    assert summary.exit_code == 3
    connect, inventory = summary.stages
    assert connect.status == "partial"
    assert any("social_cases" in m and "does not exist" in m for m in connect.messages)
    assert inventory.counts["datasets"] == 3
    report = json.loads(Path(inventory.reports["as JSON"]).read_text(encoding="utf-8"))
    assert {d["id"] for d in report["datasets"] if d["fields"]} == {
        "addresses",
        "civil_persons",
        "tax_payers",
    }


def test_cli_inventory_json_is_machine_readable(tmp_path: Path, demo: Path) -> None:
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(demo, root, ignore=shutil.ignore_patterns(".seamline"))
    result = subprocess.run(
        [sys.executable, "-m", "seamline", "inventory", str(root), "--json", "-d", "tax_payers"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [d["id"] for d in report["datasets"] if d["fields"]] == ["tax_payers"]
