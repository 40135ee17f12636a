"""Options of the ``xml`` source: which elements are records, which values are columns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lxml import etree
from pydantic import Field, model_validator

from seamline.sources.base import BOOKKEEPING_COLUMNS, SourceOptions

_STEP = re.compile(r"\*|(?:(?P<prefix>[A-Za-z_][\w.-]*):)?(?P<name>[A-Za-z_][\w.-]*)")


@dataclass(frozen=True)
class RecordPath:
    """A parsed ``record_path``: element steps, and whether it is anchored at the root."""

    anchored: bool
    steps: tuple[tuple[str | None, str], ...]
    """``(namespace URI or None for any, local name or "*")`` per step."""


def parse_record_path(text: str, namespaces: dict[str, str]) -> RecordPath:
    """``//Person``, ``//Batch/Person`` or ``/Registry/People/Person``; ValueError if not."""
    raw = text.strip()
    if raw.startswith("//"):
        anchored, body = False, raw[2:]
    elif raw.startswith("/"):
        anchored, body = True, raw[1:]
    else:
        raise ValueError(f"record_path {text!r} must start with // or /, e.g. //Person")
    steps: list[tuple[str | None, str]] = []
    for part in body.split("/"):
        m = _STEP.fullmatch(part)
        if m is None:
            raise ValueError(
                f"record_path {text!r}: {part!r} is not an element name; only element steps "
                "(name, prefix:name, *) are read, without // in the middle or [predicates]"
            )
        if part == "*":
            steps.append((None, "*"))
            continue
        prefix = m["prefix"]
        if prefix is not None and prefix not in namespaces:
            raise ValueError(f"record_path {text!r}: the prefix {prefix!r} is not in namespaces")
        steps.append((namespaces[prefix] if prefix else None, m["name"]))
    return RecordPath(anchored, tuple(steps))


class XmlOptions(SourceOptions):
    """``kind: xml`` — one record per selected element."""

    kind: Literal["xml"] = "xml"
    path: str
    """The XML file, relative to the workspace (its encoding comes from its declaration)."""
    record_path: str
    """The record elements: ``//Person`` (anywhere) or ``/Registry/People/Person``.
    A name without a prefix matches that element in any namespace."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Output column -> XPath relative to the record (``Name/Given``, ``@id``,
    ``../@agency``). Empty: every attribute and child, nested ones joined with ``_``."""
    namespaces: dict[str, str] = Field(default_factory=dict)
    """Prefix -> namespace URI, for prefixes used in record_path and fields."""

    @model_validator(mode="after")
    def _paths(self) -> XmlOptions:
        parse_record_path(self.record_path, self.namespaces)
        for column, expr in self.fields.items():
            if column in BOOKKEEPING_COLUMNS:
                raise ValueError(f"{column} is added by seamline; name the column differently")
            try:
                etree.XPath(expr, namespaces=self.namespaces)
            except etree.XPathSyntaxError as exc:
                raise ValueError(f"field {column!r}: {expr!r} is not an XPath ({exc})") from None
        return self
