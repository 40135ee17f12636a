"""Options of the ``spreadsheet`` source: which sheet, where the header is, special columns."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from seamline.sources.base import SourceOptions


class SpreadsheetOptions(SourceOptions):
    """``kind: spreadsheet`` — rows of one sheet of an .xlsx/.xlsm workbook."""

    kind: Literal["spreadsheet"] = "spreadsheet"
    path: str
    """The workbook (.xlsx or .xlsm), relative to the workspace. .xls is not read."""
    sheet: str | int | None = None
    """Sheet name, or 1-based position; unset: the first sheet."""
    header_row: int | None = Field(default=None, ge=1)
    """1-based row of the column names; unset: the first row in the top 30 whose
    non-empty cells are mostly text (title lines above it are skipped)."""
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
        return self
