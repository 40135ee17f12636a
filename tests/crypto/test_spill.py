"""Engines spill into the workspace's data folder; encrypted spill files only where this
DuckDB can write them (docs/security.md, At rest)."""

from __future__ import annotations

import os
from pathlib import Path

from seamline.crypto.parquet import ParquetFiles
from seamline.engine import SPILL_DIR


def _setting(engine: object, name: str) -> object:
    rows = engine.rows("SELECT current_setting(?)", [name])  # type: ignore[attr-defined]
    return rows[0][0]


def _httpfs_installed(engine: object) -> bool:
    rows = engine.rows(  # type: ignore[attr-defined]
        "SELECT installed FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
    )
    return bool(rows and rows[0][0])


def test_a_workspace_engine_spills_into_its_data_folder(tmp_path: Path) -> None:
    files = ParquetFiles(spill=tmp_path / "data" / "tmp")
    with files.engine() as engine:
        assert engine.temp_directory == tmp_path / "data" / "tmp"
        assert _setting(engine, "temp_directory") == str(tmp_path / "data" / "tmp")
        assert engine.temp_encrypted is False
        assert _setting(engine, "temp_file_encryption") is False
    assert ParquetFiles().spill == SPILL_DIR


def test_encrypted_files_ask_for_encrypted_spill_files_where_duckdb_can(tmp_path: Path) -> None:
    """DuckDB encrypts spill files only with the httpfs extension's crypto: without it the
    setting is left off (a spill would fail), and the engine says so."""
    files = ParquetFiles(os.urandom(32), spill=tmp_path / "tmp")
    with files.engine() as engine:
        can = _httpfs_installed(engine)
        assert engine.temp_encrypted is can
        assert _setting(engine, "temp_file_encryption") is can
        # Whatever the answer, a query that spills still runs.
        engine.execute("SET memory_limit = '40MB'")
        engine.execute("SET threads = 1")
        rows = engine.rows(
            "SELECT count(*) FROM (SELECT i::VARCHAR || repeat('x', 40) AS s FROM range(1500000) "
            "t(i) ORDER BY s DESC)"
        )
        assert rows == [(1_500_000,)]
