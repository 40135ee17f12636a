"""Spreadsheet layout inside the data: merged cells, section titles, repeated headers, totals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
from pydantic import ValidationError

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.sources.base import Batch, ReadContext
from seamline.sources.landing import land
from seamline.sources.spreadsheet import SpreadsheetOptions, SpreadsheetReader
from seamline.sources.spreadsheet.merges import merged_ranges

HEADER = ["Agency", "Invoice", "Service", "Amount", "Paid on"]


def billing_book(path: Path) -> None:
    """An invented billing sheet laid out the way printed registers are."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Billing"
    ws["A1"] = "Shared services billing, November"
    ws.merge_cells("A1:E1")  # a title merged across the sheet
    ws.append([])
    ws.append(HEADER)  # row 3
    ws.append(["North district"])  # row 4: a section title, merged across
    ws.merge_cells("A4:E4")
    ws.append(["Water Agency", "INV-1", "Hosting", 100, dt.date(2026, 11, 2)])  # row 5
    ws.append([None, "INV-2", "Backup", 50, dt.date(2026, 11, 3)])  # row 6
    ws.append([None, "INV-3", "Mail", 25, None])  # row 7
    ws.merge_cells("A5:A7")  # one agency over three invoices
    ws.append(["TOTAL", None, None, 175, None])  # row 8
    ws.append(["South district"])  # row 9: a section title, one cell
    ws.append(HEADER)  # row 10: the header again (a page break)
    ws.append(["Road Agency", "INV-4", "Hosting", 300, dt.date(2026, 11, 5)])  # row 11
    ws.append(["Land Office", "INV-5", "Hosting", None, None])  # row 12
    ws.merge_cells("C12:E12")  # a service spread over the row's other cells
    ws.append(["Grand total: all districts", None, None, 475, None])  # row 13
    wb.save(path)


def read(tmp_path: Path, **opts: Any) -> tuple[pa.Table, list[Batch], SpreadsheetReader]:
    options = SpreadsheetOptions.model_validate({"path": "b.xlsx", **opts})
    reader = SpreadsheetReader(options, ReadContext(base_dir=tmp_path, dataset="billing"))
    batches = list(reader.batches())
    return pa.Table.from_batches([b.data for b in batches]), batches, reader


def quarantine(batches: list[Batch]) -> list[tuple[str, str]]:
    return [(q.position, q.reason) for b in batches for q in b.quarantined]


SECTION = (
    "subheader_row: a section title alone in its row, not a record "
    "(set section_column: to keep it as a column of the rows below)"
)


def test_merged_cells_fill_and_layout_rows_are_not_records(tmp_path: Path) -> None:
    billing_book(tmp_path / "b.xlsx")
    table, batches, _ = read(tmp_path)
    assert table.column_names == ["_record_no", "_source_pos", *HEADER]
    assert table.column("Invoice").to_pylist() == ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5"]
    assert table.column("Agency").to_pylist() == [
        "Water Agency",
        "Water Agency",  # the merged A5:A7 fills, no silent nulls
        "Water Agency",
        "Road Agency",
        "Land Office",
    ]
    assert table.column("Amount").to_pylist() == ["100", "50", "25", "300", "Hosting"]
    assert table.column("Paid on").to_pylist()[-1] == "Hosting"
    assert quarantine(batches) == [
        ("sheet Billing row 4", SECTION),
        ("sheet Billing row 8", "total_row: a totals row ('total'), not a record"),
        ("sheet Billing row 9", SECTION),
        ("sheet Billing row 10", "subheader_row: repeats the header, not a record"),
        ("sheet Billing row 13", "total_row: a totals row ('grand total'), not a record"),
    ]
    raw = [q.raw for b in batches for q in b.quarantined]
    assert raw[0] == b"A4=North district"
    assert raw[1] == b"A8=TOTAL; D8=175"


def test_merged_cells_flag_leaves_nulls_and_says_why(tmp_path: Path) -> None:
    billing_book(tmp_path / "b.xlsx")
    table, _, _ = read(tmp_path, merged_cells="flag")
    assert table.column_names[-1] == "_merged"
    assert table.column("Agency").to_pylist() == [
        "Water Agency",
        None,
        None,
        "Road Agency",
        "Land Office",
    ]
    assert table.column("_merged").to_pylist() == [
        None,
        "A6 merged in A5:A7",
        "A7 merged in A5:A7",
        None,
        "D12 merged in C12:E12; E12 merged in C12:E12",
    ]


def test_section_titles_become_a_column(tmp_path: Path) -> None:
    billing_book(tmp_path / "b.xlsx")
    table, batches, _ = read(tmp_path, section_column="district")
    assert table.column("district").to_pylist() == [
        "North district",
        "North district",
        "North district",
        "South district",
        "South district",
    ]
    assert [p for p, _ in quarantine(batches)] == [
        "sheet Billing row 8",
        "sheet Billing row 10",
        "sheet Billing row 13",
    ]
    assert table.column("_record_no").to_pylist() == [1, 2, 3, 6, 7]  # titles are no records


def test_land_accounts_for_every_row(tmp_path: Path) -> None:
    billing_book(tmp_path / "b.xlsx")
    options = SpreadsheetOptions(path="b.xlsx", header_row=3)
    result = land(
        "billing", options, tmp_path, ReadContext(base_dir=tmp_path, dataset="billing"), files=PLAIN
    )
    assert (result.read, result.landed, result.quarantined) == (10, 5, 5)
    assert sorted(result.reasons.values()) == [1, 1, 1, 2]  # the two totals by label


def test_total_labels_are_the_sheets_own_words(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Taxpayer", "District", "Amount"])
    ws.append(["Aigul Toktogulova", "Osh", 10])
    ws.append(["Jami:", None, 10])
    ws.append(["Total", None, 10])
    wb.save(tmp_path / "b.xlsx")
    table, batches, _ = read(tmp_path, total_labels=["jami"])
    assert table.column("Taxpayer").to_pylist() == ["Aigul Toktogulova", "Total"]
    assert [p for p, _ in quarantine(batches)] == ["sheet Sheet row 3"]
    table, batches, _ = read(tmp_path, total_labels=[])
    assert table.num_rows == 3 and not quarantine(batches)


def test_a_row_with_one_value_in_a_narrow_sheet_is_a_record(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Code", "Name"])
    ws.append(["A1", "Water"])
    ws.append(["B2", None])
    ws.append([None, "Osh region"])
    wb.save(tmp_path / "b.xlsx")
    table, batches, _ = read(tmp_path)
    assert table.column("Code").to_pylist() == ["A1", "B2", None]
    assert not quarantine(batches)


def test_header_row_auto_or_number(tmp_path: Path) -> None:
    billing_book(tmp_path / "b.xlsx")
    auto, _, _ = read(tmp_path, header_row="auto")
    fixed, _, _ = read(tmp_path, header_row=3)
    assert auto.equals(fixed)
    with pytest.raises(ValidationError):
        SpreadsheetOptions(path="b.xlsx", header_row=0)
    with pytest.raises(ValidationError):
        SpreadsheetOptions.model_validate({"path": "b.xlsx", "header_row": "first"})
    with pytest.raises(ValidationError, match="must not start with _"):
        SpreadsheetOptions(path="b.xlsx", section_column="_section")


def test_section_column_may_not_clash_with_a_header_name(tmp_path: Path) -> None:
    billing_book(tmp_path / "b.xlsx")
    with pytest.raises(SourceError, match="Agency"):
        read(tmp_path, section_column="Agency")


def test_merged_ranges_are_found_without_parsing_the_sheet(tmp_path: Path) -> None:
    billing_book(tmp_path / "b.xlsx")
    refs = [r.ref for r in merged_ranges(tmp_path / "b.xlsx", "xl/worksheets/sheet1.xml")]
    assert refs == ["A1:E1", "A4:E4", "A5:A7", "C12:E12"]


def test_layout_rows_do_not_count_toward_the_quarantine_threshold(tmp_path: Path) -> None:
    """Totals and section titles are quarantined and counted, but they are not bad data."""
    billing_book(tmp_path / "b.xlsx")
    options = SpreadsheetOptions(path="b.xlsx", header_row=3)
    context = ReadContext(base_dir=tmp_path, dataset="billing")
    result = land("billing", options, tmp_path, context, max_quarantine_share=0.0, files=PLAIN)
    assert (result.read, result.landed, result.quarantined, result.layout) == (10, 5, 5, 5)
    assert result.ok, result.failed
    assert result.quarantine_share == 0.0
