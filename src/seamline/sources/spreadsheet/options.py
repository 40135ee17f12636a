"""Options of the ``spreadsheet`` source: which sheet, where the header is, special columns."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from seamline.sources.base import SourceOptions


class SpreadsheetOptions(SourceOptions):
    """``kind: spreadsheet`` — rows of one sheet of an .xlsx/.xlsm workbook."""

    kind: Literal["spreadsheet"] = "spreadsheet"
    path: str
    """The workbook (.xlsx or .xlsm), relative to the workspace. .xls is not read."""
    sheet: str | int | None = None
    """Sheet name, or 1-based position; unset: the first sheet."""
    header_row: Literal["auto"] | Annotated[int, Field(ge=1)] = "auto"
    """1-based row of the column names; ``auto``: the first row in the top 30 whose
    non-empty cells are mostly text and fill half the width (title lines above it, even
    merged across the sheet, are skipped)."""
    merged_cells: Literal["fill", "flag"] = "fill"
    """Cells of a merged range under the header: ``fill`` gives each the range's value
    (what the merge shows); ``flag`` leaves them null and adds a ``_merged`` column
    naming, per row, the cells merged and the range (``B6 merged in B5:B9``)."""
    section_column: str | None = Field(default=None, min_length=1)
    """A row with a single text value in an otherwise empty row (three or more columns
    wide), such as ``North district`` above the rows it groups, is a section title, never a
    record. Unset: such rows are quarantined (``subheader_row``). Set: the title becomes
    this extra column's value on the rows below it, up to the next title."""
    total_labels: list[str] = Field(default_factory=lambda: ["total", "subtotal", "grand total"])
    """A row whose first value is one of these words (any case, alone or followed by a
    space or colon: ``TOTAL``, ``Total: north``) is quarantined as ``total_row``; add the
    words your sheets use (``[]``: none). A row repeating the header is quarantined as
    ``subheader_row`` too."""
    columns_as_text: list[str] = Field(default_factory=list)
    """Columns of codes (IDs, tax numbers): numbers are written as the sheet shows them,
    zero-padded by a ``000000`` number format, never as ``1.2E13`` or ``123.0``."""
    date_columns: list[str] = Field(default_factory=list)
    """Columns whose numbers are Excel date serials (1900 or 1904 system) to read as
    ISO dates; text there must already be an ISO date, anything else is quarantined."""

    @model_validator(mode="after")
    def _disjoint(self) -> SpreadsheetOptions:
        both = sorted(set(self.columns_as_text) & set(self.date_columns))
        if both:
            raise ValueError(
                f"{', '.join(both)} cannot be both in columns_as_text and date_columns"
            )
        if isinstance(self.sheet, int) and self.sheet < 1:
            raise ValueError("sheet positions count from 1")
        if self.section_column is not None and self.section_column.startswith("_"):
            raise ValueError("section_column must not start with _ (seamline's own columns do)")
        return self
