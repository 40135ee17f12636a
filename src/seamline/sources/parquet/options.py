"""Options of the ``parquet`` source: a Parquet or Arrow IPC file and the columns to read."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from seamline.sources.base import BOOKKEEPING_COLUMNS, SourceOptions


class ParquetOptions(SourceOptions):
    """``kind: parquet`` — typed columnar files; the types come from the file."""

    kind: Literal["parquet"] = "parquet"
    path: str
    """A .parquet file, or an Arrow IPC file or stream (.arrow, .feather, .ipc), relative
    to the workspace. The format is recognised by the file's first bytes, not its name."""
    columns: list[str] | None = None
    """The columns to read, in this order; unset reads every column."""

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one column, or leave columns unset for all")
            dupes = sorted({c for c in value if value.count(c) > 1})
            if dupes:
                raise ValueError(f"columns listed twice: {', '.join(dupes)}")
            clash = [c for c in value if c in BOOKKEEPING_COLUMNS]
            if clash:
                raise ValueError(f"{', '.join(clash)} is added by seamline and cannot be read")
        return value
