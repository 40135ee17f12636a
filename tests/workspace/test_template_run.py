"""`seamline run` on a workspace whose agencies come from one dataset template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from templatekit import DATA, TEMPLATE, line_of, template_workspace

AGENCIES = ("north", "south", "east")


def _seamline(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=300,
    )


def _run(root: Path, expect: int = 0) -> dict[str, Any]:
    done = _seamline("run", str(root))
    assert done.returncode == expect, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(
        (root / ".seamline/data/reports/run-latest.json").read_text(encoding="utf-8")
    )
    return {s["stage"]: s for s in report["stages"]}


def test_three_instances_in_two_layouts_land_harmonize_and_reconcile(tmp_path: Path) -> None:
    root = template_workspace(tmp_path / "ws")
    scheme = root / "identifiers" / "kg_pin.yaml"
    scheme.write_text(scheme.read_text(encoding="utf-8") + "link: exact\n", encoding="utf-8")
    stages = _run(root)

    # connect: every line of each agency's file is a record, whatever its layout.
    rows = {n: len(DATA[f"{n}.csv"].splitlines()) - 1 for n in AGENCIES}
    rows["east"] -= 2  # two title lines above the header (skip_rows: 2)
    landed = {d["dataset"]: d for d in stages["connect"]["details"]}
    for n in AGENCIES:
        got = landed[f"agency-{n}"]
        assert (got["read"], got["landed"], got["quarantined"]) == (rows[n], rows[n], 0), n
    assert stages["connect"]["counts"]["landed"] == sum(rows.values()) + 4  # + civil_persons

    # harmonize: the renamed column and the other delimiter feed the same attributes,
    # and each instance's own crosswalk maps its local codes.
    harmonized = {d["dataset"]: d for d in stages["harmonize"]["details"]}
    families: dict[str, list[str]] = {}
    for n in AGENCIES:
        assert harmonized[f"agency-{n}"]["rows"] == rows[n]
        table = pq.read_table(root / ".seamline/data/harmonized" / f"agency-{n}.parquet")
        records = table.to_pylist()
        assert len(records) == rows[n]
        assert all(r["marital_status__flag"] is None for r in records), records
        assert all(r["national_id__flag"] is None for r in records), records
        families[n] = [r["family_name"] for r in records]
    assert families == {
        "north": ["Toktogulova", "Sadykov"],
        "south": ["Toktogulova", "Abdyrakhmanova", "Omurbekova"],
        "east": ["Isakova"],
    }
    south = pq.read_table(root / ".seamline/data/harmonized/agency-south.parquet").to_pylist()
    assert [r["marital_status"] for r in south] == ["married", "widowed", "single"]

    # reconcile: every harmonized record is in one golden record; the shared PINs link
    # the agencies' clients with the civil registry's persons.
    counts = stages["reconcile"]["counts"]
    assert counts["records"] == sum(rows.values()) + 4
    golden = pq.read_table(root / ".seamline/data/reference/person.parquet").to_pylist()
    assert sum(g["record_count"] for g in golden) == counts["records"]
    assert counts["entities"] == len(golden) == 5  # four registry persons + Omurbekova
    aigul = next(g for g in golden if g["national_id"] == "21203198700123")
    assert aigul["record_count"] == 3
    assert set(aigul["datasets"].split(";")) == {"civil_persons", "agency-north", "agency-south"}


def test_validate_names_the_template_line_and_the_instance(tmp_path: Path) -> None:
    text = TEMPLATE.replace("    owner: tax-service\n", "    owner: tax-servce\n")
    root = template_workspace(tmp_path / "ws", text)
    done = _seamline("validate", str(root))
    assert done.returncode == 2, done.stdout + done.stderr
    line = line_of(text, "owner: tax-servce")
    assert f"datasets/agency.yaml:{line}:12 (instance south): unknown owner agency" in done.stderr
    assert "1 error in" in done.stderr


def test_a_column_one_instance_lacks_fails_that_instance_only(tmp_path: Path) -> None:
    text = TEMPLATE.replace("columns: {family_name: surname}", "columns: {family_name: surnme}")
    root = template_workspace(tmp_path / "ws", text)
    assert _seamline("validate", str(root)).returncode == 0  # the data is not read there
    done = _seamline("run", str(root))
    assert done.returncode == 3, done.stdout + done.stderr
    line = line_of(text, "surnme")
    words = " ".join((done.stdout + done.stderr).split())
    assert (
        f"datasets/agency.yaml:{line}:28 (instance south): dataset agency-south maps column "
        "'surnme', which the landing zone does not have" in words
    )
    for n in ("north", "east"):
        assert (root / ".seamline/data/harmonized" / f"agency-{n}.parquet").is_file()
    assert not (root / ".seamline/data/harmonized/agency-south.parquet").exists()


SHEETS = """\
id: agency-${name}
title: "Agency ${name}: clients (workbook)"
system: civil-registry-db
owner: civil-registry
steward: "Aigul Toktogulova"
entity: Person
sensitivity: personal
source: {kind: spreadsheet, path: "${file}", sheet: Clients, header_row: 1}
fields:
  - {column: pin, attribute: national_id, normalize: [{identifier: {scheme: kg_pin}}]}
  - {column: family_name, attribute: family_name}
  - {column: given_name, attribute: given_name}
for_each:
  files: "data/books/*.xlsx"
  instances:
    - name: south                    # its own sheet name and a title above the header
      owner: tax-service
      columns: {family_name: surname}
      overrides:
        source: {sheet: "Clients 2026", header_row: 3}
"""


def _book(path: Path, sheet: str, header: list[str], rows: list[list[str]], titles: int) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "Summary"
    first["A1"] = "Totals"
    ws = wb.create_sheet(sheet)
    for i in range(titles):
        ws.append([f"Client list, title line {i + 1}"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_a_glob_of_workbooks_with_one_differing_instance_lands_every_row(tmp_path: Path) -> None:
    root = template_workspace(tmp_path / "ws")
    (root / "datasets" / "agency.yaml").unlink()  # the CSV template; its crosswalks go too
    codelist = root / "codelists" / "marital_status.yaml"
    codelist.write_text(codelist.read_text(encoding="utf-8").split("  - dataset: agency-")[0])
    (root / "datasets" / "books.yaml").write_text(SHEETS, encoding="utf-8")
    books = root / "data" / "books"
    header = ["pin", "family_name", "given_name"]
    _book(books / "north.xlsx", "Clients", header, [["21203198700123", "Toktogulova", "Aigul"]], 0)
    _book(
        books / "west.xlsx",
        "Clients",
        header,
        [["10507199000456", "Sadykov", "Bakyt"], ["21506198200345", "Isakova", "Gulnara"]],
        0,
    )
    _book(
        books / "south.xlsx",
        "Clients 2026",
        ["pin", "surname", "given_name"],
        [["10101195500789", "Abdyrakhmanova", "Nurzhan"]] * 3,
        2,
    )
    stages = _run(root)
    landed = {d["dataset"]: d for d in stages["connect"]["details"]}
    assert {n: landed[f"agency-{n}"]["landed"] for n in ("north", "west", "south")} == {
        "north": 1,
        "west": 2,
        "south": 3,
    }
    assert all(landed[f"agency-{n}"]["quarantined"] == 0 for n in ("north", "west", "south"))
    south = pq.read_table(root / ".seamline/data/harmonized/agency-south.parquet").to_pylist()
    assert [r["family_name"] for r in south] == ["Abdyrakhmanova"] * 3
    assert stages["reconcile"]["counts"]["records"] == 1 + 2 + 3 + 4


def test_drift_of_one_instance_points_at_the_template_and_instance(tmp_path: Path) -> None:
    root = template_workspace(tmp_path / "ws")
    seam = (root / "seams" / "civil-to-tax.yaml").read_text(encoding="utf-8")
    seam = seam.replace("id: civil-to-tax", "id: south-to-tax")
    seam = seam.replace("provider: civil_persons", "provider: agency-south")
    seam = seam.replace(", birth_date]", "]")
    (root / "seams" / "south-to-tax.yaml").write_text(seam, encoding="utf-8")
    first = _seamline("run", str(root))
    assert first.returncode == 0, first.stdout + first.stderr
    south = root / "data" / "agencies" / "south.csv"
    lines = south.read_text(encoding="utf-8").splitlines()
    south.write_text("\n".join(";".join(x.split(";")[:3]) for x in lines) + "\n", "utf-8")
    _seamline("run", str(root))  # fails for agency-south: its mapped column is gone
    listed = _seamline("findings", "list", str(root), "--status", "all", "--json")
    assert listed.returncode == 0, listed.stderr
    removed = [f for f in json.loads(listed.stdout) if f["kind"] == "drift.column_removed"]
    assert [(f["subject"], f["evidence"]["column"]) for f in removed] == [
        ("south-to-tax", "marital")
    ]
    assert (
        "update datasets/agency.yaml (instance south) or the agreement"
        in (removed[0]["evidence"]["suggested_action"])
    )
