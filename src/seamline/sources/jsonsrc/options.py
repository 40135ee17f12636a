"""Options of the ``json`` source: a JSON document or NDJSON (one JSON object a line)."""

from __future__ import annotations

import codecs
from typing import Literal

from pydantic import Field, PositiveInt, field_validator

from seamline.sources.base import BOOKKEEPING_COLUMNS, SourceOptions
from seamline.sources.jsonsrc.paths import parse_path
from seamline.sources.jsonsrc.schema import Declared


class JsonOptions(SourceOptions):
    """``kind: json`` — records selected by ``record_path``, columns by ``fields``.

    Both formats stream: NDJSON a line at a time, a JSON document in 1 MB chunks, so a
    file larger than memory is fine. A column's type comes from all its values, in a
    first pass over the file that only scans them: booleans, integers, or integers and
    decimals (a number); any other mix lands as text, a string as written (``"08144"``
    keeps its zero) and a number as its JSON text. So no well-formed record is ever
    quarantined for an inferred type; ``types`` declares a column's type instead.
    A line of NDJSON that is not JSON, or a malformed item of a document's array of
    records, is quarantined with its line and the parser's message, and the read goes on
    (at the next line; at the ``,`` that ends the item). A document that ends inside its
    array of records (truncated) lands the records before; the cut one is quarantined as
    ``truncated``. Malformed JSON outside the records stops the read with its line and
    column.
    """

    kind: Literal["json"] = "json"
    path: str
    """The JSON or NDJSON file, relative to the workspace."""
    format: Literal["auto", "json", "ndjson"] = "auto"
    """``json``: one document; ``ndjson``: one document a line; ``auto`` decides by the
    file name (.ndjson, .jsonl) and else by whether the first line is a whole object."""
    workers: Literal["auto"] | PositiveInt = "auto"
    """NDJSON only: processes that read the file in parallel, ``auto`` one per core (fewer
    for a file under 8 MB a process), ``1`` one process. The file is cut after line breaks;
    both passes (the type scan, then the read) run in parallel and the result is the same
    as on one process, ``_record_no``, line numbers and quarantine included. UTF-16 and
    UTF-32 files and reads with a row limit use one process.
    On a workspace with ``engine: spark`` the connect stage has the parts decoded by
    Spark's executors, ``auto`` one per executor core (docs/scale.md)."""
    record_path: str | None = None
    """Where the records are: ``$.data.people[*]`` or ``data.people``. Unset: the top
    level (an array's items, or the one object); in NDJSON applied to every line."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Output column -> path inside a record (``address.city``, ``phones[0]``). Empty:
    every field, nested objects flattened with ``_`` and lists kept as JSON text."""
    types: dict[str, Declared] = Field(default_factory=dict)
    """Output column -> its type: ``string``, ``integer``, ``number``, ``boolean``, ``date``
    or ``timestamp`` (ISO 8601 text; a zone is converted to UTC). Undeclared columns are
    typed from all their values; a value that does not fit a declared type puts its record
    in quarantine."""
    encoding: str = "utf-8"
    """Text encoding of the file (any Python codec name); a UTF-8 BOM is skipped."""

    @field_validator("record_path")
    @classmethod
    def _record_path(cls, value: str | None) -> str | None:
        if value is not None:
            parse_path(value)
        return value

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        for column, path in value.items():
            if column in BOOKKEEPING_COLUMNS:
                raise ValueError(f"{column} is added by seamline; name the column differently")
            try:
                parse_path(path)
            except ValueError as exc:
                raise ValueError(f"field {column!r}: {exc}") from None
        return value

    @field_validator("types")
    @classmethod
    def _types(cls, value: dict[str, Declared]) -> dict[str, Declared]:
        for column in value:
            if column in BOOKKEEPING_COLUMNS:
                raise ValueError(f"{column} is added by seamline; it has no declared type")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r} (e.g. utf-8, cp1251)") from None
        return value
