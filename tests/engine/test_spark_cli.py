"""What the user sees of Spark on the terminal: seamline's output, never Spark's.

The CLI in a subprocess, on ``seamline init``'s example workspace (one dataset of four
rows) with ``engine: spark`` on ``local[1]``: ``seamline harmonize`` (connect, then
harmonize on Spark: the session's start and a few queries, about 35 s on a busy 2-core
machine, where the whole ``seamline run`` takes two minutes) prints no log4j notes, no
warnings and no Java stack on stdout or stderr; and a ``seamline run`` whose Spark cannot
start ends with one seamline error line and exit code 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from spark_demo import CONF, spark_yaml

from seamline.workspace.template import write_example

NOISE = (
    "at org.apache",
    "log4j",
    "WARN ",
    "WARNING",
    "NativeCodeLoader",
    "Setting default log level",
    "setLogLevel",
    "Traceback",
    "Exception",
)


@pytest.fixture
def workspace(tmp_path: Path, java_runtime: None) -> Path:
    root = tmp_path / "ws"
    write_example(root)
    project = root / "seamline.yaml"
    lines = project.read_text(encoding="utf-8").splitlines(keepends=True)
    (engine,) = [i for i, line in enumerate(lines) if line.startswith("engine: duckdb")]
    lines[engine] = spark_yaml("local[1]", CONF)
    project.write_text("".join(lines), encoding="utf-8")
    return root


def _seamline(command: str, root: Path, store: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seamline", command, str(root)],
        capture_output=True,
        text=True,
        env={**os.environ, "SEAMLINE_STORE": store, "COLUMNS": "200", **env},
        timeout=600,
        check=False,
    )


def _noise(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(n in line for n in NOISE)]


def test_a_run_on_spark_prints_nothing_of_sparks(workspace: Path, postgres_url: str) -> None:
    done = _seamline("harmonize", workspace, postgres_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _noise(done.stdout) == [], done.stdout
    assert _noise(done.stderr) == [], done.stderr
    assert "harmonize ran its SQL plan on Spark (local[1])" in " ".join(done.stdout.split())


def test_spark_that_cannot_start_is_one_error_line(workspace: Path, postgres_url: str) -> None:
    done = _seamline("run", workspace, postgres_url, SEAMLINE_SPARK_MASTER="nowhere://cluster")
    assert done.returncode == 3, done.stdout + done.stderr
    assert _noise(done.stdout) == [], done.stdout
    assert _noise(done.stderr) == [], done.stderr
    # One error, saying why Spark did not start (the JVM's exception, without its stack).
    text = " ".join((done.stdout + done.stderr).split())
    assert text.count("Error:") == 1, text
    assert "Error: could not start Spark on nowhere://cluster: Master must" in text, text
