"""Every Parquet read and write of the data folder goes through ``seamline.crypto.parquet``.

A call site that opened a data file with pyarrow or DuckDB directly would decide on
encryption by itself (and write in clear); this test names any that appears.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "seamline"
DIRECT = re.compile(
    r"\bpq\.(read_table|read_schema|read_metadata|ParquetFile|ParquetWriter|write_table)\("
    r"|read_parquet|ReadParquet\(|\.parquet_view\(|\.dataset_view\(|\.copy_to_parquet\("
)
OUTSIDE_THE_DATA_FOLDER = {
    "crypto/parquet.py": "the door itself",
    "engine/duckdb_engine.py": "the engine's primitives, called only by the door",
    "sources/parquet/reader.py": "the Parquet connector reads a source system's own files",
    "sources/export.py": "`seamline read -o` writes where the user asks, to hand data on",
    "exchange/export.py": "the API's export streams to the consumer, not to disk",
}


def test_no_module_reads_or_writes_parquet_around_the_door() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name in OUTSIDE_THE_DATA_FOLDER:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DIRECT.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{name}:{n}: {line.strip()}")
    assert not found, "Parquet access around seamline.crypto.parquet:\n" + "\n".join(found)


def test_the_exceptions_still_exist() -> None:
    """An exception for a file that is gone would hide a new one of the same name."""
    assert all((PACKAGE / name).is_file() for name in OUTSIDE_THE_DATA_FOLDER)
