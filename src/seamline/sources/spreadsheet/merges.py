"""Merged cells of a sheet, for the read-only reader that does not see them.

openpyxl's streaming (read-only) worksheet gives a merged range's value in its
top-left cell and nothing in the others, so a merged "Agency" column arrives as one
value and then nulls. The ranges themselves sit in the sheet's XML after the rows
(``<mergeCells><mergeCell ref="B5:B9"/>``). Parsing the whole XML a second time would
double the read; the ranges are found with a byte scan of the decompressed part
instead, which costs a fraction of parsing it.

:class:`MergedCells` then hands each data row the cells its merges cover: the
top-left cell (``fill``) or a note saying which cell it was merged with (``flag``).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import get_column_letter, range_boundaries

Row = tuple[Any, ...]

_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_CHUNK = 1 << 20
_OVERLAP = 256


@dataclass(frozen=True)
class Range:
    min_col: int
    min_row: int
    max_col: int
    max_row: int

    @property
    def ref(self) -> str:
        first = f"{get_column_letter(self.min_col)}{self.min_row}"
        return f"{first}:{get_column_letter(self.max_col)}{self.max_row}"


def merged_ranges(path: Path, sheet_part: str) -> list[Range]:
    """The merged ranges of the sheet stored at ``sheet_part`` of the workbook."""
    found: set[bytes] = set()
    with zipfile.ZipFile(path) as archive, archive.open(sheet_part.lstrip("/")) as fh:
        tail = b""
        while block := fh.read(_CHUNK):
            data = tail + block
            found.update(m.group(1) for m in _MERGE.finditer(data))
            tail = data[-_OVERLAP:]
    ranges = []
    for ref in sorted(found):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii"))
        if min_col and min_row and max_col and max_row:
            ranges.append(Range(min_col, min_row, max_col, max_row))
    return ranges


@dataclass
class MergedCells:
    """The merges that reach below the header, applied row by row as rows stream by."""

    ranges: list[Range]
    first_data_row: int
    _starting: dict[int, list[Range]] = field(default_factory=dict)
    _open: dict[Range, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.ranges:
            if r.min_row >= self.first_data_row and (
                r.max_row > r.min_row or r.max_col > r.min_col
            ):
                self._starting.setdefault(r.min_row, []).append(r)

    def __bool__(self) -> bool:
        return bool(self._starting)

    def covered(self, row_no: int) -> list[tuple[int, Range]]:
        """(0-based column, range) of the cells of row ``row_no`` a merge covers (not its
        top-left cell); ranges that ended above the row are forgotten."""
        for r in [r for r in self._open if r.max_row < row_no]:
            del self._open[r]
        out: list[tuple[int, Range]] = []
        for r in self._open:
            out.extend((c - 1, r) for c in range(r.min_col, r.max_col + 1))
        for r in self._starting.pop(row_no, []):
            self._open[r] = None
            out.extend((c - 1, r) for c in range(r.min_col + 1, r.max_col + 1))
        return out

    def keep(self, row_no: int, row: tuple[Any, ...]) -> None:
        """Remember the top-left cells of the merges that start on this row."""
        for r in self._open:
            if r.min_row == row_no and self._open[r] is None and r.min_col <= len(row):
                self._open[r] = row[r.min_col - 1]

    def top_left(self, r: Range) -> Any:
        return self._open.get(r)

    def apply(
        self, row: Row, covered: list[tuple[int, Range]], width: int, row_no: int, *, flag: bool
    ) -> tuple[Row, list[str]]:
        """The row with covered empty cells filled from their range's top-left cell, or
        (``flag``) left empty with a note each (``B6 merged in B5:B9``)."""
        if not covered:
            return row, []
        cells = list(row) + [None] * (width - len(row))
        notes: list[str] = []
        for i, r in covered:
            top = self.top_left(r)
            if i >= width or top is None or _filled(getattr(cells[i], "value", None)):
                continue
            if flag:
                notes.append(f"{get_column_letter(i + 1)}{row_no} merged in {r.ref}")
            else:
                cells[i] = top
        return tuple(cells), notes


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
