"""Record paths (``$.data.people[*]``, ``data.people``) and field paths (``phones[0]``).

A small JSONPath subset is parsed by hand because only three steps are needed (key,
index, wildcard); :mod:`seamline.sources.jsonsrc.walk` follows a path through the
*text* of a document.
"""

from __future__ import annotations

import json
import re
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
