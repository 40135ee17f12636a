"""Record paths (``$.data.people[*]``, ``data.people``) and field paths (``phones[0]``).

A small JSONPath subset is parsed by hand because only three steps are needed (key,
index, wildcard) and the reader must walk the *text* of a document, not a parsed tree,
to know on which line each record starts and to parse one record at a time.
:func:`walk` does that walk with :meth:`json.JSONDecoder.raw_decode`, which parses one
value at a position and tells where it ends; the scanner only has to step over the
punctuation of the objects and arrays on the way to the records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

WILDCARD = None
Step = str | int | None
"""A key of an object, an index into an array, or ``None`` for every item (``[*]``)."""

_TOKEN = re.compile(
    r"""
    \.?\[\s*(?:(?P<star>\*)|(?P<index>-?\d+)|'(?P<sq>[^']*)'|"(?P<dq>[^"]*)")\s*\]
    | \.(?P<dotstar>\*)
    | \.?(?P<name>[^.\[\]]+)
    """,
    re.VERBOSE,
)

_WS = " \t\n\r"
_DECODER = json.JSONDecoder()


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of a path; raises ValueError saying which part cannot be read."""
    rest = text.strip()
    if rest.startswith("$"):
        rest = rest[1:]
    steps: list[Step] = []
    pos = 0
    while pos < len(rest):
        m = _TOKEN.match(rest, pos)
        if m is None or m.end() == pos:
            raise ValueError(
                f"cannot read the path {text!r} at {rest[pos:]!r}; "
                "write keys with dots and items as [0] or [*], e.g. $.data.people[*]"
            )
        if m["star"] is not None or m["dotstar"] is not None:
            steps.append(WILDCARD)
        elif m["index"] is not None:
            steps.append(int(m["index"]))
        else:
            key = next(g for g in (m["sq"], m["dq"], m["name"]) if g is not None)
            steps.append(key.strip() if m["name"] is not None else key)
        pos = m.end()
    return tuple(steps)


def show_path(steps: tuple[Step, ...] | list[Step]) -> str:
    """A path in ``$.a.b[3]`` form."""
    out = "$"
    for s in steps:
        if s is None:
            out += "[*]"
        elif isinstance(s, int):
            out += f"[{s}]"
        elif re.fullmatch(r"[^.\[\]'\"\s]+", s):
            out += f".{s}"
        else:
            out += f"[{json.dumps(s, ensure_ascii=False)}]"
    return out


def get_path(value: Any, steps: tuple[Step, ...]) -> Any:
    """The value at ``steps`` inside a parsed record; None where it is absent.

    A wildcard collects the matches into a list (``phones[*].number``).
    """
    for i, step in enumerate(steps):
        if value is None:
            return None
        if step is None:
            items = value.values() if isinstance(value, dict) else value
            if not isinstance(items, list) and not isinstance(value, dict):
                return None
            return [get_path(item, steps[i + 1 :]) for item in items]
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
    return value


class JsonTextError(Exception):
    """Malformed JSON text or a record path that does not fit the document."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass
class Found:
    """One selected record: its value, where its text starts and ends, and its path."""

    value: Any
    start: int
    end: int
    path: str


def _ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in _WS:
        pos += 1
    return pos


def _value(text: str, pos: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise JsonTextError(exc.msg, exc.pos) from None
    except RecursionError:
        raise JsonTextError("nested too deeply", pos) from None


Walk = Generator[Found, None, int]


def walk(text: str, pos: int, steps: tuple[Step, ...], path: list[Step]) -> Walk:
    """Yield the records that ``steps`` select in the value starting at ``pos``.

    Returns the position just after that value. The value at the end of the steps is
    the record, except that an array reached by a key (or the top level) yields its
    items, so ``data.people`` and ``data.people[*]`` mean the same.
    """
    pos = _ws(text, pos)
    if pos >= len(text):
        raise JsonTextError("expected a value, found the end of the text", pos)
    if not steps:
        expand = not path or isinstance(path[-1], str)
        if expand and text[pos] == "[":
            return (yield from _array(text, pos, None, (), path))
        value, end = _value(text, pos)
        yield Found(value, pos, end, show_path(path))
        return end
    step, rest = steps[0], steps[1:]
    if isinstance(step, str) or (step is None and text[pos] == "{"):
        return (yield from _object(text, pos, step, rest, path))
    return (yield from _array(text, pos, step, rest, path))


def _object(text: str, pos: int, key: str | None, rest: tuple[Step, ...], path: list[Step]) -> Walk:
    if text[pos] != "{":
        kind = "an array" if text[pos] == "[" else "a single value"
        raise JsonTextError(
            f"the record path expects an object at {show_path(path)}, found {kind}", pos
        )
    pos = _ws(text, pos + 1)
    seen: list[str] = []
    if pos < len(text) and text[pos] == "}":
        end = pos + 1
    else:
        while True:
            if pos >= len(text) or text[pos] != '"':
                raise JsonTextError("expected a key in double quotes", pos)
            name, pos = _value(text, pos)
            pos = _ws(text, pos)
            if pos >= len(text) or text[pos] != ":":
                raise JsonTextError("expected ':' after a key", pos)
            pos += 1
            if key is None or name == key:
                pos = yield from walk(text, pos, rest, [*path, name])
            else:
                _, pos = _value(text, _ws(text, pos))
            seen.append(name)
            pos = _ws(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos = _ws(text, pos + 1)
                continue
            if pos < len(text) and text[pos] == "}":
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
    text: str, pos: int, index: int | None, rest: tuple[Step, ...], path: list[Step]
) -> Walk:
    if text[pos] != "[":
        kind = "an object" if text[pos] == "{" else "a single value"
        raise JsonTextError(
            f"the record path expects an array at {show_path(path)}, found {kind}", pos
        )
    pos = _ws(text, pos + 1)
    i = 0
    if pos < len(text) and text[pos] == "]":
        end = pos + 1
    else:
        while True:
            if index is None or i == index:
                pos = yield from walk(text, pos, rest, [*path, i])
            else:
                _, pos = _value(text, _ws(text, pos))
            i += 1
            pos = _ws(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if pos < len(text) and text[pos] == "]":
                end = pos + 1
                break
            raise JsonTextError("expected ',' or ']' after a value in an array", pos)
    if index is not None and not 0 <= index < i:
        raise JsonTextError(
            f"the record path asks for item {index} at {show_path(path)}, which has {i} items",
            None,
        )
    return end


def walk_document(text: str, steps: tuple[Step, ...]) -> Walk:
    """Walk a whole document and check that nothing but whitespace follows it."""
    end = yield from walk(text, 0, steps, [])
    end = _ws(text, end)
    if end != len(text):
        raise JsonTextError("extra data after the end of the JSON document", end)
    return end
