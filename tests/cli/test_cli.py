"""The command line as a user meets it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seamline.workspace.template import write_example


def seamline(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_STORE"}
    full_env.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


def test_help_explains_the_commands() -> None:
    result = seamline("--help")
    assert result.returncode == 0
    for command in ("init", "validate", "demo", "run", "read", "copybook", "upgrade"):
        assert command in result.stdout


def test_init_then_validate_then_run(tmp_path: Path) -> None:
    ws = tmp_path / "program"
    assert seamline("init", str(ws)).returncode == 0
    valid = seamline("validate", str(ws))
    assert valid.returncode == 0, valid.stderr
    assert "valid. 2 agencies, 2 systems, 1 datasets" in valid.stdout
    ran = seamline("run", str(ws))
    assert ran.returncode == 0, ran.stderr + ran.stdout
    landed = pq.read_table(ws / ".seamline" / "data" / "landing" / "civil_persons.parquet")
    assert landed.num_rows == 4
    assert landed.column("pin").to_pylist()[0] == "21203198700123"
    report = json.loads((ws / ".seamline" / "data" / "reports" / "run-latest.json").read_text())
    connect = report["stages"][0]
    assert connect["stage"] == "connect"
    assert connect["counts"] == {"read": 4, "landed": 4, "quarantined": 0}
    listed = seamline("runs", str(ws))
    assert (
        listed.returncode == 0 and "connect" in listed.stdout and "civil_persons" in listed.stdout
    )


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = seamline("init", str(tmp_path))
    assert result.returncode == 2
    assert "is not empty" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr


def test_spec_errors_exit_2_with_every_place(tmp_path: Path) -> None:
    write_example(tmp_path)
    (tmp_path / "seamline.yaml").write_text("name: [oops\n", encoding="utf-8")
    (tmp_path / "systems" / "tax.yaml").write_text(
        "id: tax-db\nname: T\nagency: nobody\ninterface: database\n", encoding="utf-8"
    )
    for command in ("validate", "run"):
        result = seamline(command, str(tmp_path))
        assert result.returncode == 2, result.stderr
        assert "seamline.yaml:2:1" in result.stderr or "seamline.yaml:1:" in result.stderr
        assert "systems/tax.yaml:3:9: unknown agency 'nobody'" in result.stderr
        assert "Traceback" not in result.stderr


def test_no_workspace_is_a_usage_error(tmp_path: Path) -> None:
    result = seamline("run", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "no workspace folder" in result.stderr and "seamline init" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_store_is_a_runtime_error_without_password(tmp_path: Path) -> None:
    write_example(tmp_path)
    url = "postgresql+psycopg://seamline:topsecret@127.0.0.1:1/nothing"
    result = seamline("run", str(tmp_path), env={"SEAMLINE_STORE": url})
    assert result.returncode == 3
    assert "127.0.0.1:1" in result.stderr
    assert "topsecret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = seamline("--debug", "run", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_unknown_dataset_in_read_suggests_the_right_one(tmp_path: Path) -> None:
    write_example(tmp_path)
    result = seamline("read", "civil_person", "-w", str(tmp_path))
    assert result.returncode == 2
    assert "did you mean 'civil_persons'" in result.stderr


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv"])
def test_read_writes_each_format(tmp_path: Path, suffix: str) -> None:
    write_example(tmp_path / "ws")
    out = tmp_path / f"out{suffix}"
    result = seamline("read", "civil_persons", "-w", str(tmp_path / "ws"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "read 4 records: 4 accepted, 0 quarantined" in result.stderr
    text = out.read_bytes()
    assert b"Toktogulova" in text or suffix == ".parquet"
    if suffix == ".parquet":
        assert pq.read_table(out).num_rows == 4


def test_serve_refuses_half_or_bad_ui_sign_in_settings(tmp_path: Path) -> None:
    ws = tmp_path / "program"
    write_example(ws)
    half = seamline("serve", str(ws), "--ui-oidc-issuer", "https://id.example.kg")
    assert half.returncode == 2
    assert "--ui-oidc-issuer and --ui-oidc-client-id together" in half.stderr
    bad = seamline(
        "serve", str(ws), "--ui-oidc-issuer", "id.example.kg", "--ui-oidc-client-id", "seamline"
    )
    assert bad.returncode != 0 and "must be a URL" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_serve_refuses_an_unknown_log_level(tmp_path: Path) -> None:
    write_example(tmp_path / "program")
    got = seamline("serve", str(tmp_path / "program"), "--log-level", "loud")
    assert got.returncode == 2, got.stderr
    assert (
        "unknown --log-level 'loud'. Allowed: critical, error, warning, info, debug." in got.stderr
    )


def test_read_copybook_takes_the_rdw_length_convention(tmp_path: Path) -> None:
    """RDW lengths that count only the data: quarantined by default, read with the flag."""
    (tmp_path / "book.cpy").write_text(
        "       01  REC.\n           05  ID   PIC 9(2).\n           05  NAME PIC X(8).\n"
    )
    records = [f"{i:02d}{name:<8}".encode("cp037") for i, name in enumerate(("Ana", "Ben"), 1)]
    data = b"".join(len(r).to_bytes(2, "big") + b"\0\0" + r for r in records)
    (tmp_path / "data.dat").write_bytes(data)
    args = ("read", "data.dat", "--copybook", "book.cpy", "--record-format", "V")
    default = seamline(*args, cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    assert "read 2 records: 1 accepted, 1 quarantined" in default.stderr
    other = seamline(*args, "--no-rdw-includes-header", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert "read 2 records: 2 accepted, 0 quarantined" in other.stderr
