"""``seamline keys rotate``: every data file re-encrypted under the new key, atomically."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyarrow as pa
import pytest
from atrest_kit import BLOCK, ENV, DemoRun, found_in_clear, needles, new_key

from seamline.cli import main
from seamline.crypto.keys import DataKeyError, parse_key
from seamline.crypto.parquet import PLAIN, ParquetFiles, is_encrypted
from seamline.crypto.rotate import data_files, rotate

OLD_ENV = "SEAMLINE_OLD_DATA_KEY"


def _golden(demo: DemoRun, key: str | None = None) -> pa.Table:
    ws = demo.load(key)
    return ws.parquet.read_table(ws.data_dir / "reference" / "person.parquet")


def test_rotation_moves_every_file_to_the_new_key(encrypted_demo: DemoRun, tmp_path: Path) -> None:
    demo = encrypted_demo.copy(tmp_path / "ws")
    before = _golden(demo)
    old, new = demo.key, new_key()
    assert old is not None
    files = data_files(demo.data_dir)
    assert len(files) >= 10
    result = rotate(demo.data_dir, ParquetFiles(parse_key(old, "old")), demo.load(new).parquet)
    assert (result.rotated, result.current, result.failed) == (len(files), 0, [])
    assert _golden(demo, new).equals(before)
    with pytest.raises(DataKeyError, match=r"does not open .*person\.parquet; was the key rotated"):
        _golden(demo, old)
    assert not list(demo.data_dir.rglob("*.rotating"))
    # Run again (as after an interruption): nothing left to do.
    again = rotate(demo.data_dir, ParquetFiles(parse_key(old, "old")), demo.load(new).parquet)
    assert (again.rotated, again.current, again.failed) == (0, len(files), [])


def test_the_command_rotates_and_counts(
    encrypted_demo: DemoRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = encrypted_demo.copy(tmp_path / "ws")
    n = len(data_files(demo.data_dir))
    new = new_key()
    monkeypatch.setenv(OLD_ENV, str(demo.key))
    monkeypatch.setenv(ENV, new)
    with pytest.raises(SystemExit) as exited:
        main(["keys", "rotate", str(demo.root), "--old-key-env", OLD_ENV])
    assert exited.value.code in (0, None)
    said = capsys.readouterr().err
    assert re.search(rf"{n} Parquet files in .*: {n} re-encrypted to the new key, 0 already", said)
    assert _golden(demo, new).num_rows > 100


def test_the_command_refuses_a_missing_old_key(
    encrypted_demo: DemoRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(OLD_ENV, raising=False)
    for args in ([], ["--old-key-env", OLD_ENV], ["--from-plain", "--old-key-env", OLD_ENV]):
        with pytest.raises(SystemExit) as exited:
            main(["keys", "rotate", str(encrypted_demo.root), *args])
        assert exited.value.code == 2
        said = capsys.readouterr().err
        assert ("exactly one of" in said) or (f"{OLD_ENV} is not set" in said)
        assert "Traceback" not in said


def test_a_file_neither_key_opens_is_reported_and_left_alone(
    encrypted_demo: DemoRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = encrypted_demo.copy(tmp_path / "ws")
    stranger = demo.data_dir / "reference" / "other.parquet"
    ParquetFiles(os.urandom(32)).write_table(pa.table({"a": [1]}), stranger)
    content = stranger.read_bytes()
    monkeypatch.setenv(OLD_ENV, str(demo.key))
    monkeypatch.setenv(ENV, new_key())
    with pytest.raises(SystemExit) as exited:
        main(["keys", "rotate", str(demo.root), "--old-key-env", OLD_ENV])
    assert exited.value.code == 3
    said = capsys.readouterr().err
    assert f"{stranger}: neither key opens it" in said and "1 failed" in said
    assert stranger.read_bytes() == content


def test_from_plain_encrypts_a_folder_written_before_encryption(
    plain_demo: DemoRun, tmp_path: Path
) -> None:
    demo = plain_demo.copy(tmp_path / "ws")
    before = _golden(demo)
    with (demo.root / "seamline.yaml").open("a", encoding="utf-8") as fh:
        fh.write(BLOCK)
    demo.key = new_key()
    result = rotate(demo.data_dir, PLAIN, demo.load().parquet)
    assert result.rotated == len(data_files(demo.data_dir)) and not result.failed
    assert all(is_encrypted(p) for p in data_files(demo.data_dir))
    assert found_in_clear(demo.data_dir, needles(demo.root)) == {}
    assert _golden(demo).equals(before)


def test_hard_links_stay_one_file(tmp_path: Path) -> None:
    """A snapshot's current state is a hard link to its delivery: still one file after."""
    old, new = ParquetFiles(os.urandom(32)), ParquetFiles(os.urandom(32))
    (tmp_path / "landing" / "people").mkdir(parents=True)
    delivery = tmp_path / "landing" / "people" / "000001.parquet"
    old.write_table(pa.table({"pin": ["12203202300139"]}), delivery)
    state = tmp_path / "landing" / "people.parquet"
    os.link(delivery, state)
    result = rotate(tmp_path, old, new)
    assert result.rotated == 2
    assert state.stat().st_ino == delivery.stat().st_ino
    assert new.read_table(state).column("pin").to_pylist() == ["12203202300139"]
