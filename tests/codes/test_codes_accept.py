"""Writing accepted crosswalk entries into code list YAML files."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import pytest

from seamline.codes.yamledit import accept, plan_accept
from seamline.demo import generate_demo
from seamline.errors import SpecError
from seamline.workspace import check_workspace, load_workspace
from seamline.workspace.models import CrosswalkEntry
from seamline.workspace.template import write_example


def _changes(before: str, after: str) -> list[str]:
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line for line in diff if line[:2] in ("+ ", "- ")]


def test_adds_to_an_existing_block_keeping_comments(tmp_path: Path) -> None:
    generate_demo(tmp_path, people=300)
    path = tmp_path / "codelists" / "person_status.yaml"
    before = path.read_text(encoding="utf-8")
    assert "# numbers; 3 covers both closed and deceased" in before
    written = accept(tmp_path, "person_status", "social_cases", "status", {"4": "deceased"})
    assert written == path
    after = path.read_text(encoding="utf-8")
    assert _changes(before, after) == ['+       - {local: "4", code: deceased}']
    ws, issues = check_workspace(tmp_path)
    assert issues == []
    assert ws is not None
    walk = ws.codelists["person_status"].crosswalks[2]
    assert walk.map[-1] == CrosswalkEntry(local="4", code="deceased")


def test_plan_writes_nothing_and_is_what_accept_writes(tmp_path: Path) -> None:
    generate_demo(tmp_path, people=300)
    path = tmp_path / "codelists" / "person_status.yaml"
    original = path.read_text(encoding="utf-8")
    where, before, after = plan_accept(
        tmp_path, "person_status", "social_cases", "status", {"4": "deceased"}
    )
    assert where == path and before == original
    assert path.read_text(encoding="utf-8") == original  # nothing written
    assert _changes(before, after) == ['+       - {local: "4", code: deceased}']
    accept(tmp_path, "person_status", "social_cases", "status", {"4": "deceased"})
    assert path.read_text(encoding="utf-8") == after
    with pytest.raises(SpecError, match="has no code"):
        plan_accept(tmp_path, "person_status", "social_cases", "status", {"5": "gone"})


def test_creates_a_block_and_the_crosswalks_key(tmp_path: Path) -> None:
    write_example(tmp_path)
    path = tmp_path / "codelists" / "marital_status.yaml"
    text = path.read_text(encoding="utf-8")
    head = text.split("crosswalks:")[0]
    path.write_text(head, encoding="utf-8")  # a code list without any crosswalk
    accept(
        tmp_path,
        "marital_status",
        "civil_persons",
        "marital",
        {"1": "single", "2": "married"},
        match="close",
        valid_from=dt.date(2026, 1, 1),
    )
    after = path.read_text(encoding="utf-8")
    assert after.startswith("# A canonical code list and the crosswalks")
    assert _changes(head, after) == [
        "+ crosswalks:",
        "+   - dataset: civil_persons",
        "+     column: marital",
        "+     map:",
        '+       - {local: "1", code: single, match: close, valid_from: 2026-01-01}',
        '+       - {local: "2", code: married, match: close, valid_from: 2026-01-01}',
    ]
    ws = load_workspace(tmp_path)
    entries = ws.codelists["marital_status"].crosswalks[0].map
    assert [(e.local, e.code, e.match) for e in entries] == [
        ("1", "single", "close"),
        ("2", "married", "close"),
    ]


def test_refuses_unknown_codes_and_conflicts(tmp_path: Path) -> None:
    write_example(tmp_path)
    path = tmp_path / "codelists" / "marital_status.yaml"
    before = path.read_text(encoding="utf-8")
    with pytest.raises(SpecError, match=r"no code 'widow'.*did you mean 'widowed'"):
        accept(tmp_path, "marital_status", "civil_persons", "marital", {"V": "widow"})
    with pytest.raises(SpecError, match="already maps 'W' to widowed, not single"):
        accept(tmp_path, "marital_status", "civil_persons", "marital", {"W": "single"})
    with pytest.raises(SpecError, match=r"no column 'maritl'.*did you mean 'marital'"):
        accept(tmp_path, "marital_status", "civil_persons", "maritl", {"V": "widowed"})
    with pytest.raises(SpecError, match="no code list 'iso3166_1'"):
        accept(tmp_path, "iso3166_1", "civil_persons", "marital", {"V": "KG"})
    assert path.read_text(encoding="utf-8") == before
    # The same mapping again changes nothing; replace=True changes the code in place.
    accept(tmp_path, "marital_status", "civil_persons", "marital", {"W": "widowed"})
    assert path.read_text(encoding="utf-8") == before
    accept(tmp_path, "marital_status", "civil_persons", "marital", {"W": "single"}, replace=True)
    assert _changes(before, path.read_text(encoding="utf-8")) == [
        '-       - {local: "W", code: widowed}',
        '+       - {local: "W", code: single}',
    ]
