"""Plain values of the catalogue export: base IRI, literals, safe paths, stable JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import urlsplit

from rdflib import XSD
from rdflib import Literal as Lit

from seamline.errors import UsageError

DEFAULT_BASE = "https://data.example.gov/seamline/{name}/"

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_NOT_IN_IRI = re.compile(r"[\s<>\"{}|\\^`]")


def catalog_base(name: str, base_uri: str | None = None) -> str:
    """The base IRI of every node: ``base_uri`` (checked) or the example.gov default."""
    base = base_uri if base_uri is not None else DEFAULT_BASE.format(name=name)
    parts = urlsplit(base)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or _NOT_IN_IRI.search(base)
    ):
        raise UsageError(
            f"the catalogue base URI {base!r} is not an absolute http(s) IRI without a query",
            hint="Pass e.g. --base-uri https://data.example.gov/seamline/my-program/",
        )
    if parts.username or parts.password:
        raise UsageError(
            "the catalogue base URI must not carry a user name or password",
            hint="Publish the catalogue under a plain https:// address.",
        )
    return base if base.endswith(("/", "#")) else base + "/"


def text(value: str) -> Lit:
    """A human-readable text literal: ``@en`` unless it is written in Cyrillic.

    Tagging a Russian or Kyrgyz description as English would be false, and the
    workspace does not say which of the two it is, so such text stays untagged.
    """
    return Lit(value) if _CYRILLIC.search(value) else Lit(value, lang="en")


def _moment(value: object) -> dt.date | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    return value if isinstance(value, dt.date) else None


def when(value: object) -> Lit | None:
    """An ``xsd:dateTime``/``xsd:date`` literal from a datetime, date or ISO text."""
    moment = _moment(value)
    if isinstance(moment, dt.datetime):
        return Lit(moment, datatype=XSD.dateTime)
    return None if moment is None else Lit(moment, datatype=XSD.date)


def latest(values: Iterable[object]) -> Lit | None:
    """The latest of several moments (naive ones taken as UTC) as a literal."""

    def key(moment: dt.date) -> dt.datetime:
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time())
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    moments = [m for m in map(_moment, values) if m is not None]
    return when(max(moments, key=key)) if moments else None


def row_count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def shown_path(path: object) -> str | None:
    """A source path safe to publish: relative, without a scheme, user or ``..``."""
    if not isinstance(path, str) or not path.strip():
        return None
    cleaned = path.strip().replace("\\", "/")
    if "://" in cleaned or "@" in cleaned or "${" in cleaned:
        return None
    if PurePosixPath(cleaned).is_absolute() or PureWindowsPath(path).is_absolute():
        return None
    parts = PurePosixPath(cleaned).parts
    if ".." in parts:
        return None
    return str(PurePosixPath(*parts))


def stable_json_ld(serialised: str) -> str:
    """Sort rdflib's JSON-LD (nodes by ``@id``, multiple values by content).

    rdflib emits nodes and values in set order, which changes between runs; sorted
    output diffs cleanly when the export is committed. The arrays carry no order in
    the data (no ``@list``), so sorting them does not change the graph.
    """
    doc = json.loads(serialised)

    def canon(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def tidy(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: tidy(v) if k != "@list" else v for k, v in node.items()}
        if isinstance(node, list):
            return sorted((tidy(v) for v in node), key=canon)
        return node

    graph = doc.get("@graph") if isinstance(doc, dict) else None
    if isinstance(graph, list):
        doc["@graph"] = sorted(
            (tidy(n) for n in graph), key=lambda n: (str(n.get("@id", "")), canon(n))
        )
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
