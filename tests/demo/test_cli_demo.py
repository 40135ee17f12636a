"""`seamline demo` as a user runs it: summary printed, refusal as a usage error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def seamline(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_STORE"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_demo_command_writes_and_refuses(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = seamline("demo", str(target), "--people", "200", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "200 people (seed 3)" in result.stdout
    assert "civil_persons" in result.stdout
    assert (target / "data/civil/persons.dat").stat().st_size == 200 * 160

    again = seamline("demo", str(target), "--people", "200")
    assert again.returncode == 2
    assert "--force" in again.stdout + again.stderr
    assert "Traceback" not in again.stderr

    forced = seamline("demo", str(target), "--people", "150", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (target / "data/civil/persons.dat").stat().st_size == 150 * 160


def test_demo_command_writes_the_us_ui_scenario(tmp_path: Path) -> None:
    target = tmp_path / "ui"
    result = seamline("demo", str(target), "--people", "150", "--seed", "3", "--scenario", "us-ui")
    assert result.returncode == 0, result.stderr
    assert "150 people (seed 3)" in result.stdout
    for dataset in ("ui_claims", "wage_records", "mva_identities", "benefit_payments"):
        assert dataset in result.stdout
    assert (target / "data/claims/claims.cpy").is_file()
    assert (target / "_truth/entities.csv").is_file()

    unknown = seamline("demo", str(tmp_path / "x"), "--scenario", "payroll")
    assert unknown.returncode == 2
    assert "unknown demo scenario 'payroll'" in unknown.stdout + unknown.stderr
    assert "us-ui" in unknown.stdout + unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert not (tmp_path / "x").exists()
