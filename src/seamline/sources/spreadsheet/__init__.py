"""The ``spreadsheet`` source: one sheet of an .xlsx workbook, every column as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.spreadsheet.options import SpreadsheetOptions
from seamline.sources.spreadsheet.reader import SpreadsheetReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["SpreadsheetOptions", "SpreadsheetReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(SpreadsheetReader)
