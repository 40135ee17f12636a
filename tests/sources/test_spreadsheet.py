"""The spreadsheet source: sheets, header detection, merged headers, codes, date serials."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.landing import land
from seamline.sources.spreadsheet import SpreadsheetOptions, SpreadsheetReader, register
from seamline.sources.spreadsheet.cells import header_names, number_text, serial_date

HEADER = ["ИНН", "ФИО", "Адрес", None, "Дата рождения", "Сумма"]


def registry() -> Registry:
    reg = Registry()
    register(reg)
    return reg


def make_book(path: Path, rows: int = 3) -> None:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "Сводка"
    first["A1"] = "Итого"
    ws = wb.create_sheet("People")
    ws["A1"] = "Налоговая служба — список плательщиков"
    ws.append([])
    ws.append(HEADER)
    ws.merge_cells("C3:D3")
    data: list[list[Any]] = [
        [12345678, "Aigul Toktogulova", "Бишкек", "Чуй 12", 29221, 1500.5],
        ["000987654321", "Бакыт Садыков", "Ош", None, dt.datetime(1975, 11, 15), 200],
        [4567, "Светлана Иванова", None, None, "1990-03-01", 1e-7],
    ]
    for i in range(rows):
        ws.append(data[i % 3])
    for row in ws.iter_rows(min_row=4, max_col=1):
        row[0].number_format = "000000000000"
    wb.save(path)


def reader_for(
    tmp_path: Path, limit: int | None = None, batch: int = 65_536, **opts: Any
) -> SpreadsheetReader:
    options = SpreadsheetOptions.model_validate({"kind": "spreadsheet", **opts})
    ctx = ReadContext(base_dir=tmp_path, dataset="people", limit=limit, batch_size=batch)
    return SpreadsheetReader(options, ctx)


def read(reader: SpreadsheetReader) -> tuple[pa.Table, list[Batch]]:
    batches = list(reader.batches())
    return pa.Table.from_batches([b.data for b in batches]), batches


def test_sheet_by_name_header_detection_and_text_columns(tmp_path: Path) -> None:
    make_book(tmp_path / "p.xlsx")
    table, batches = read(
        reader_for(
            tmp_path,
            path="p.xlsx",
            sheet="People",
            columns_as_text=["ИНН"],
            date_columns=["Дата рождения"],
        )
    )
    assert table.column_names == [
        "_record_no",
        "_source_pos",
        "ИНН",
        "ФИО",
        "Адрес",
        "Адрес_2",
        "Дата рождения",
        "Сумма",
    ]
    assert all(f.type == pa.string() for f in table.schema if not f.name.startswith("_"))
    assert table.column("ИНН").to_pylist() == ["000012345678", "000987654321", "000000004567"]
    assert table.column("Адрес_2").to_pylist() == ["Чуй 12", None, None]
    assert table.column("Дата рождения").to_pylist() == ["1980-01-01", "1975-11-15", "1990-03-01"]
    assert table.column("Сумма").to_pylist() == ["1500.5", "200", "0.0000001"]
    assert table.column("_source_pos").to_pylist() == [
        "sheet People row 4",
        "sheet People row 5",
        "sheet People row 6",
    ]
    assert not [q for b in batches for q in b.quarantined]


def test_default_columns_keep_numbers_plain(tmp_path: Path) -> None:
    make_book(tmp_path / "p.xlsx")
    table, _ = read(reader_for(tmp_path, path="p.xlsx", sheet=2))
    assert table.column("ИНН").to_pylist() == ["12345678", "000987654321", "4567"]
    assert table.column("Дата рождения").to_pylist() == ["29221", "1975-11-15", "1990-03-01"]


def test_explicit_header_row(tmp_path: Path) -> None:
    make_book(tmp_path / "p.xlsx")
    table, _ = read(reader_for(tmp_path, path="p.xlsx", sheet="People", header_row=4))
    assert table.column_names[2:4] == ["12345678", "Aigul Toktogulova"]
    assert table.num_rows == 2


def test_bad_rows_quarantined_and_land_counts(tmp_path: Path) -> None:
    make_book(tmp_path / "p.xlsx", rows=30)
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx")
    ws = wb["People"]
    ws["F6"] = "#DIV/0!"
    ws["E7"] = "завтра"
    ws["E8"] = 60
    ws["E8"].number_format = "General"
    ws["H9"] = "заметка"
    ws.insert_rows(10)  # an empty row: not a record
    wb.save(tmp_path / "p.xlsx")
    options = SpreadsheetOptions(path="p.xlsx", sheet="People", date_columns=["Дата рождения"])
    ctx = ReadContext(base_dir=tmp_path, dataset="people", batch_size=7)
    result = land("people", options, tmp_path / "data", ctx, registry=registry(), files=PLAIN)
    assert (result.read, result.landed, result.quarantined) == (30, 26, 4)
    q = pq.read_table(tmp_path / "data" / "quarantine" / "people.parquet").to_pylist()
    assert [r["_source_pos"] for r in q] == [f"sheet People row {n}" for n in (6, 7, 8, 9)]
    assert [r["_record_no"] for r in q] == [3, 4, 5, 6]
    assert q[0]["reason"] == "column F: Excel error #DIV/0!"
    assert q[1]["reason"] == "column E: 'завтра' is neither a date nor an Excel date serial"
    assert "29 February 1900" in q[2]["reason"]
    assert q[3]["reason"].startswith("a value in column H, right of the last named column F")
    assert "H9=заметка" in q[3]["raw"].decode("utf-8")
    landed = pq.read_table(tmp_path / "data" / "landing" / "people.parquet")
    assert landed.column("_source_pos").to_pylist()[2] == "sheet People row 11"


def test_header_merged_over_the_last_columns(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["ФИО", "Телефоны", None])
    ws.merge_cells("B1:C1")
    ws.append(["Олжас", "+996 555 1", "+996 700 2"])
    ws.append(["Dana", "+996 555 3", None])
    ws.append(["Timur", "+996 555 4", "+996 700 5"])
    wb.save(tmp_path / "m.xlsx")
    table, _ = read(reader_for(tmp_path, path="m.xlsx"))
    assert table.column_names[2:] == ["ФИО", "Телефоны", "Телефоны_2"]
    assert table.column("Телефоны_2").to_pylist() == ["+996 700 2", None, "+996 700 5"]


def test_unknown_sheet_suggests(tmp_path: Path) -> None:
    make_book(tmp_path / "p.xlsx")
    with pytest.raises(SourceError, match=r"no sheet 'Peple' \(did you mean 'People'\?\)") as err:
        list(reader_for(tmp_path, path="p.xlsx", sheet="Peple").batches())
    assert err.value.allowed == "Сводка, People"
    with pytest.raises(SourceError, match="no sheet 3; the workbook has 2"):
        list(reader_for(tmp_path, path="p.xlsx", sheet=3).batches())
    with pytest.raises(SourceError, match="did you mean 'Сводка'"):
        list(reader_for(tmp_path, path="p.xlsx", sheet="сводка").batches())


def test_unknown_special_column(tmp_path: Path) -> None:
    make_book(tmp_path / "p.xlsx")
    with pytest.raises(SourceError, match=r"'ИНH'.*did you mean 'ИНН'"):
        list(reader_for(tmp_path, path="p.xlsx", sheet="People", columns_as_text=["ИНH"]).batches())


def test_batches_and_limit(tmp_path: Path) -> None:
    make_book(tmp_path / "p.xlsx", rows=10)
    _, batches = read(reader_for(tmp_path, path="p.xlsx", sheet="People", batch=4))
    assert [b.read for b in batches] == [4, 4, 2]
    table, _ = read(reader_for(tmp_path, path="p.xlsx", sheet="People", limit=3))
    assert table.column("_record_no").to_pylist() == [1, 2, 3]


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        list(reader_for(tmp_path, path="люди.xlsx").batches())
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(SourceError, match="not read") as err:
        list(reader_for(tmp_path, path="old.xls").batches())
    assert err.value.hint is not None
    assert "save it as .xlsx" in err.value.hint
    (tmp_path / "renamed.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(SourceError, match=r"old-format \.xls"):
        list(reader_for(tmp_path, path="renamed.xlsx").batches())
    (tmp_path / "text.xlsx").write_text("ИНН;ФИО\n1;Айгуль\n", encoding="cp1251")
    with pytest.raises(SourceError, match="not a zip container"):
        list(reader_for(tmp_path, path="text.xlsx").batches())
    make_book(tmp_path / "p.xlsx")
    data = (tmp_path / "p.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="cannot be opened"):
        list(reader_for(tmp_path, path="cut.xlsx").batches())


def test_no_header_found(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for i in range(5):
        ws.append([i, i * 2, i * 3])
    wb.save(tmp_path / "n.xlsx")
    with pytest.raises(SourceError, match="no header row") as err:
        list(reader_for(tmp_path, path="n.xlsx").batches())
    assert err.value.hint is not None
    assert "header_row" in err.value.hint


def test_options_validate() -> None:
    with pytest.raises(ValidationError, match="both"):
        SpreadsheetOptions(path="a.xlsx", columns_as_text=["a"], date_columns=["a"])
    with pytest.raises(ValidationError, match="count from 1"):
        SpreadsheetOptions(path="a.xlsx", sheet=0)


def test_serial_dates_follow_excel() -> None:
    assert serial_date(1) == "1900-01-01"
    assert serial_date(59) == "1900-02-28"
    assert serial_date(61) == "1900-03-01"
    assert serial_date(45292) == "2024-01-01"
    assert serial_date(45292.5) == "2024-01-01T12:00:00"
    assert serial_date(0, epoch_1904=True) == "1904-01-01"
    for bad in (0, 60, -1, 3e6):
        with pytest.raises(ValueError, match="serial"):
            serial_date(bad)


def test_header_names() -> None:
    assert header_names([None, "ФИО", None, "ФИО", " "]) == [
        "column_A",
        "ФИО",
        "ФИО_2",
        "ФИО_3",
        "ФИО_4",
    ]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_text_round_trips(value: float) -> None:
    text = number_text(value)
    assert "e" not in text.lower()
    assert float(text) == value


def test_register() -> None:
    assert registry().connector("spreadsheet") is SpreadsheetReader
