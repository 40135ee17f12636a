"""Options of the ``fixed_width`` source: the column layout, written in the workspace YAML."""

from __future__ import annotations

import codecs
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from seamline.sources.base import BOOKKEEPING_COLUMNS, SourceOptions


class FixedWidthColumn(BaseModel):
    """One column: where it sits on the line and what type its text holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    """Output column name."""
    start: int = Field(ge=1)
    """1-based position of the column's first character on the line."""
    length: int = Field(ge=1)
    """Width in characters (characters of the decoded line, not bytes)."""
    type: Literal["string", "integer", "decimal", "date"] = "string"
    """``string`` (trimmed), ``integer`` (int64), ``decimal`` (exact) or ``date``."""
    scale: int = Field(default=0, ge=0, le=37)
    """Decimal places of a ``decimal``: digits without a point are read with an implied
    point (``0001234`` with scale 2 is 12.34); digits with a point are taken as written."""
    format: str | None = None
    """``strptime`` format of a ``date`` (default ``%Y-%m-%d``, e.g. ``%d.%m.%Y``)."""

    @property
    def end(self) -> int:
        """1-based position of the last character."""
        return self.start + self.length - 1

    @model_validator(mode="after")
    def _fits_type(self) -> FixedWidthColumn:
        if self.format is not None and self.type != "date":
            raise ValueError(f"column {self.name}: format applies to date columns only")
        if self.scale and self.type != "decimal":
            raise ValueError(f"column {self.name}: scale applies to decimal columns only")
        if self.type == "decimal" and max(self.length, self.scale + 1) > 38:
            raise ValueError(f"column {self.name}: a decimal holds at most 38 digits")
        return self


class FixedWidthOptions(SourceOptions):
    """``kind: fixed_width`` — one record a line, columns by position."""

    kind: Literal["fixed_width"] = "fixed_width"
    path: str
    """The text file, relative to the workspace."""
    encoding: str = "utf-8"
    """Text encoding (any Python codec: utf-8, cp1251, cp866, ...)."""
    columns: list[FixedWidthColumn]
    """The layout: name, start, length, type (and scale / format)."""
    skip_rows: int = Field(default=0, ge=0)
    """Lines to skip at the top (headers, banners); they are not records."""
    allow_short_lines: bool = False
    """Read a line shorter than the layout as if padded with spaces (for files whose
    trailing blanks were trimmed). Off: a short line is quarantined."""
    workers: Literal["auto"] | PositiveInt = "auto"
    """Processes that read the file in parallel: ``auto`` one per core (fewer for a file
    under 8 MB a process), ``1`` one process. The file is cut after line breaks; the
    result is the same as on one process, ``_record_no``, line numbers and quarantine
    included. UTF-16 and UTF-32 files and reads with a row limit use one process.
    On a workspace with ``engine: spark`` the connect stage has the parts decoded by
    Spark's executors, ``auto`` one per executor core (docs/scale.md)."""

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: list[FixedWidthColumn]) -> list[FixedWidthColumn]:
        if not value:
            raise ValueError("give at least one column")
        names = [c.name for c in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"column names used twice: {', '.join(dupes)}")
        clash = [n for n in names if n in BOOKKEEPING_COLUMNS]
        if clash:
            raise ValueError(f"{', '.join(clash)} is added by seamline; rename the column")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r} (e.g. utf-8, cp1251)") from None
        return value
