"""One source column feeding several attributes (``split:``), from spec to harmonized file."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seamline.workspace import SpecErrors, load_workspace

FILES = {
    "seamline.yaml": "name: split-test\ncountry: US\n",
    "agencies.yaml": (
        "agencies:\n"
        "  - {id: labor, name: 'Department of Labor (invented)'}\n"
        "  - {id: revenue, name: 'Department of Revenue (invented)'}\n"
    ),
    "systems/claims.yaml": "id: claims-mf\nname: Claims\nagency: labor\ninterface: batch-file\n",
    "systems/rev.yaml": "id: rev-db\nname: Revenue\nagency: revenue\ninterface: database\n",
    "datasets/claims.yaml": """\
id: claims
title: Claims
system: claims-mf
owner: labor
entity: Person
sensitivity: personal
source: {kind: csv, path: data/claims.csv}
fields:
  - {column: CLAIM_ID}
  - column: NAME
    description: "LAST, FIRST M"
    split:
      - {attribute: family_name, normalize: [{name: {part: family}}]}
      - {attribute: given_name, normalize: [{name: {part: given}}]}
      - {attribute: middle_name, normalize: [{name: {part: middle}}]}
      - {attribute: name_suffix, normalize: [{name: {part: suffix}}]}
  - {column: FIRST, attribute: full_name, normalize: [{name: {part: given}}]}
""",
    "seams/claims-to-rev.yaml": """\
id: claims-to-rev
provider: claims
consumer: rev-db
owner: {name: "Dana Ellsworth", agency: revenue}
agreement:
  reference: "DSA-1"
  purpose: wage-check
  legal_basis: "State code (invented)"
  attributes: [family_name, given_name, middle_name]
  starts: 2026-01-01
contract:
  rules:
    - {attribute: family_name, check: not_null}
    - {attribute: middle_name, check: not_null, tolerance: 0.5}
""",
    "data/claims.csv": (
        "CLAIM_ID,NAME,FIRST\n"
        '1,"DE LA CRUZ, JOSE A",JOSE\n'
        '2,"MCALLISTER, DONNA",DONNA\n'
        '3,"PEMBERLY, THOMAS ALLEN JR",THOMAS\n'
        '4," ",MARY\n'
    ),
}


def workspace(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "ws"
    for name, text in (files or FILES).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def seamline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_split_runs_end_to_end(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    run = seamline("run", str(root))
    assert run.returncode == 1, run.stderr  # the blank name fails not_null:family_name
    junit = ET.parse(root / ".seamline" / "data" / "reports" / "check-latest.junit.xml")
    cases = {c.get("name"): c.find("failure") is None for c in junit.iter("testcase")}
    # the seam's attributes come from the split column: schema and rules see them
    assert cases == {"schema": True, "not_null:family_name": False, "not_null:middle_name": True}
    table = pq.read_table(root / ".seamline" / "data" / "harmonized" / "claims.parquet")
    rows = table.to_pylist()
    assert [r["family_name"] for r in rows] == ["De la Cruz", "McAllister", "Pemberly", None]
    assert [r["given_name"] for r in rows] == ["Jose", "Donna", "Thomas", None]
    assert [r["middle_name"] for r in rows] == ["A", None, "Allen", None]
    assert [r["name_suffix"] for r in rows] == [None, None, "Jr", None]
    # a single given-name column keeps its value
    assert [r["full_name"] for r in rows] == ["Jose", "Donna", "Thomas", "Mary"]
    # each attribute keeps the column's original text and a flag of its own
    assert all(r["family_name__orig"] == r["middle_name__orig"] for r in rows)
    assert rows[3]["family_name__flag"] == "empty_name"
    assert rows[1]["middle_name__flag"] is None  # no middle name is not a problem
    explained = seamline("harmonize", str(root), "--explain", "claims")
    assert explained.returncode == 0, explained.stderr
    assert "NAME is split into family_name, given_name, middle_name, name_suffix" in (
        explained.stdout
    )
    # each attribute has a chain of its own over the one landing column
    assert explained.stdout.count("NAME through name in Arrow") == 4


def test_split_is_understood_by_inventory_catalog_and_contracts(tmp_path: Path) -> None:
    from seamline.catalog.search import search_catalog
    from seamline.seams.structure import required_attributes

    root = workspace(tmp_path)
    assert seamline("run", str(root)).returncode in (0, 1)
    report = json.loads((root / ".seamline" / "data" / "reports" / "inventory.json").read_text())
    (claims,) = [d for d in report["datasets"] if d["id"] == "claims"]
    name = next(f for f in claims["fields"] if f["name"] == "NAME")
    assert name["attribute"] == "family_name, given_name, middle_name, name_suffix"
    assert name["pii"] is not None
    ws = load_workspace(root, env={})
    hits = search_catalog(ws, "middle_name")
    assert any("field NAME (middle_name)" in m for h in hits for m in h.matched)
    assert "middle_name" in required_attributes(ws.seams["claims-to-rev"])


def _with_fields(fields: str) -> dict[str, str]:
    files = dict(FILES)
    head = FILES["datasets/claims.yaml"].split("fields:\n")[0]
    files["datasets/claims.yaml"] = head + "fields:\n" + fields
    return files


@pytest.mark.parametrize(
    ("fields", "message", "line"),
    [
        (
            "  - column: NAME\n    split:\n      - {attribute: family_nam}\n",
            "unknown Person attribute 'family_nam' (did you mean 'family_name'?)",
            10,
        ),
        (
            "  - column: NAME\n    split:\n      - {attribute: given_name, normalize: "
            "[{name: {part: second}}]}\n",
            "part",
            10,
        ),
        (
            "  - {column: NAME, attribute: family_name}\n  - {column: NAME, attribute: given_name}\n",
            "column 'NAME' is mapped twice",
            10,
        ),
        (
            "  - column: NAME\n    attribute: family_name\n    split:\n      - {attribute: given_name}\n",
            "either attribute or split",
            8,
        ),
        (
            "  - {column: FIRST, attribute: given_name}\n"
            "  - column: NAME\n    split:\n      - {attribute: given_name}\n",
            "attribute 'given_name' is fed twice (also by column 'FIRST')",
            11,
        ),
    ],
    ids=[
        "unknown-attribute",
        "bad-step-option",
        "mapped-twice",
        "attribute-and-split",
        "attribute-fed-twice",
    ],
)
def test_split_errors_name_file_and_line(
    tmp_path: Path, fields: str, message: str, line: int
) -> None:
    root = workspace(tmp_path, _with_fields(fields))
    with pytest.raises(SpecErrors) as caught:
        load_workspace(root, env={})
    issues = caught.value.issues
    hit = [i for i in issues if message in i.message]
    assert hit, [str(i) for i in issues]
    assert hit[0].path.endswith("claims.yaml")
    assert hit[0].line >= line
