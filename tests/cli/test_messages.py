"""Errors a user can cause say what, where and how to fix, never "Unexpected error"."""

from __future__ import annotations

from pathlib import Path

from test_cli import seamline

from seamline.clidoc import render
from seamline.errors import SourceError
from seamline.exchange.data import DataUnavailable
from seamline.workspace.issues import Issue
from seamline.workspace.template import write_example


def test_export_to_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    ws = tmp_path / "p"
    write_example(ws)
    target = tmp_path / "nodir" / "c.ttl"
    got = seamline("catalog", "export", str(ws), "-o", str(target))
    assert got.returncode == 2, got.stderr
    assert "Unexpected error" not in got.stderr
    assert f"the folder {target.parent} does not exist." in got.stderr
    assert "mkdir -p" in got.stderr


def test_an_unwritable_output_elsewhere_is_not_unexpected(tmp_path: Path) -> None:
    ws = tmp_path / "p"
    write_example(ws)
    got = seamline("contract", "export", "civil-to-tax", "-w", str(ws), "-o", "/nodir/x.yaml")
    assert got.returncode == 3, got.stderr
    assert "Unexpected error" not in got.stderr
    assert "cannot use /nodir/x.yaml: No such file or directory." in got.stderr


def test_problem_and_fix_are_separate_sentences() -> None:
    exc = SourceError("the file a.csv does not exist", where="dataset d", hint="Looked for x")
    assert str(exc) == "dataset d: the file a.csv does not exist. Looked for x."


def test_a_fix_begins_its_own_sentence() -> None:
    exc = DataUnavailable(
        "there are no golden Person records yet",
        where="x.parquet",
        hint="build them with `seamline run`",
    )
    assert str(exc) == (
        "x.parquet: there are no golden Person records yet. Build them with `seamline run`."
    )
    # A fix that starts with a path, a command or an abbreviation keeps it as written.
    for hint in (
        "docs/harmonize.md lists every step's options.",
        "`seamline run` first",
        "e.g. P1D",
    ):
        assert str(SourceError("bad", hint=hint)).split(". ", 1)[1].startswith(hint[:6])
    issue = Issue("seamline.yaml", 3, 7, "the store is not reachable", hint="check the URL")
    assert str(issue) == "seamline.yaml:3:7: the store is not reachable. Check the URL."


def test_cli_reference_lists_every_subcommand_with_its_options() -> None:
    doc = render()
    for heading, option in (
        ("## seamline catalog export", "--output"),
        ("## seamline findings list", "--json"),
        ("## seamline contract import", "--write"),
        ("## seamline check", "--junit"),
    ):
        assert heading in doc
        section = doc.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
        assert option in section, heading


def test_runs_and_read_fit_80_columns_without_cutting_values(tmp_path: Path) -> None:
    ws = tmp_path / "p"
    write_example(ws)
    assert seamline("run", str(ws)).returncode == 0
    (ws / "data" / "persons.csv").unlink()
    assert seamline("run", str(ws)).returncode == 3
    narrow = {"COLUMNS": "80"}
    runs = seamline("runs", str(ws), env=narrow)
    assert runs.returncode == 0, runs.stderr
    assert max(len(line) for line in runs.stdout.splitlines()) <= 80
    flat = " ".join(runs.stdout.split())
    counts = " ".join(
        line.split("│")[-2].strip() for line in runs.stdout.splitlines() if line.startswith("│")
    )
    assert "read 4 = landed 4 + quarantined 0" in counts  # whole, the figure that adds up
    assert "…" not in runs.stdout
    assert "failed: dataset civil_persons: the file data/persons.csv does not exist." in flat
    (ws / "data" / "persons.csv").write_text(
        "pin,family_name,given_name,birth_date,marital\n"
        "21203198700123123456,Abdyrakhmanova-Toktogulova,Nurzhan-Aigul,01.01.1955,W\n",
        encoding="utf-8",
    )
    read = seamline("read", "civil_persons", "-w", str(ws), "--limit", "1", env=narrow)
    assert read.returncode == 0, read.stderr
    assert "21203198700123123456" in read.stdout
    assert "Abdyrakhmanova-Toktogulova" in read.stdout


def test_error_classes_differ_only_by_exit_code() -> None:
    from seamline.errors import (
        CodedError,
        CopybookError,
        ExitCode,
        SpecError,
        StoreError,
        UsageError,
    )

    expected = {
        SpecError: ExitCode.USAGE,
        UsageError: ExitCode.USAGE,
        CopybookError: ExitCode.USAGE,
        SourceError: ExitCode.RUNTIME,
        StoreError: ExitCode.RUNTIME,
    }
    for cls, code in expected.items():
        exc = cls("bad value 'x'", where="a.yaml:3:5", allowed="y, z", hint="Run seamline validate")
        assert isinstance(exc, CodedError)
        assert exc.exit_code == code, cls.__name__
        assert str(exc) == "a.yaml:3:5: bad value 'x'. Allowed: y, z. Run seamline validate."
        assert (exc.where, exc.allowed, exc.hint) == ("a.yaml:3:5", "y, z", "Run seamline validate")
