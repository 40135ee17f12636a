"""An ``append`` state merged from encrypted deliveries: the same rows as in clear."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from seamline.crypto.parquet import PLAIN, ParquetFiles, is_encrypted
from seamline.errors import SourceError
from seamline.sources.deliveries import merge

FIRST = pa.table({"_record_no": [1, 2, 3], "pin": ["A1", "B2", None], "name": ["x", "y", "z"]})
# The second delivery has a column more and one fewer, and brings a new record for B2.
SECOND = pa.table({"_record_no": [4, 5], "pin": ["B2", "C3"], "phone": ["555", "556"]})


@pytest.mark.parametrize("files", [PLAIN, ParquetFiles(os.urandom(32))], ids=["clear", "encrypted"])
def test_merge_unites_by_name_and_keeps_the_latest_per_key(
    tmp_path: Path, files: ParquetFiles
) -> None:
    a, b, out = tmp_path / "1.parquet", tmp_path / "2.parquet", tmp_path / "state.parquet"
    files.write_table(FIRST, a)
    files.write_table(SECOND, b)
    merge(files, [a, b], ["pin"], out)
    assert is_encrypted(out) is files.encrypted
    rows = files.read_table(out).to_pylist()
    assert [(r["_record_no"], r["pin"], r["name"], r["phone"]) for r in rows] == [
        (1, "A1", "x", None),
        (3, None, "z", None),
        (4, "B2", None, "555"),
        (5, "C3", None, "556"),
    ]


def test_a_type_clash_between_encrypted_deliveries_is_a_source_error(tmp_path: Path) -> None:
    files = ParquetFiles(os.urandom(32))
    a, b = tmp_path / "1.parquet", tmp_path / "2.parquet"
    files.write_table(pa.table({"_record_no": [1], "when": pa.array([1.5])}), a)
    files.write_table(pa.table({"_record_no": [2], "when": pa.array([b"\x00"])}), b)
    with pytest.raises(SourceError, match="could not be merged into the current state"):
        merge(files, [a, b], [], tmp_path / "state.parquet")
