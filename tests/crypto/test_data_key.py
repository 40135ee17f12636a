"""Where the data key comes from (``encryption:`` in seamline.yaml) and its format."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from atrest_kit import BLOCK, ENV

from seamline.crypto.keys import DataKeyError, parse_key
from seamline.crypto.parquet import PLAIN, ParquetFiles, is_encrypted
from seamline.errors import SeamlineError
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example

KEY = os.urandom(32)
TABLE = pa.table({"family_name": ["Токтогулова", "Садыков"], "pin": ["12203202300139", "2050"]})


def test_a_key_is_32_bytes_in_base64_or_hex() -> None:
    assert parse_key(base64.b64encode(KEY).decode(), "here") == KEY
    assert parse_key(KEY.hex().upper() + "\n", "here") == KEY
    for bad in ("", "c2hvcnQ=", KEY.hex()[:-2], "not a key at all, not even base64!"):
        with pytest.raises(DataKeyError) as caught:
            parse_key(bad, "encryption.key")
        text = str(caught.value)
        assert "encryption.key" in text and "64 hexadecimal characters" in text
        assert not bad or bad not in text  # the value is never echoed


def _workspace(tmp_path: Path, block: str) -> Path:
    root = tmp_path / "ws"
    write_example(root)
    with (root / "seamline.yaml").open("a", encoding="utf-8") as fh:
        fh.write(block)
    return root


def test_the_key_from_the_environment_encrypts_what_the_workspace_writes(tmp_path: Path) -> None:
    root = _workspace(tmp_path, BLOCK)
    ws = load_workspace(root, env={ENV: base64.b64encode(KEY).decode()})
    path = tmp_path / "t.parquet"
    ws.parquet.write_table(TABLE, path)
    assert is_encrypted(path) is True
    assert b"12203202300139" not in path.read_bytes()
    assert ParquetFiles(KEY).read_table(path).equals(TABLE)


def test_a_missing_variable_names_it_and_the_setting(tmp_path: Path) -> None:
    root = _workspace(tmp_path, BLOCK)
    with pytest.raises(SeamlineError) as caught:
        load_workspace(root, env={})
    text = str(caught.value)
    assert f"the environment variable {ENV} is not set" in text and "seamline.yaml" in text


def test_a_malformed_key_is_a_spec_error_that_does_not_echo_it(tmp_path: Path) -> None:
    root = _workspace(tmp_path, BLOCK)
    with pytest.raises(SeamlineError) as caught:
        load_workspace(root, env={ENV: "hunter2-hunter2"})
    text = str(caught.value)
    assert "seamline.yaml" in text and "64 hexadecimal characters" in text
    assert "hunter2" not in text


def test_exactly_one_source_of_the_key(tmp_path: Path) -> None:
    block = 'encryption:\n  key_file: k.txt\n  key_command: "cat k.txt"\n'
    with pytest.raises(SeamlineError, match="exactly one of key, key_file, key_command"):
        load_workspace(_workspace(tmp_path, block), env={})


def test_a_key_file_relative_to_the_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path, "encryption:\n  key_file: secrets/data.key\n")
    ws = load_workspace(root, env={})
    with pytest.raises(DataKeyError, match="the key file does not exist") as caught:
        _ = ws.parquet
    assert str(root / "secrets" / "data.key") in str(caught.value)
    (root / "secrets").mkdir()
    (root / "secrets" / "data.key").write_text(KEY.hex() + "\n", encoding="ascii")
    ws = load_workspace(root, env={})
    path = tmp_path / "t.parquet"
    ws.parquet.write_table(TABLE, path)
    assert ParquetFiles(KEY).read_table(path).equals(TABLE)


def _command(tmp_path: Path, code: str, timeout: float = 30) -> str:
    """A key command running ``code`` (a script in the workspace: the command runs there)."""
    (tmp_path / "kms.py").write_text(code, encoding="utf-8")
    return (
        f'encryption:\n  key_command: "{sys.executable} ../kms.py --key data"\n'
        f"  timeout_seconds: {timeout}\n"
    )


def test_a_key_command_prints_the_key(tmp_path: Path) -> None:
    code = f"import sys; assert sys.argv[1:] == ['--key', 'data']; print('{KEY.hex()}')"
    root = _workspace(tmp_path, _command(tmp_path, code))
    path = tmp_path / "t.parquet"
    load_workspace(root, env={}).parquet.write_table(TABLE, path)
    assert ParquetFiles(KEY).read_table(path).equals(TABLE)


@pytest.mark.parametrize(
    ("code", "timeout", "said"),
    [
        ("import sys; sys.stderr.write('no access to the key'); sys.exit(3)", 30, "exit code 3: no access to the key"),
        ("import time; time.sleep(10)", 0.5, "did not finish within 0.5 seconds"),
        ("print('not a key')", 30, "the output of seamline.yaml encryption.key_command"),
    ],
)  # fmt: skip
def test_a_failing_key_command_is_a_clear_error(
    tmp_path: Path, code: str, timeout: float, said: str
) -> None:
    ws = load_workspace(_workspace(tmp_path, _command(tmp_path, code, timeout)), env={})
    with pytest.raises(DataKeyError) as caught:
        _ = ws.parquet
    assert said in str(caught.value)
    assert "encryption.key_command" in str(caught.value)


def test_a_key_command_that_is_not_installed(tmp_path: Path) -> None:
    block = "encryption:\n  key_command: no-such-kms-client --print data-key\n"
    ws = load_workspace(_workspace(tmp_path, block), env={})
    with pytest.raises(DataKeyError, match="'no-such-kms-client' was not found"):
        _ = ws.parquet


def test_without_encryption_files_stay_in_clear(tmp_path: Path) -> None:
    ws = load_workspace(_workspace(tmp_path, ""), env={})
    assert not ws.parquet.encrypted
    path = tmp_path / "t.parquet"
    ws.parquet.write_table(TABLE, path)
    assert is_encrypted(path) is False
    assert PLAIN.read_table(path).equals(TABLE)


def test_a_bad_key_stops_the_run_before_any_stage(tmp_path: Path) -> None:
    from seamline.pipeline import run_pipeline
    from seamline.store import Store

    root = _workspace(tmp_path, "encryption:\n  key_file: missing.key\n")
    ws = load_workspace(root, env={})
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        with pytest.raises(DataKeyError, match="the key file does not exist"):
            run_pipeline(ws, store)
        assert store.list_runs() == []
    assert not ws.data_dir.exists()
