"""`seamline catalog export|search` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCAT, RDF

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


def test_export_after_a_run_carries_row_counts(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write_example(ws)
    assert seamline("run", str(ws)).returncode == 0
    out = tmp_path / "catalog.ttl"
    result = seamline("catalog", "export", str(ws), "-o", str(out))
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(out, format="turtle")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 1
    assert "4 rows" in out.read_text(encoding="utf-8")
    as_json = seamline("catalog", "export", str(ws), "--format", "json-ld")
    assert json.loads(as_json.stdout)


def test_export_rejects_an_unknown_format(tmp_path: Path) -> None:
    write_example(tmp_path / "ws")
    result = seamline("catalog", "export", str(tmp_path / "ws"), "--format", "rdf-xml")
    assert result.returncode == 2
    assert "rdf-xml" in result.stderr and "Traceback" not in result.stderr


def test_search_finds_fields_and_says_where(tmp_path: Path) -> None:
    write_example(tmp_path / "ws")
    found = seamline("catalog", "search", "identification", "-w", str(tmp_path / "ws"))
    assert found.returncode == 0, found.stderr
    assert "civil_persons" in found.stdout and "pin" in found.stdout
    none = seamline("catalog", "search", "nothing-like-this", "-w", str(tmp_path / "ws"))
    assert "No dataset matches" in none.stdout
