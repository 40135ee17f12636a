"""Options of the ``csv`` source."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from seamline.sources.base import SourceOptions


class CsvOptions(SourceOptions):
    """``kind: csv`` — a delimited text file; every column is read as text.

    UTF-8 files are parsed by pyarrow a chunk of lines at a time while every line is
    one well-formed record; from the first chunk that is not, the rest of the file is
    read line by line. Values, line numbers and quarantine are the same either way.
    """

    kind: Literal["csv"] = "csv"
    path: str
    """The file, relative to the workspace."""
    encoding: str = "auto"
    """``auto``, or a codec: utf-8, utf-8-sig, cp1251, latin-1… ``auto``: a byte-order mark
    decides; otherwise UTF-8, unless the first 256 KiB are clearly in a single-byte code
    page (bytes that are not UTF-8 outnumber valid UTF-8 letters and sit on at least 5 % of
    the lines), which charset-normalizer then names. Read as UTF-8, a record with bytes
    that are not UTF-8 is quarantined, the reason naming the byte offset, wherever it sits.
    The codec and why are kept in the landed file's metadata (``seamline.encoding``,
    ``seamline.encoding_rule``)."""
    delimiter: str | None = None
    """One character; sniffed from the start of the file when not given."""
    quotechar: str = '"'
    """The quote character around values that hold the delimiter or line breaks."""
    header: bool = True
    """The first row (after ``skip_rows``) names the columns."""
    columns: list[str] | None = None
    """Column names, for files without a header (or to rename a header's columns)."""
    skip_rows: int = Field(default=0, ge=0)
    """Lines to skip before the header, e.g. a title line of an export."""

    @field_validator("delimiter", "quotechar")
    @classmethod
    def _one_char(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError(f"must be one character, got {value!r}")
        return value
