"""Read one sheet of an .xlsx workbook row by row (openpyxl read-only mode, streamed).

Every column is text (see :mod:`seamline.sources.spreadsheet.cells` for why); dates are
ISO text. Formula cells give the value Excel last computed and saved. Empty rows are
not records. A row is quarantined, as ``sheet People row 5``, when a cell holds an
Excel error (``#DIV/0!``), a ``date_columns`` cell is no date, or it has values right
of the last named column.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any, ClassVar

import openpyxl
import pyarrow as pa
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from seamline.errors import SourceError
from seamline.plugins import did_you_mean
from seamline.sources.base import (
    BOOKKEEPING_COLUMNS,
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
    with_bookkeeping,
)
from seamline.sources.spreadsheet import cells
from seamline.sources.spreadsheet.options import SpreadsheetOptions

HEADER_SCAN = 30
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS = "Open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook)."

Row = tuple[Any, ...]


class SpreadsheetReader(Reader):
    """``kind: spreadsheet`` — the rows under a sheet's header, as text columns."""

    kind: ClassVar[str] = "spreadsheet"
    options_model: ClassVar[type[SourceOptions]] = SpreadsheetOptions
    capabilities: ClassVar[Capabilities] = Capabilities(streaming=True, position_unit="row")

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        if not isinstance(options, SpreadsheetOptions):
            raise SourceError(f"the spreadsheet reader got {type(options).__name__} options")
        self.opts: SpreadsheetOptions = options

    def describe(self) -> str:
        return f"spreadsheet {self.opts.path}"

    def batches(self) -> Iterator[Batch]:
        path = self._file()
        wb = self._open(path)
        try:
            ws = self._sheet(wb, path)
            yield from self._read(ws, wb.epoch == CALENDAR_MAC_1904, path)
        finally:
            wb.close()

    # -- workbook and sheet ---------------------------------------------------------

    def _file(self) -> Path:
        path = self.source_file(self.opts.path, what="a workbook")
        if path.suffix.lower() in (".xls", ".ods", ".numbers"):
            raise SourceError(
                f"{path.suffix} workbooks are not read, only .xlsx/.xlsm",
                where=str(path),
                hint=_SAVE_AS,
            )
        try:
            with path.open("rb") as fh:
                head = fh.read(8)
        except OSError as exc:
            raise SourceError(
                f"cannot read the file: {exc.strerror or exc}", where=str(path)
            ) from exc
        if head == OLE_MAGIC:
            raise SourceError(
                "this is an old-format .xls workbook (or a password-protected one), "
                "which is not read",
                where=str(path),
                hint=_SAVE_AS + " Remove the password if it has one.",
            )
        if not head.startswith(b"PK"):
            raise SourceError(
                "not an .xlsx workbook (it is not a zip container)",
                where=str(path),
                hint="Check the delivery; CSV files need kind: csv.",
            )
        return path

    def _open(self, path: Path) -> Any:
        try:
            with warnings.catch_warnings():
                # openpyxl warns about workbook features it ignores (data validation,
                # missing default styles); they do not change the cell values.
                warnings.simplefilter("ignore", UserWarning)
                return openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            raise SourceError(
                f"the workbook cannot be opened: {type(exc).__name__}: {exc}",
                where=str(path),
                hint="The file may be truncated or not really .xlsx; " + _SAVE_AS,
            ) from exc

    def _sheet(self, wb: Any, path: Path) -> Any:
        names: list[str] = list(wb.sheetnames)
        sheet = self.opts.sheet
        if sheet is None:
            return wb[names[0]]
        if isinstance(sheet, int):
            if sheet > len(names):
                raise SourceError(
                    f"there is no sheet {sheet}; the workbook has {len(names)}",
                    where=str(path),
                    allowed=", ".join(names),
                )
            return wb[names[sheet - 1]]
        if sheet in names:
            return wb[sheet]
        folded = {n.casefold().strip(): n for n in names}
        guess = folded.get(sheet.casefold().strip()) or did_you_mean(sheet, names)
        raise SourceError(
            f"there is no sheet {sheet!r}" + (f" (did you mean {guess!r}?)" if guess else ""),
            where=str(path),
            allowed=", ".join(names),
            hint="Fix the sheet option (a name, or a position counting from 1).",
        )

    # -- rows ---------------------------------------------------------------------------

    def _read(self, ws: Any, epoch_1904: bool, path: Path) -> Iterator[Batch]:
        title = str(ws.title)
        rows = iter(ws.iter_rows())
        head: list[Row] = []
        for row in rows:
            head.append(tuple(row))
            if len(head) >= max(HEADER_SCAN, self.opts.header_row or 0):
                break
        header_at = self._header_row(head, title, path)
        sample = head[header_at:]
        width = _width(head[header_at - 1], sample)
        names = cells.header_names([c.value for c in head[header_at - 1][:width]] + [None] * width)
        names = names[:width]
        self._check_names(names, path, title, header_at)
        yield from self._records(chain(sample, rows), header_at, names, title, epoch_1904)

    def _header_row(self, head: list[Row], title: str, path: Path) -> int:
        if self.opts.header_row is not None:
            if self.opts.header_row > len(head):
                raise SourceError(
                    f"header_row {self.opts.header_row} is below the last row of sheet {title}",
                    where=str(path),
                )
            return self.opts.header_row
        width = max([_last_filled(r) for r in head] + [0])
        for i, row in enumerate(head, start=1):
            if cells.looks_like_header([c.value for c in row], width):
                return i
        raise SourceError(
            f"no header row found in the first {HEADER_SCAN} rows of sheet {title}",
            where=str(path),
            hint="Set header_row: to the row number of the column names.",
        )

    def _check_names(self, names: list[str], path: Path, title: str, header_at: int) -> None:
        clash = [n for n in names if n in BOOKKEEPING_COLUMNS]
        if clash:
            raise SourceError(
                f"the header (sheet {title} row {header_at}) has {clash[0]}, which seamline adds",
                where=str(path),
            )
        for option in ("columns_as_text", "date_columns"):
            for col in getattr(self.opts, option):
                if col not in names:
                    guess = did_you_mean(col, names)
                    raise SourceError(
                        f"{option} names {col!r}, which is not a column of sheet {title}"
                        + (f" (did you mean {guess!r}?)" if guess else ""),
                        where=str(path),
                        allowed=", ".join(names),
                    )

    def _records(
        self, rows: Iterator[Row], header_at: int, names: list[str], title: str, epoch_1904: bool
    ) -> Iterator[Batch]:
        as_text = {names.index(c) for c in self.opts.columns_as_text}
        as_date = {names.index(c) for c in self.opts.date_columns}
        size = max(1, self.context.batch_size)
        limit = self.context.limit
        width = len(names)
        columns: list[list[str | None]] = [[] for _ in names]
        numbers: list[int] = []
        positions: list[str] = []
        bad: list[QuarantineRecord] = []
        record_no = 0
        yielded = False
        for row_no, row in enumerate(rows, start=header_at + 1):
            if limit is not None and record_no >= limit:
                break
            if _last_filled(row) == 0:
                continue
            record_no += 1
            where = f"sheet {title} row {row_no}"
            try:
                values = self._values(row, width, as_text, as_date, epoch_1904)
            except ValueError as exc:
                bad.append(QuarantineRecord(record_no, where, str(exc), _raw(row, row_no)))
            else:
                numbers.append(record_no)
                positions.append(where)
                for i, v in enumerate(values):
                    columns[i].append(v)
            if len(numbers) + len(bad) >= size:
                yield _batch(names, columns, numbers, positions, bad)
                yielded = True
                columns, numbers, positions, bad = [[] for _ in names], [], [], []
        if numbers or bad or not yielded:
            yield _batch(names, columns, numbers, positions, bad)

    def _values(
        self, row: Row, width: int, as_text: set[int], as_date: set[int], epoch_1904: bool
    ) -> list[str | None]:
        extra = _last_filled(row)
        if extra > width:
            raise ValueError(
                f"a value in column {cells.column_letter(extra)}, right of the last named "
                f"column {cells.column_letter(width)}"
            )
        out: list[str | None] = []
        for i in range(width):
            cell = row[i] if i < len(row) else None
            value = None if cell is None else cell.value
            if value is not None and getattr(cell, "data_type", None) == "e":
                raise ValueError(f"column {cells.column_letter(i + 1)}: Excel error {value}")
            if i in as_date:
                try:
                    out.append(cells.date_text(value, epoch_1904))
                except ValueError as exc:
                    raise ValueError(f"column {cells.column_letter(i + 1)}: {exc}") from None
            elif i in as_text and isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(cells.code_text(value, getattr(cell, "number_format", None)))
            else:
                out.append(cells.cell_text(value))
        return out


def _width(header: Row, sample: list[Row]) -> int:
    """How many columns the records have: up to the last header name, and beyond it
    while most sample rows fill the column (a header merged over the last columns
    leaves them unnamed; a stray note in one row should not become a column)."""
    width = max(_last_filled(header), 1)
    filled = [r for r in sample if _last_filled(r)]
    while filled:
        count = sum(1 for r in filled if width < len(r) and _filled(r[width].value))
        if count * 2 < len(filled):
            break
        width += 1
    return width


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _last_filled(row: Row) -> int:
    """1-based column of the last non-empty cell, 0 for an empty row."""
    for i in range(len(row) - 1, -1, -1):
        if _filled(row[i].value):
            return i + 1
    return 0


def _raw(row: Row, row_no: int) -> bytes:
    parts = []
    for i, cell in enumerate(row, start=1):
        if cell.value is not None:
            value = cell.value
            text = value.isoformat() if isinstance(value, (dt.date, dt.time)) else str(value)
            parts.append(f"{cells.column_letter(i)}{row_no}={text}")
    return "; ".join(parts).encode("utf-8")


def _batch(
    names: list[str],
    columns: list[list[str | None]],
    numbers: list[int],
    positions: list[str],
    bad: list[QuarantineRecord],
) -> Batch:
    arrays: list[pa.Array[Any]] = [pa.array(c, type=pa.string()) for c in columns]
    table = pa.RecordBatch.from_arrays(arrays, names=names)
    data = with_bookkeeping(table, pa.array(numbers, pa.int64()), pa.array(positions, pa.string()))
    return Batch(data=data, quarantined=bad)
