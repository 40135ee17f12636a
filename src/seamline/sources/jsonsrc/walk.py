"""Walk the text of a JSON document to the records a record path selects, one at a time.

The reader walks the *text*, not a parsed tree, to stream a document larger than
memory, to know on which line each record starts and to keep each record's own text
for the quarantine. Each record is parsed by :meth:`TextStream.value` (the standard
library's C scanner); the walker only steps over the punctuation of the objects and
arrays on the way. ijson streams too, but gives neither positions nor a record's text,
and cannot go on after a syntax error; this walker resumes at the next item.

Inside the array that holds the records, a malformed item is yielded as :class:`Broken`
(its text, the parser's message) and the walk goes on after it, at the ``,`` or ``]``
that ends it by matching brackets. When the file ends inside that array (a truncated
delivery) the last, partial item is yielded as :class:`Broken` with ``truncated`` set
and the walk stops. Any other malformation (outside the records, or a bracket never
closed) raises :class:`JsonTextError`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from seamline.sources.jsonsrc.paths import Step, show_path
from seamline.sources.jsonsrc.stream import JsonTextError, TextStream

__all__ = ["Broken", "Found", "JsonTextError", "TextStream", "walk", "walk_document"]


@dataclass
class Found:
    """One selected record: its value, where its text starts and ends, and its path."""

    value: Any
    start: int
    end: int
    path: str


@dataclass
class Broken:
    """An item of the records' array that is not JSON, with where and why."""

    start: int
    end: int
    path: str
    message: str
    pos: int
    """Where the parser stopped."""
    truncated: bool = False


class _Truncated(JsonTextError):
    """The file ended inside the records' array (after a :class:`Broken` was yielded)."""


Walk = Generator[Found | Broken, None, int]


def walk(s: TextStream, pos: int, steps: tuple[Step, ...], path: list[Step]) -> Walk:
    """Yield the records that ``steps`` select in the value starting at ``pos``.

    Returns the position just after that value. The value at the end of the steps is
    the record, except that an array reached by a key (or the top level) yields its
    items, so ``data.people`` and ``data.people[*]`` mean the same.
    """
    pos = s.ws(pos)
    c = s.char(pos)
    if not c:
        raise JsonTextError("expected a value, found the end of the text", pos)
    if not steps:
        expand = not path or isinstance(path[-1], str)
        if expand and c == "[":
            return (yield from _array(s, pos, None, (), path))
        value, end = s.value(pos)
        yield Found(value, pos, end, show_path(path))
        return end
    step, rest = steps[0], steps[1:]
    if isinstance(step, str) or (step is None and c == "{"):
        return (yield from _object(s, pos, step, rest, path))
    return (yield from _array(s, pos, step, rest, path))


def _object(
    s: TextStream, pos: int, key: str | None, rest: tuple[Step, ...], path: list[Step]
) -> Walk:
    if s.char(pos) != "{":
        kind = "an array" if s.char(pos) == "[" else "a single value"
        raise JsonTextError(
            f"the record path expects an object at {show_path(path)}, found {kind}", pos
        )
    pos = s.ws(pos + 1)
    seen: list[str] = []
    if s.char(pos) == "}":
        end = pos + 1
    else:
        while True:
            if s.char(pos) != '"':
                raise JsonTextError("expected a key in double quotes", pos)
            name, pos = s.value(pos)
            pos = s.ws(pos)
            if s.char(pos) != ":":
                raise JsonTextError("expected ':' after a key", pos)
            pos += 1
            if key is None or name == key:
                pos = yield from walk(s, pos, rest, [*path, name])
            else:
                _, pos = s.value(s.ws(pos))
            seen.append(name)
            pos = s.ws(pos)
            c = s.char(pos)
            if c == ",":
                pos = s.ws(pos + 1)
                continue
            if c == "}":
                end = pos + 1
                break
            raise JsonTextError("expected ',' or '}' after a value in an object", pos)
    if key is not None and key not in seen:
        raise JsonTextError(
            f"the record path finds no key {key!r} at {show_path(path)}"
            + (f" (keys there: {', '.join(seen[:10])})" if seen else " (the object is empty)"),
            None,
        )
    return end


def _array(
    s: TextStream, pos: int, index: int | None, rest: tuple[Step, ...], path: list[Step]
) -> Walk:
    if s.char(pos) != "[":
        kind = "an object" if s.char(pos) == "{" else "a single value"
        raise JsonTextError(
            f"the record path expects an array at {show_path(path)}, found {kind}", pos
        )
    records = index is None and not rest  # this array's items are the records
    pos = s.ws(pos + 1)
    i = 0
    if s.char(pos) == "]":
        end = pos + 1
    else:
        while True:
            if records:
                pos = yield from _item(s, pos, [*path, i])
            elif index is None or i == index:
                pos = yield from walk(s, pos, rest, [*path, i])
            else:
                _, pos = s.value(s.ws(pos))
            i += 1
            pos = s.ws(pos)
            c = s.char(pos)
            if c == ",":
                pos += 1
                continue
            if c == "]":
                end = pos + 1
                break
            if not records:
                raise JsonTextError("expected ',' or ']' after a value in an array", pos)
            pos = yield from _broken(
                s, pos, [*path, i], JsonTextError("expected ',' or ']' after an item", pos)
            )
            if s.char(pos) == "]":
                end = pos + 1
                break
            pos += 1
    if index is not None and not 0 <= index < i:
        raise JsonTextError(
            f"the record path asks for item {index} at {show_path(path)}, which has {i} items",
            None,
        )
    return end


def _item(s: TextStream, pos: int, path: list[Step]) -> Walk:
    """One record of the records' array; a malformed one is yielded as :class:`Broken`."""
    start = s.ws(pos)
    try:
        value, end = s.value(start)
    except JsonTextError as exc:
        return (yield from _broken(s, start, path, exc))
    yield Found(value, start, end, show_path(path))
    s.release(end)
    return end


def _broken(s: TextStream, start: int, path: list[Step], exc: JsonTextError) -> Walk:
    """Yield the text from ``start`` to the end of its item as Broken; return that end."""
    stop = s.skip_item(start)
    where = exc.pos if exc.pos is not None else start
    if stop is None:
        if start >= s.end:
            message = "the file ends before the array of records is closed"
        else:
            message = f"{exc.message}; the file ends inside this record"
        yield Broken(start, s.end, show_path(path), message, where, truncated=True)
        raise _Truncated(message, where)
    yield Broken(start, stop, show_path(path), exc.message, where)
    s.release(stop)
    return stop


def walk_document(source: str | TextStream, steps: tuple[Step, ...]) -> Walk:
    """Walk a whole document and check that nothing but whitespace follows it."""
    s = TextStream(text=source) if isinstance(source, str) else source
    try:
        end = yield from walk(s, 0, steps, [])
    except _Truncated:
        return s.end
    end = s.ws(end)
    if s.char(end):
        raise JsonTextError("extra data after the end of the JSON document", end)
    return end
