"""Options of the ``sql`` source: a table or a read-only query in a SQLAlchemy database."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from seamline.sources.base import SourceOptions


class SqlOptions(SourceOptions):
    """``kind: sql`` — exactly one of ``url``/``path`` and one of ``table``/``query``."""

    kind: Literal["sql"] = "sql"
    url: str | None = None
    """SQLAlchemy URL, usually ``${TAX_DB_URL}``."""
    path: str | None = None
    """A SQLite file, relative to the workspace."""
    table: str | None = None
    db_schema: str | None = Field(default=None, alias="schema")
    """The database schema of ``table`` (``schema:`` in the spec)."""
    query: str | None = None
    """A read-only SELECT written by the workspace author."""
    key: list[str] = Field(default_factory=list)
    """Columns that identify a row: named in ``_source_pos`` (``id=901``), and the de-duplication key of an ``append`` state (rows read again at the watermark's edge are kept once)."""
    watermark: str | None = None
    """Column for incremental reads: rows with a value at or above the last run's highest (the edge is read again and de-duplicated by ``key``). Makes the default ``state`` ``append``."""
    null_watermark: Literal["read_once", "always", "never"] = "read_once"
    """Rows whose ``watermark`` is NULL: ``read_once`` (every run looks at them and delivers each once, and again when it changes), ``always`` (delivered on every run; an ``append`` state keeps one per ``key``) or ``never`` (not read, not even on the first run)."""
    chunk_size: int = Field(default=50_000, gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _exactly_one(self) -> SqlOptions:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url (a SQLAlchemy URL) or path (a SQLite file)")
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
        if self.query is not None and self.db_schema is not None:
            raise ValueError("schema applies to table only; qualify names inside the query")
        return self
