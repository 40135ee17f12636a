"""The fixed_width source: layout from YAML-style options, typed fields, quarantine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from seamline.crypto.parquet import PLAIN
from seamline.errors import SeamlineError, SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.fixedwidth import FixedWidthOptions, FixedWidthReader, register
from seamline.sources.landing import land

# id(1-6) name(7-26) born(27-36, dd.mm.yyyy) tax(37-45, implied 2 places) region(46-48)
LAYOUT: list[dict[str, Any]] = [
    {"name": "person_id", "start": 1, "length": 6, "type": "integer"},
    {"name": "full_name", "start": 7, "length": 20},
    {"name": "birth_date", "start": 27, "length": 10, "type": "date", "format": "%d.%m.%Y"},
    {"name": "tax_due", "start": 37, "length": 9, "type": "decimal", "scale": 2},
    {"name": "region", "start": 46, "length": 3},
]


def line(pid: str, name: str, born: str, tax: str, region: str) -> str:
    return f"{pid:>6}{name:<20}{born:<10}{tax:>9}{region:<3}"


GOOD = [
    line("1", "Aigul Toktogulova", "01.02.1980", "000012345", "BIS"),
    line("2", "Бакыт Садыков", "15.11.1975", "1500.50", "OSH"),
    line("3", "Светлана Иванова", "", "", ""),
]


def registry() -> Registry:
    reg = Registry()
    register(reg)
    return reg


def reader_for(
    tmp_path: Path, limit: int | None = None, batch: int = 65_536, **opts: Any
) -> FixedWidthReader:
    options = FixedWidthOptions.model_validate({"kind": "fixed_width", "columns": LAYOUT, **opts})
    ctx = ReadContext(base_dir=tmp_path, dataset="people", limit=limit, batch_size=batch)
    return FixedWidthReader(options, ctx)


def read(reader: FixedWidthReader) -> tuple[pa.Table, list[Batch]]:
    batches = list(reader.batches())
    return pa.Table.from_batches([b.data for b in batches]), batches


def write(path: Path, lines: list[str], encoding: str = "utf-8", end: str = "\n") -> None:
    path.write_bytes("".join(ln + end for ln in lines).encode(encoding))


def test_typed_columns(tmp_path: Path) -> None:
    write(tmp_path / "p.txt", ["ИНН  ФИО  header", *GOOD], end="\r\n")
    table, batches = read(reader_for(tmp_path, path="p.txt", skip_rows=1))
    assert table.column("person_id").to_pylist() == [1, 2, 3]
    assert table.column("full_name").to_pylist() == [
        "Aigul Toktogulova",
        "Бакыт Садыков",
        "Светлана Иванова",
    ]
    assert table.column("birth_date").to_pylist() == [
        dt.date(1980, 2, 1),
        dt.date(1975, 11, 15),
        None,
    ]
    assert table.column("tax_due").to_pylist() == [Decimal("123.45"), Decimal("1500.50"), None]
    assert table.schema.field("tax_due").type == pa.decimal128(9, 2)
    assert table.column("region").to_pylist() == ["BIS", "OSH", None]
    assert table.column("_source_pos").to_pylist() == ["line 2", "line 3", "line 4"]
    assert not [q for b in batches for q in b.quarantined]


def test_bad_lines_quarantined_and_land_counts(tmp_path: Path) -> None:
    lines = [
        *GOOD,
        line("4x", "Nurlan Abenov", "01.01.1990", "100", "BIS"),
        line("5", "Олжас", "31.02.1990", "100", "BIS"),
        line("6", "Dana Omarova", "01.01.1990", "12.345", "BIS"),
        line("7", "Maria Petrenko", "01.01.1990", "100", "BIS")[:40],
        "",
        line("8", "Timur Omarov", "01.01.1990", "-700", "OSH"),
    ]
    write(tmp_path / "p.txt", lines)
    ctx = ReadContext(base_dir=tmp_path, dataset="people", batch_size=3)
    options = FixedWidthOptions.model_validate({"path": "p.txt", "columns": LAYOUT})
    result = land("people", options, tmp_path / "data", ctx, registry=registry(), files=PLAIN)
    assert (result.read, result.landed, result.quarantined) == (8, 4, 4)
    q = pq.read_table(tmp_path / "data" / "quarantine" / "people.parquet").to_pylist()
    assert [(r["_record_no"], r["_source_pos"]) for r in q] == [
        (4, "line 4"),
        (5, "line 5"),
        (6, "line 6"),
        (7, "line 7"),
    ]
    assert q[0]["reason"] == "column person_id (characters 1-6): '4x' is not an integer"
    assert q[1]["reason"] == (
        "column birth_date (characters 27-36): '31.02.1990' is not a date in the format %d.%m.%Y"
    )
    assert "more than 2 decimal places" in q[2]["reason"]
    assert q[3]["reason"] == "the line has 40 characters, the layout needs 48"
    assert q[3]["raw"].decode() == lines[6]
    landed = pq.read_table(tmp_path / "data" / "landing" / "people.parquet")
    assert landed.column("tax_due").to_pylist()[-1] == Decimal("-7.00")
    assert landed.column("_source_pos").to_pylist()[-1] == "line 9"


def test_allow_short_lines(tmp_path: Path) -> None:
    write(tmp_path / "p.txt", [GOOD[0].rstrip()[:45]])
    table, _ = read(reader_for(tmp_path, path="p.txt", allow_short_lines=True))
    assert table.column("region").to_pylist() == [None]
    assert table.column("tax_due").to_pylist() == [Decimal("123.45")]


def test_cp1251_and_wrong_encoding(tmp_path: Path) -> None:
    write(tmp_path / "p.txt", GOOD, encoding="cp1251")
    table, _ = read(reader_for(tmp_path, path="p.txt", encoding="cp1251"))
    assert table.column("full_name")[1].as_py() == "Бакыт Садыков"
    table, batches = read(reader_for(tmp_path, path="p.txt"))
    assert table.column("person_id").to_pylist() == [1]
    bad = [q for b in batches for q in b.quarantined]
    assert [q.position for q in bad] == ["line 2", "line 3"]
    assert bad[0].reason.startswith("not utf-8 text: invalid")


def test_utf16(tmp_path: Path) -> None:
    write(tmp_path / "p.txt", GOOD, encoding="utf-16")
    table, _ = read(reader_for(tmp_path, path="p.txt", encoding="utf-16"))
    assert table.column("full_name")[2].as_py() == "Светлана Иванова"


def test_batches_and_limit(tmp_path: Path) -> None:
    write(
        tmp_path / "p.txt", [line(str(i), "Айгуль", "01.01.2000", "1", "BIS") for i in range(1, 11)]
    )
    _, batches = read(reader_for(tmp_path, path="p.txt", batch=4))
    assert [b.read for b in batches] == [4, 4, 2]
    table, _ = read(reader_for(tmp_path, path="p.txt", limit=3))
    assert table.column("person_id").to_pylist() == [1, 2, 3]


def test_empty_file_has_columns(tmp_path: Path) -> None:
    (tmp_path / "e.txt").write_bytes(b"")
    table, batches = read(reader_for(tmp_path, path="e.txt"))
    assert len(batches) == 1
    assert table.num_rows == 0
    assert table.schema.field("birth_date").type == pa.date32()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        list(reader_for(tmp_path, path="налоги.txt").batches())
    (tmp_path / "d").mkdir()
    with pytest.raises(SourceError, match="folder"):
        list(reader_for(tmp_path, path="d").batches())


def test_options_validate() -> None:
    cols = [{"name": "a", "start": 1, "length": 3}]
    with pytest.raises(ValidationError, match="used twice"):
        FixedWidthOptions.model_validate({"path": "x", "columns": cols + cols})
    with pytest.raises(ValidationError, match="format applies to date"):
        FixedWidthOptions.model_validate({"path": "x", "columns": [{**cols[0], "format": "%Y"}]})
    with pytest.raises(ValidationError, match="scale applies to decimal"):
        FixedWidthOptions.model_validate(
            {"path": "x", "columns": [{**cols[0], "type": "integer", "scale": 2}]}
        )
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        FixedWidthOptions.model_validate({"path": "x", "columns": [{**cols[0], "start": 0}]})
    with pytest.raises(ValidationError, match="unknown text encoding"):
        FixedWidthOptions.model_validate({"path": "x", "columns": cols, "encoding": "cp9999"})
    with pytest.raises(ValidationError, match="at least one column"):
        FixedWidthOptions.model_validate({"path": "x", "columns": []})


def test_register() -> None:
    assert registry().connector("fixed_width") is FixedWidthReader


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=60), max_size=10))
def test_any_bytes_are_accounted_for(tmp_path: Path, lines: list[bytes]) -> None:
    (tmp_path / "f.txt").write_bytes(b"\n".join(lines))
    try:
        batches = list(reader_for(tmp_path, path="f.txt", batch=3).batches())
    except SeamlineError:
        pytest.fail("a readable file must not raise")
    nums = sorted(
        [n for b in batches for n in b.data.column("_record_no").to_pylist()]
        + [q.record_no for b in batches for q in b.quarantined]
    )
    assert nums == list(range(1, len(nums) + 1))
    assert len(nums) == records_in(b"\n".join(lines))


def records_in(data: bytes) -> int:
    """Lines that are records: all but blank ones (undecodable lines are records)."""
    count = 0
    for i, raw in enumerate(data.split(b"\n")):
        raw = raw.rstrip(b"\r")
        if i == 0:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            if not raw.decode("utf-8").strip():
                continue
        except UnicodeDecodeError:
            pass
        count += 1
    return count
