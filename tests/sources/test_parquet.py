"""The parquet source: Parquet, Arrow IPC file and stream; columns, positions, bad files."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from seamline.crypto.parquet import PLAIN
from seamline.errors import SeamlineError, SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.landing import land
from seamline.sources.parquet import ParquetOptions, ParquetReader, register

NAMES = ["Aigul Toktogulova", "Бакыт Садыков", "Светлана Иванова", "Nurlan Abenov"]


def people(n: int) -> pa.Table:
    return pa.table(
        {
            "person_id": pa.array(range(1, n + 1), pa.int64()),
            "full_name": [NAMES[i % len(NAMES)] for i in range(n)],
            "birth_date": [dt.date(1960, 1, 1) + dt.timedelta(days=i * 11) for i in range(n)],
            "tax_due": pa.array(
                [decimal.Decimal(i * 7) / 100 for i in range(n)], pa.decimal128(12, 2)
            ),
            "note": [None if i % 3 else f"заметка {i}" for i in range(n)],
        }
    )


def registry() -> Registry:
    reg = Registry()
    register(reg)
    return reg


def reader_for(
    tmp_path: Path, limit: int | None = None, batch: int = 65_536, **opts: Any
) -> ParquetReader:
    options = ParquetOptions.model_validate({"kind": "parquet", **opts})
    ctx = ReadContext(base_dir=tmp_path, dataset="people", limit=limit, batch_size=batch)
    return ParquetReader(options, ctx)


def read(reader: ParquetReader) -> tuple[pa.Table, list[Batch]]:
    batches = list(reader.batches())
    return pa.Table.from_batches([b.data for b in batches]), batches


def write_all(tmp_path: Path, table: pa.Table) -> dict[str, str]:
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=100)
    feather.write_feather(table, tmp_path / "p.feather", chunksize=70)
    with (
        pa.OSFile(str(tmp_path / "p.arrows"), "wb") as sink,
        ipc.new_stream(sink, table.schema) as w,
    ):
        for b in table.to_batches(max_chunksize=90):
            w.write_batch(b)
    return {"parquet": "p.parquet", "ipc file": "p.feather", "ipc stream": "p.arrows"}


@pytest.mark.parametrize("fmt", ["parquet", "ipc file", "ipc stream"])
def test_every_format_reads_rows_types_and_positions(tmp_path: Path, fmt: str) -> None:
    source = people(250)
    files = write_all(tmp_path, source)
    table, batches = read(reader_for(tmp_path, path=files[fmt], batch=64))
    assert max(b.read for b in batches) <= 64
    assert table.drop_columns(["_record_no", "_source_pos"]).equals(source)
    assert table.column("_record_no").to_pylist() == list(range(1, 251))
    assert table.column("_source_pos")[249].as_py() == "row 250"
    assert all(not b.quarantined for b in batches)


@pytest.mark.parametrize("fmt", ["parquet", "ipc file", "ipc stream"])
def test_columns_and_limit(tmp_path: Path, fmt: str) -> None:
    files = write_all(tmp_path, people(250))
    table, _ = read(
        reader_for(
            tmp_path, path=files[fmt], columns=["full_name", "person_id"], limit=101, batch=40
        )
    )
    assert table.column_names == ["_record_no", "_source_pos", "full_name", "person_id"]
    assert table.num_rows == 101
    assert table.column("person_id").to_pylist() == list(range(1, 102))


def test_unknown_column_suggests(tmp_path: Path) -> None:
    write_all(tmp_path, people(5))
    with pytest.raises(
        SourceError, match=r"no column 'full_nam' \(did you mean 'full_name'\?\)"
    ) as err:
        list(reader_for(tmp_path, path="p.parquet", columns=["full_nam"]).batches())
    assert err.value.allowed is not None
    assert "birth_date" in err.value.allowed


def test_land_counts(tmp_path: Path) -> None:
    write_all(tmp_path, people(1000))
    options = ParquetOptions(path="p.parquet")
    ctx = ReadContext(base_dir=tmp_path, dataset="people", batch_size=300)
    result = land("people", options, tmp_path / "data", ctx, registry=registry(), files=PLAIN)
    assert (result.read, result.landed, result.quarantined) == (1000, 1000, 0)
    landed = pq.read_table(tmp_path / "data" / "landing" / "people.parquet")
    assert landed.schema.field("tax_due").type == pa.decimal128(12, 2)
    assert landed.column("full_name")[1].as_py() == "Бакыт Садыков"


def test_empty_file_gives_columns(tmp_path: Path) -> None:
    pq.write_table(people(0), tmp_path / "e.parquet")
    table, batches = read(reader_for(tmp_path, path="e.parquet", columns=["note"]))
    assert len(batches) == 1
    assert table.num_rows == 0
    assert table.column_names == ["_record_no", "_source_pos", "note"]


def test_missing_folder_and_not_parquet(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        list(reader_for(tmp_path, path="нет.parquet").batches())
    (tmp_path / "dir.parquet").mkdir()
    with pytest.raises(SourceError, match="folder"):
        list(reader_for(tmp_path, path="dir.parquet").batches())
    (tmp_path / "csv.parquet").write_text("id;name\n1;Айгуль\n", encoding="cp1251")
    with pytest.raises(SourceError, match="not a Parquet or Arrow IPC file"):
        list(reader_for(tmp_path, path="csv.parquet").batches())


@pytest.mark.parametrize("fmt", ["parquet", "ipc file", "ipc stream"])
def test_truncated_file_is_a_source_error(tmp_path: Path, fmt: str) -> None:
    files = write_all(tmp_path, people(500))
    path = tmp_path / files[fmt]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(SourceError, match="cannot be read") as err:
        list(reader_for(tmp_path, path=files[fmt]).batches())
    assert err.value.where == str(path)


def test_bookkeeping_columns_in_file(tmp_path: Path) -> None:
    pq.write_table(pa.table({"_record_no": [1], "name": ["Олжас"]}), tmp_path / "l.parquet")
    with pytest.raises(SourceError, match="_record_no"):
        list(reader_for(tmp_path, path="l.parquet").batches())
    table, _ = read(reader_for(tmp_path, path="l.parquet", columns=["name"]))
    assert table.column("name").to_pylist() == ["Олжас"]


def test_options_validate() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        ParquetOptions(path="a.parquet", columns=["a", "a"])
    with pytest.raises(ValidationError, match="at least one"):
        ParquetOptions(path="a.parquet", columns=[])
    with pytest.raises(ValidationError, match="added by seamline"):
        ParquetOptions(path="a.parquet", columns=["_source_pos"])


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=200), st.sampled_from([b"", b"PAR1", b"ARROW1\x00\x00", b"\xff\xff\xff\xff"])
)
def test_garbage_never_crashes(tmp_path: Path, body: bytes, magic: bytes) -> None:
    (tmp_path / "g.bin").write_bytes(magic + body)
    with contextlib.suppress(SeamlineError):
        list(reader_for(tmp_path, path="g.bin").batches())
