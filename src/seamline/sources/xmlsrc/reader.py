"""Stream XML with lxml ``iterparse``: records are the elements ``record_path`` selects.

Matching happens while parsing, by comparing the stack of open element names with the
path's steps (``iterparse`` cannot evaluate XPath on a tree it has not built yet), and
every element is cleared once it and its records are done, so memory stays flat however
long the file is. ``fields`` are real XPath, evaluated on each finished record element,
so they may look at the record's ancestors' attributes too. A malformed file stops the
read with ``file:line:column``: a broken XML delivery is the sender's to fix.
Entities are not expanded and nothing is fetched from the network.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from seamline.errors import SourceError
from seamline.sources.base import (
    BOOKKEEPING_COLUMNS,
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
)
from seamline.sources.base import SourceOptions as _Options
from seamline.sources.records import PendingRecord, RecordAssembler, assemble, flatten
from seamline.sources.xmlsrc.options import RecordPath, XmlOptions, parse_record_path

Decoded = PendingRecord | QuarantineRecord
Records = Generator[Decoded, None, None]
Name = tuple[str | None, str]


def split_tag(tag: str) -> Name:
    """``{uri}local`` as ``(uri, local)``; ``(None, local)`` without a namespace."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return None, tag


def matches(path: RecordPath, stack: list[Name]) -> bool:
    steps = path.steps
    if len(stack) < len(steps) or (path.anchored and len(stack) != len(steps)):
        return False
    for (want_ns, want), (ns, local) in zip(steps, stack[len(stack) - len(steps) :], strict=True):
        if want != "*" and want != local:
            return False
        if want_ns is not None and want_ns != ns:
            return False
    return True


def element_object(elem: Any) -> dict[str, Any] | str | None:
    """An element as nested dicts: attributes and children by local name, text as text.

    A leaf element is its text; repeated children become a list; text next to child
    elements or attributes goes under ``text``.
    """
    children = [c for c in elem if isinstance(c.tag, str)]
    text = (elem.text or "").strip() or None
    if not children and not elem.attrib:
        return text
    groups: dict[str, list[Any]] = {}
    for child in children:
        groups.setdefault(split_tag(child.tag)[1], []).append(element_object(child))
    obj: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in groups.items()}
    for attr, value in elem.attrib.items():
        key = split_tag(attr)[1]
        obj[key if key not in obj else f"{key}_attr"] = value
    if text is not None:
        obj["text" if "text" not in obj else "text_value"] = text
    return obj


def xpath_value(result: Any) -> Any:
    """An XPath result as a column value: text, a number, or a JSON list of texts."""
    if isinstance(result, list):
        values = [_node_text(r) for r in result]
        if not values:
            return None
        return values[0] if len(values) == 1 else json.dumps(values, ensure_ascii=False)
    if isinstance(result, float) and result.is_integer():
        return int(result)
    return result


def _node_text(node: Any) -> str:
    if isinstance(node, str):
        return str(node)
    return str(node.xpath("string(.)"))


class XmlReader(Reader[XmlOptions]):
    """``kind: xml`` — one record per selected element, streamed."""

    kind: ClassVar[str] = "xml"
    options_model: ClassVar[type[_Options]] = XmlOptions
    capabilities: ClassVar[Capabilities] = Capabilities(streaming=True, position_unit="line")

    def __init__(self, options: _Options, context: ReadContext) -> None:
        super().__init__(options, context)
        self.path_spec = parse_record_path(self.opts.record_path, self.opts.namespaces)
        self.fields = {
            col: etree.XPath(expr, namespaces=self.opts.namespaces)
            for col, expr in self.opts.fields.items()
        }

    def describe(self) -> str:
        return f"xml {self.opts.path}"

    def batches(self) -> Iterator[Batch]:
        path = self._file()
        assembler = RecordAssembler()
        size = max(1, self.context.batch_size)
        limit = self.context.limit
        pending: list[Decoded] = []
        count = 0
        if limit is None or limit > 0:
            with contextlib.closing(self._records(path)) as records:
                for record in records:
                    pending.append(record)
                    count += 1
                    if len(pending) >= size:
                        yield assemble(assembler, pending)
                        pending = []
                    if limit is not None and count >= limit:
                        break
        if pending or count == 0:
            yield assemble(assembler, pending)

    def _records(self, path: Path) -> Records:
        stack: list[Name] = []
        try:
            with path.open("rb") as fh:
                yield from self._parse(fh, stack)
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (exc.lineno or 0, 0)
            raise SourceError(
                f"malformed XML: {exc.msg}",
                where=f"{path}:{line}:{column}",
                hint="The file is broken (or not in the encoding its declaration names); "
                "ask for a new delivery.",
            ) from exc
        except OSError as exc:
            raise SourceError(
                f"cannot read {self.opts.path}: {exc}",
                where=f"dataset {self.context.dataset}",
                hint=f"Check that {path} is readable by this user.",
            ) from exc

    def _parse(self, fh: Any, stack: list[Name]) -> Records:
        record_depth: int | None = None
        record_no = 0
        events = etree.iterparse(
            fh,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            remove_comments=True,
        )
        for event, elem in events:
            if event == "start":
                stack.append(split_tag(elem.tag))
                if record_depth is None and matches(self.path_spec, stack):
                    record_depth = len(stack)
                continue
            if record_depth == len(stack):
                record_no += 1
                yield self._record(elem, record_no)
                record_depth = None
            if record_depth is None:
                _release(elem)
            stack.pop()

    def _record(self, elem: Any, record_no: int) -> Decoded:
        position = f"line {elem.sourceline}"
        if self.fields:
            values: dict[str, Any] = {}
            for col, xpath in self.fields.items():
                try:
                    values[col] = xpath_value(xpath(elem))
                except etree.XPathError as exc:
                    raise SourceError(
                        f"the XPath of field {col!r} cannot be evaluated: {exc}",
                        where=f"dataset {self.context.dataset}",
                        hint="Check the fields and namespaces options.",
                    ) from exc
        else:
            obj = element_object(elem)
            values = flatten(obj) if isinstance(obj, dict) else {"text": obj}
        raw = etree.tostring(elem, encoding="utf-8", with_tail=False)
        clash = [n for n in BOOKKEEPING_COLUMNS if n in values]
        if clash:
            reason = (
                f"{clash[0]} has the name of a column seamline adds; name the columns in fields"
            )
            return QuarantineRecord(record_no, position, reason, raw)
        return PendingRecord(record_no, position, values, raw)

    def _file(self) -> Path:
        return self.source_file(self.opts.path, what="an XML file", hint=None)


def _release(elem: Any) -> None:
    """Free a finished element and the finished siblings before it."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]
