"""The stewards' worklist as the command line shows and exports it, on the demo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_cli import seamline


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("wl") / "d"
    assert seamline("demo", str(ws), "--people", "300").returncode == 0
    ran = seamline("run", str(ws))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ws


def test_the_screen_says_how_many_items_there_are(demo_ws: Path, tmp_path: Path) -> None:
    exported = seamline("reconcile", "worklist", str(demo_ws), "-o", str(tmp_path / "wl.html"))
    assert exported.returncode == 0, exported.stderr
    total = int(re.findall(r"Wrote ([\d,]+) worklist", exported.stdout)[0].replace(",", ""))
    assert total > 2
    shown = seamline("reconcile", "worklist", str(demo_ws), "--limit", "2")
    assert shown.returncode == 0, shown.stderr
    assert f"Worklist: 2 of {total:,} items" in shown.stdout
    assert f"{total - 2:,} more not shown" in shown.stdout
    page = (tmp_path / "wl.html").read_text(encoding="utf-8")
    assert "<style>" in page and "<h1>Reconcile worklist</h1>" in page
    assert page.count("<tr class=") == total


def test_a_record_the_reconcile_report_names_can_be_looked_up(demo_ws: Path) -> None:
    report = (demo_ws / ".seamline" / "data" / "reports" / "reconcile.html").read_text("utf-8")
    assert "seamline read DATASET --record NUMBER" in report
    items = re.findall(r"<li>(\w+) #(\d+): <span", report)
    assert items, "the report lists no records"
    dataset, number = items[0]
    got = seamline("read", dataset, "-w", str(demo_ws), "--record", number, "--record", "999999")
    assert got.returncode == 0, got.stderr
    # A table row starting with the number, or a `_record_no : N` line.
    assert re.search(rf"(^\u2502 {number} +\u2502)|(_record_no +: {number}$)", got.stdout, re.M)
    assert "No record #999999 in the current landing" in got.stderr
