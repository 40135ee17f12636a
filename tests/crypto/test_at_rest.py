"""Encryption at rest: a demo run leaves no identifier or name in clear in its data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from atrest_kit import ENV, DemoRun, found_in_clear, needles, new_key

from seamline.cli import main
from seamline.crypto.keys import DataKeyError
from seamline.crypto.parquet import is_encrypted
from seamline.engine import DuckDBEngine

WRITTEN = ("landing", "quarantine", "harmonized", "reference")


def test_an_encrypted_run_leaves_no_identifier_or_family_name_in_clear(
    encrypted_demo: DemoRun,
) -> None:
    data_dir = encrypted_demo.data_dir
    wanted = needles(encrypted_demo.root)
    assert len(wanted["national identifiers"]) >= 250 and len(wanted["family names"]) >= 20
    assert found_in_clear(data_dir, wanted) == {}
    files = sorted(data_dir.rglob("*.parquet"))
    assert {p.relative_to(data_dir).parts[0] for p in files} == set(WRITTEN)
    assert [p for p in files if is_encrypted(p) is not True] == []


def test_the_same_run_in_clear_shows_them(plain_demo: DemoRun) -> None:
    """The scan above can fail: without a key the same files hold the values in clear."""
    hits = found_in_clear(plain_demo.data_dir, needles(plain_demo.root))
    folders = {
        name.split("/", 1)[0] for name, counts in hits.items() if counts["national identifiers"]
    }
    assert folders == set(WRITTEN)
    assert any(counts["family names"] for counts in hits.values())
    assert all(is_encrypted(p) is False for p in plain_demo.data_dir.rglob("*.parquet"))


def test_encryption_changes_no_result(encrypted_demo: DemoRun, plain_demo: DemoRun) -> None:
    def golden(demo: DemoRun) -> pa.Table:
        ws = demo.load()
        table = ws.parquet.read_table(ws.data_dir / "reference" / "person.parquet")
        return table.sort_by("entity_id")

    enc, plain = golden(encrypted_demo), golden(plain_demo)
    assert enc.num_rows > 100
    assert enc.equals(plain)


def test_a_wrong_key_is_a_clear_error(encrypted_demo: DemoRun) -> None:
    ws = encrypted_demo.load(new_key())
    path = ws.data_dir / "reference" / "person.parquet"
    with pytest.raises(DataKeyError) as caught:
        ws.parquet.read_table(path)
    assert f"the data key does not open {path}; was the key rotated?" in str(caught.value)
    assert "seamline keys rotate" in str(caught.value)
    with DuckDBEngine() as engine, pytest.raises(DataKeyError, match="does not open"):
        ws.parquet.view(engine, "golden", path)


def test_a_wrong_key_on_the_command_line_is_an_error_not_a_traceback(
    encrypted_demo: DemoRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV, new_key())
    with pytest.raises(SystemExit) as exited:
        main(["read", "civil_persons", "--landed", "-w", str(encrypted_demo.root)])
    assert exited.value.code == 3
    said = capsys.readouterr().err
    assert "the data key does not open" in said and "was the key rotated?" in said
    assert "Traceback" not in said


def test_encrypted_files_without_a_key_configured_are_an_error(
    encrypted_demo: DemoRun, tmp_path: Path
) -> None:
    copy = encrypted_demo.copy(tmp_path / "ws")
    spec = copy.root / "seamline.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").split("encryption:")[0], encoding="utf-8")
    ws = copy.load()
    assert ws.project.encryption is None
    path = ws.data_dir / "harmonized" / "civil_persons.parquet"
    with pytest.raises(DataKeyError, match="is encrypted, but this workspace sets no data key"):
        ws.parquet.read_schema(path)
    with DuckDBEngine() as engine, pytest.raises(DataKeyError, match="is encrypted"):
        ws.parquet.view(engine, "h", path)


def test_a_file_in_clear_where_encryption_is_on_is_an_error(
    encrypted_demo: DemoRun, plain_demo: DemoRun, tmp_path: Path
) -> None:
    ws = encrypted_demo.load()
    clear = tmp_path / "clear.parquet"
    shutil.copyfile(plain_demo.data_dir / "reference" / "person.parquet", clear)
    with pytest.raises(DataKeyError, match="is in clear") as caught:
        ws.parquet.read_table(clear)
    assert "--from-plain" in str(caught.value)
