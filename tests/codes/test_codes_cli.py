"""`seamline codes suggest|export|import` from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from seamline.workspace import check_workspace
from seamline.workspace.template import write_example


def seamline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"COLUMNS": "200", "PATH": ""},
    )


def test_suggest_then_accept_writes_a_reviewable_entry(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write_example(ws)
    (ws / "data" / "persons.csv").write_text(
        "pin,family_name,given_name,birth_date,marital\n"
        "20101200000123,Osmonova,Jyldyz,01.01.2000,M\n10202199000456,Sadykov,Bakyt,02.02.1990,вдова\n",
        encoding="utf-8",
    )
    before = (ws / "codelists" / "marital_status.yaml").read_text(encoding="utf-8")
    assert seamline("run", str(ws)).returncode == 0
    shown = seamline("codes", "suggest", "marital_status", "civil_persons.marital", "-w", str(ws))
    assert shown.returncode == 0, shown.stderr
    assert "вдова" in shown.stdout and "widowed" in shown.stdout
    assert (ws / "codelists" / "marital_status.yaml").read_text(encoding="utf-8") == before
    done = seamline(
        "codes", "suggest", "marital_status", "civil_persons.marital", "-w", str(ws), "--accept"
    )
    assert done.returncode == 0, done.stderr
    after = (ws / "codelists" / "marital_status.yaml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))
    assert '{local: "вдова", code: widowed}' in after
    _, issues = check_workspace(ws, env={})
    assert issues == []
    again = seamline("codes", "suggest", "marital_status", "civil_persons.marital", "-w", str(ws))
    assert "Every value of civil_persons.marital is mapped" in again.stdout


def test_suggest_names_a_bad_target(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write_example(ws)
    assert seamline("run", str(ws)).returncode == 0
    bad = seamline("codes", "suggest", "marital_status", "civil_persons.maritl", "-w", str(ws))
    assert bad.returncode == 2
    assert "did you mean 'marital'" in bad.stderr
    no_dot = seamline("codes", "suggest", "marital_status", "civil_persons", "-w", str(ws))
    assert no_dot.returncode == 2
    assert "DATASET.FIELD" in no_dot.stderr


def test_export_and_import_round_trip(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write_example(ws)
    ttl = tmp_path / "marital.ttl"
    assert (
        seamline("codes", "export", "marital_status", "-w", str(ws), "-o", str(ttl)).returncode == 0
    )
    back = seamline("codes", "import", str(ttl))
    assert back.returncode == 0, back.stderr
    assert "id: marital_status" in back.stdout and "widowed" in back.stdout
