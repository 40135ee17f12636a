"""The ``csv`` source: delimited text (CSV, TSV, pipe, semicolon) in any encoding."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.delimited.options import CsvOptions
from seamline.sources.delimited.reader import CsvReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["CsvOptions", "CsvReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(CsvReader)
