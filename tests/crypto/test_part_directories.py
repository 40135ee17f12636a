"""A data file may be a directory of part files (harmonize's output on Spark): the door
reads one the same as the single file DuckDB writes — rows, order, schema, views — and
puts either in place whole.

The directory is written with pyarrow the way Spark's writer lays it out: parts named
``part-NNNNN-<job>-c000.zstd.parquet`` holding consecutive ranges of the rows, Hadoop's
hidden ``.crc`` checksums beside them and a ``_SUCCESS`` marker, none of which is data.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pytest
from sqlglot import exp

from seamline.crypto.parquet import PLAIN, ParquetFiles
from seamline.engine import DuckDBEngine
from seamline.retention.sweep import _filter

ROWS = 1_000
PARTS = 3


def _table() -> pa.Table:
    start = dt.datetime(2024, 3, 1, 8, 30)
    return pa.table(
        {
            "_record_no": pa.array(range(1, ROWS + 1), pa.int64()),
            "name": [f"Aigerim {i}" if i % 7 else None for i in range(ROWS)],
            "seen_at": pa.array([start + dt.timedelta(minutes=i) for i in range(ROWS)]),
            "born": pa.array([dt.date(1960, 1, 1) + dt.timedelta(days=i) for i in range(ROWS)]),
        }
    )


def _spark_layout(files: ParquetFiles, table: pa.Table, folder: Path) -> None:
    """``table`` as Spark leaves it: parts in name order hold the rows in order. They
    are written last part first, so that neither creation order nor a listing of the
    folder gives the rows' order by chance."""
    folder.mkdir()
    cut = [round(i * table.num_rows / PARTS) for i in range(PARTS + 1)]
    for i in reversed(range(PARTS)):
        name = f"part-{i:05d}-3f0c7e1a-c000.zstd.parquet"
        files.write_table(table.slice(cut[i], cut[i + 1] - cut[i]), folder / name)
        (folder / f".{name}.crc").write_bytes(b"crc")
    (folder / "_SUCCESS").write_bytes(b"")


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """The same rows as one file and as a directory of parts."""
    table = _table()
    single, parted = tmp_path / "single.parquet", tmp_path / "parted.parquet"
    PLAIN.write_table(table, single)
    _spark_layout(PLAIN, table, parted)
    return single, parted


def test_the_door_reads_a_directory_as_the_file(pair: tuple[Path, Path]) -> None:
    single, parted = pair
    assert parted.is_dir() and len(PLAIN.parts(parted)) == PARTS
    assert PLAIN.exists(parted) and PLAIN.exists(single)
    a, b = PLAIN.read_table(single), PLAIN.read_table(parted)
    assert b.schema.equals(a.schema)
    assert b.equals(a)  # in order, not sorted after the fact
    assert PLAIN.read_schema(parted).equals(PLAIN.read_schema(single))
    assert PLAIN.num_rows(parted) == PLAIN.num_rows(single) == ROWS
    assert sum(m.num_rows for m in PLAIN.footers(parted)) == ROWS
    assert PLAIN.size(parted) == sum(p.stat().st_size for p in PLAIN.parts(parted))
    batches = pa.Table.from_batches(list(PLAIN.iter_batches(parted, batch_size=128)))
    assert batches.equals(a)
    some = PLAIN.read_table(parted, columns=["_record_no"], filters=[("_record_no", ">", 990)])
    assert some.column(0).to_pylist() == list(range(991, ROWS + 1))


def test_an_engine_view_of_a_directory_is_the_files(pair: tuple[Path, Path]) -> None:
    single, parted = pair
    query = exp.select("*").from_("v")
    with DuckDBEngine() as engine:
        PLAIN.view(engine, "v", single)
        a = engine.arrow(query)
        PLAIN.view(engine, "v", parted)
        b = engine.arrow(query)  # no ORDER BY: the parts are read in name order
        PLAIN.view(engine, "v", [single, parted])
        both = engine.rows(exp.select("count(*)").from_("v"))
    assert b.equals(a)
    assert a.num_rows == ROWS
    assert both == [(2 * ROWS,)]


def test_an_encrypted_directory_is_read_with_its_key(tmp_path: Path) -> None:
    files = ParquetFiles(os.urandom(32))
    table = _table()
    _spark_layout(files, table, tmp_path / "parted.parquet")
    parted = tmp_path / "parted.parquet"
    assert files.read_table(parted).equals(table)
    with DuckDBEngine() as engine:
        files.view(engine, "v", parted)
        assert engine.arrow(exp.select("*").from_("v")).equals(table)
    with pytest.raises(Exception, match="encrypted"):
        PLAIN.read_table(parted)


def test_replacing_puts_a_directory_or_a_file_in_place_whole(pair: tuple[Path, Path]) -> None:
    single, parted = pair
    table = _table()
    # A directory over a file, and a file over a directory.
    with PLAIN.replacing(single) as partial:
        _spark_layout(PLAIN, table.slice(0, 10), partial)
    assert single.is_dir() and PLAIN.num_rows(single) == 10
    with PLAIN.replacing(parted) as partial:
        PLAIN.write_table(table.slice(0, 5), partial)
    assert parted.is_file() and PLAIN.num_rows(parted) == 5
    # A write that fails leaves what was there, and no partial result beside it.
    with pytest.raises(RuntimeError, match="lost"):
        _fail_while_writing(single, table)
    assert PLAIN.num_rows(single) == 10
    assert sorted(p.name for p in single.parent.iterdir()) == ["parted.parquet", "single.parquet"]


def test_a_crash_between_the_two_renames_is_mended_by_the_next_write(
    pair: tuple[Path, Path],
) -> None:
    """Replacing a directory renames the old result aside, then the new one in: a crash
    between them left ``<name>.old`` and nothing at the name, and the next write deleted
    that last copy before writing. It is put back; and removed where the new one landed."""
    _, parted = pair
    old = parted.with_name(parted.name + ".old")
    os.replace(parted, old)  # the state a crash between the renames leaves
    with pytest.raises(RuntimeError, match="lost"):
        _fail_while_writing(parted, _table())
    assert PLAIN.num_rows(parted) == ROWS and not old.exists()
    _spark_layout(PLAIN, _table().slice(0, 3), old)  # a crash after the second rename
    with PLAIN.replacing(parted) as partial:
        PLAIN.write_table(_table().slice(0, 7), partial)
    assert PLAIN.num_rows(parted) == 7 and not old.exists()


def _fail_while_writing(path: Path, table: pa.Table) -> None:
    with PLAIN.replacing(path) as partial:
        _spark_layout(PLAIN, table, partial)
        raise RuntimeError("the executors were lost")


def test_erasure_rewrites_a_directory_as_one_file(pair: tuple[Path, Path]) -> None:
    """The retention sweep reads a directory through the door and writes the rows it
    keeps back as one file in its place."""
    _, parted = pair
    _filter(PLAIN, parted, [(1, 101), (500, 600)])
    assert parted.is_file()
    kept = PLAIN.read_table(parted)
    assert kept.column("_record_no").to_pylist() == [
        *range(101, 500),
        *range(600, ROWS + 1),
    ]
    assert kept.schema.equals(_table().schema)
    assert not list(parted.parent.glob("*.partial"))
