"""Read one sheet of an .xlsx workbook row by row (openpyxl read-only mode, streamed).

Every column is text (see :mod:`seamline.sources.spreadsheet.cells` for why); dates are
ISO text. Formula cells give the value Excel last computed and saved. Empty rows are
not records. A row is quarantined, as ``sheet People row 5``, when a cell holds an
Excel error (``#DIV/0!``), a ``date_columns`` cell is no date, or it has values right
of the last named column; section titles, repeated headers and totals are not records
either (:mod:`seamline.sources.spreadsheet.rowkinds`). Merged cells under the header
take the range's value or are flagged (:mod:`seamline.sources.spreadsheet.merges`).
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

from seamline.errors import SourceError, did_you_mean
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
from seamline.sources.spreadsheet import cells, rowkinds
from seamline.sources.spreadsheet.merges import MergedCells, merged_ranges
from seamline.sources.spreadsheet.options import SpreadsheetOptions

HEADER_SCAN = 30
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS = "Open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook)."

Row = tuple[Any, ...]
MERGED = "_merged"
"""The column ``merged_cells: flag`` adds: which cells of the row a merge covers."""


class SpreadsheetReader(Reader[SpreadsheetOptions]):
    """``kind: spreadsheet`` — the rows under a sheet's header, as text columns."""

    kind: ClassVar[str] = "spreadsheet"
    options_model: ClassVar[type[SourceOptions]] = SpreadsheetOptions
    capabilities: ClassVar[Capabilities] = Capabilities(streaming=True, position_unit="row")

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)

    def describe(self) -> str:
        return f"spreadsheet {self.opts.path}"

    def batches(self) -> Iterator[Batch]:
        path = self._file()
        wb = self._open(path)
        try:
            ws = self._sheet(wb, path)
            yield from self._read(ws, wb.epoch == CALENDAR_MAC_1904, path)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise SourceError(
                f"the workbook cannot be read: {type(exc).__name__}: {exc}",
                where=str(path),
                hint="The file may be truncated or not really .xlsx; " + _SAVE_AS,
            ) from exc
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
            if len(head) >= max(HEADER_SCAN, self._fixed_header() or 0):
                break
        header_at = self._header_row(head, title, path)
        sample = head[header_at:]
        width = _width(head[header_at - 1], sample)
        raw_header = [c.value for c in head[header_at - 1][:width]]
        names = cells.header_names(raw_header + [None] * width)[:width]
        self._check_names(names, path, title, header_at)
        # openpyxl keeps where the sheet's part is only privately; without it no merges.
        part = getattr(ws, "_worksheet_path", None)
        merges = MergedCells(merged_ranges(path, part) if part else [], header_at + 1)
        read = _Read(names, title, epoch_1904, rowkinds.header_key(raw_header), merges)
        yield from self._records(chain(sample, rows), header_at, read)

    def _fixed_header(self) -> int | None:
        return None if self.opts.header_row == "auto" else self.opts.header_row

    def _header_row(self, head: list[Row], title: str, path: Path) -> int:
        fixed = self._fixed_header()
        if fixed is not None:
            if fixed > len(head):
                raise SourceError(
                    f"header_row {fixed} is below the last row of sheet {title}",
                    where=str(path),
                )
            return fixed
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
        clash = [n for n in names if n in (*BOOKKEEPING_COLUMNS, MERGED)]
        if self.opts.section_column in names:
            clash.append(self.opts.section_column)
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

    def _records(self, rows: Iterator[Row], header_at: int, read: _Read) -> Iterator[Batch]:
        names = read.names
        as_text = {names.index(c) for c in self.opts.columns_as_text}
        as_date = {names.index(c) for c in self.opts.date_columns}
        size = max(1, self.context.batch_size)
        limit = self.context.limit
        width = len(names)
        flag = self.opts.merged_cells == "flag" and bool(read.merges)
        extra = [n for n, on in ((self.opts.section_column, True), (MERGED, flag)) if on and n]
        out_names = [*names, *extra]
        columns: list[list[str | None]] = [[] for _ in out_names]
        numbers: list[int] = []
        positions: list[str] = []
        bad: list[QuarantineRecord] = []
        record_no = 0
        section: str | None = None
        yielded = False
        for row_no, row in enumerate(rows, start=header_at + 1):
            if limit is not None and record_no >= limit:
                break
            covered: list[Any] = []
            if read.merges:
                covered = read.merges.covered(row_no)
                read.merges.keep(row_no, row)
            if _last_filled(row) == 0:
                continue
            where = f"sheet {read.title} row {row_no}"
            kind = rowkinds.classify(
                [c.value for c in row[:width]], read.header, self.opts.total_labels
            )
            if kind is not None and kind[0] == rowkinds.SECTION and self.opts.section_column:
                section = kind[1]  # a title, not a record: it names the rows below
                continue
            record_no += 1
            try:
                if kind is not None:
                    raise ValueError(_not_a_record(*kind))
                row, notes = read.merges.apply(row, covered, width, row_no, flag=flag)
                values = self._values(row, width, as_text, as_date, read.epoch_1904)
            except ValueError as exc:
                raw = _raw(row, row_no)
                bad.append(QuarantineRecord(record_no, where, str(exc), raw, kind is not None))
            else:
                numbers.append(record_no)
                positions.append(where)
                if self.opts.section_column:
                    values.append(section)
                if flag:
                    values.append("; ".join(notes) or None)
                for i, v in enumerate(values):
                    columns[i].append(v)
            if len(numbers) + len(bad) >= size:
                yield _batch(out_names, columns, numbers, positions, bad)
                yielded = True
                columns, numbers, positions, bad = [[] for _ in out_names], [], [], []
        if numbers or bad or not yielded:
            yield _batch(out_names, columns, numbers, positions, bad)

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
            value = getattr(cell, "value", None)
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


class _Read:
    """What the record loop needs to know about the sheet."""

    def __init__(
        self,
        names: list[str],
        title: str,
        epoch_1904: bool,
        header: tuple[str, ...],
        merges: MergedCells,
    ) -> None:
        self.names, self.title, self.epoch_1904 = names, title, epoch_1904
        self.header, self.merges = header, merges


def _not_a_record(kind: str, detail: str) -> str:
    if kind == rowkinds.TOTAL:
        return f"{rowkinds.TOTAL}: a totals row ({detail!r}), not a record"
    if kind == rowkinds.SECTION:
        return (
            f"{rowkinds.SUBHEADER}: a section title alone in its row, not a record "
            "(set section_column: to keep it as a column of the rows below)"
        )
    return f"{rowkinds.SUBHEADER}: {detail}, not a record"


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
    return Batch(data=data, quarantined=bad, consumed=len(numbers) + len(bad))
