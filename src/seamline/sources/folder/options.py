"""Options of the ``folder`` source: which files, read by which connector, with what options."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from seamline.sources.base import SourceOptions


class FolderOptions(SourceOptions):
    """``kind: folder`` — every file matching ``path`` that is new or changed since the last run."""

    kind: Literal["folder"] = "folder"
    path: str = Field(min_length=1)
    """A glob relative to the workspace (``drops/claims_*.csv``, ``inbox/**/*.ndjson``)."""
    format: Literal["csv", "json"]
    """The connector that reads each file: ``csv`` or ``json`` (JSON or NDJSON)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """That connector's options for every file (``delimiter``, ``encoding``, ``types`` …), without ``path``."""
