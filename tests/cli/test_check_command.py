"""`seamline check` drives the same check stage as `seamline run` and says why it fails."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from test_cli import seamline

from seamline.store import Store
from seamline.store.models import Run
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example


def _example(tmp_path: Path) -> Path:
    ws = tmp_path / "p"
    write_example(ws)
    return ws


def _findings(ws: Path) -> list[dict[str, object]]:
    listed = seamline("findings", "list", str(ws), "--status", "all", "--json")
    assert listed.returncode == 0, listed.stderr
    rows: list[dict[str, object]] = json.loads(listed.stdout)
    return rows


def test_check_before_any_run_says_so_and_files_no_finding(tmp_path: Path) -> None:
    ws = _example(tmp_path)
    got = seamline("check", "-w", str(ws))
    assert got.returncode == 2, got.stdout + got.stderr
    assert "civil-to-tax: not checked." in got.stderr
    assert "Run `seamline run`" in got.stderr
    assert _findings(ws) == []


def test_tour_order_run_inventory_check_passes(tmp_path: Path) -> None:
    ws = _example(tmp_path)
    assert seamline("run", str(ws)).returncode == 0
    assert seamline("inventory", str(ws)).returncode == 0  # lands the source again
    got = seamline("check", "-w", str(ws), "--junit", str(tmp_path / "s.xml"))
    assert got.returncode == 0, got.stdout + got.stderr
    assert "older than" not in got.stdout
    assert [f for f in _findings(ws) if str(f["kind"]).startswith("contract.")] == []
    assert (ws / ".seamline" / "data" / "reports" / "check-latest.json").is_file()


def test_check_and_run_record_the_same_statuses_under_a_run(tmp_path: Path) -> None:
    ws = _example(tmp_path)
    seam = ws / "seams" / "civil-to-tax.yaml"
    # A rule the example data cannot meet: every person born after 2100.
    text = seam.read_text(encoding="utf-8")
    assert "rules:" in text
    seam.write_text(
        text.replace(
            "rules:",
            "rules:\n    - {check: range, attribute: birth_date, min: '2100-01-01'}",
            1,
        ),
        encoding="utf-8",
    )
    ran = seamline("run", str(ws))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    checked = seamline("check", "-w", str(ws))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    workspace = load_workspace(ws)
    with Store.open(workspace.store_url()) as store, store.session() as s:
        checks = list(s.scalars(select(Run).where(Run.stage == "check").order_by(Run.id)))
        assert [c.status for c in checks] == ["checks_failed", "checks_failed"]
        parents = [s.get(Run, c.parent_id) for c in checks]
        assert all(p is not None and p.stage == "run" for p in parents)


def test_a_failed_delivery_fails_the_check_of_its_seam(tmp_path: Path) -> None:
    ws = _example(tmp_path)
    assert seamline("run", str(ws)).returncode == 0
    (ws / "data" / "persons.csv").unlink()
    assert seamline("run", str(ws)).returncode == 3  # the delivery fails; check still runs
    report = json.loads((ws / ".seamline" / "data" / "reports" / "check-latest.json").read_text())
    data = [r for r in report["results"] if r["rule"] == "data"]
    assert data and data[0]["status"] == "error"
    assert "The latest delivery of civil_persons failed" in data[0]["message"]
    checked = seamline("check", "-w", str(ws), "--json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert not json.loads(checked.stdout)["ok"]
    assert "contract.error" in {f["kind"] for f in _findings(ws)}


def test_check_json_stays_json_when_findings_are_new(tmp_path: Path) -> None:
    ws = _example(tmp_path)
    assert seamline("run", str(ws)).returncode == 0
    seam = ws / "seams" / "civil-to-tax.yaml"
    seam.write_text(
        seam.read_text(encoding="utf-8").replace(
            "rules:", "rules:\n    - {check: range, attribute: birth_date, min: '2100-01-01'}", 1
        ),
        encoding="utf-8",
    )
    got = seamline("check", "-w", str(ws), "--json")
    assert got.returncode == 1, got.stdout + got.stderr
    report = json.loads(got.stdout)  # nothing but the JSON report on stdout
    assert [r["status"] for r in report["results"] if r["rule"].startswith("range")] == ["fail"]
    assert "new finding" in got.stderr


def test_a_dropped_mapped_column_reaches_the_owner_in_the_same_run(tmp_path: Path) -> None:
    ws = _example(tmp_path)
    assert seamline("run", str(ws)).returncode == 0
    data = ws / "data" / "persons.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    ran = seamline("run", str(ws), "-d", "civil_persons")
    assert ran.returncode == 3, ran.stdout + ran.stderr  # harmonize cannot map `marital`
    assert "check (" in ran.stdout  # the check stage ran after the failed harmonize
    assert "drift.column_removed" in ran.stderr
    found = {(f["kind"], f["subject"]) for f in _findings(ws)}
    assert ("drift.column_removed", "civil-to-tax") in found
    assert ("contract.error", "civil-to-tax") in found
    workspace = load_workspace(ws)
    with Store.open(workspace.store_url()) as store, store.session() as s:
        last = s.scalars(select(Run).where(Run.stage == "run").order_by(Run.id.desc())).first()
        assert last is not None and last.status == "failed"
        stages = set(s.scalars(select(Run.stage).where(Run.parent_id == last.id)))
        assert "check" in stages and "reconcile" not in stages
