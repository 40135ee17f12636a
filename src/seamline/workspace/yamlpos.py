"""YAML loading that keeps the line and column of every key and value.

ruamel.yaml's round-trip loader records positions; we convert its nodes to plain
Python values (so pydantic sees ordinary dicts, lists and scalars) and keep the
positions in a side table keyed by the path to each value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from seamline.workspace.issues import Issue

Loc = tuple[str | int, ...]


@dataclass
class Positions:
    """1-based (line, column) of values and of mapping keys, by path."""

    path: str
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def of(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Position of the value at ``loc`` (or of its key); falls back to the nearest parent."""
        table = self.keys if key else self.values
        probe = tuple(loc)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def within(self, prefix: Loc) -> Positions:
        """The positions of one element of the file, re-rooted so that its own keys are
        top level (an agency of ``agencies.yaml``)."""
        n = len(prefix)
        sub = Positions(self.path)
        sub.values = {k[n:]: v for k, v in self.values.items() if k[:n] == prefix}
        sub.keys = {k[n:]: v for k, v in self.keys.items() if k[:n] == prefix}
        return sub


def _plain(node: Any, loc: Loc, pos: Positions) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for k in node:
            kline, kcol = node.lc.key(k)
            vline, vcol = node.lc.value(k)
            child = (*loc, str(k))
            pos.keys[child] = (kline + 1, kcol + 1)
            pos.values[child] = (vline + 1, vcol + 1)
            out[str(k)] = _plain(node[k], child, pos)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            line, col = node.lc.item(i)
            pos.values[(*loc, i)] = (line + 1, col + 1)
            items.append(_plain(item, (*loc, i), pos))
        return items
    if isinstance(node, bool | None | dt.date):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def load_yaml(path: Path, display: str) -> tuple[Any, Positions, list[Issue]]:
    """Load one YAML file; YAML errors become issues with their line and column."""
    pos = Positions(display)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, pos, [Issue(display, 0, 0, f"is not UTF-8 text (byte {exc.start})")]
    except OSError as exc:
        return None, pos, [Issue(display, 0, 0, f"cannot be read: {exc.strerror}")]
    yaml = YAML(typ="rt")
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        # An unclosed bracket is noticed lines later; its opening (the context) is the
        # place to fix. For anything else the problem mark is where the error is.
        unclosed = exc.context is not None and "flow" in str(exc.context)
        mark = (exc.context_mark if unclosed else None) or exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, pos, [Issue(display, line, col, f"is not valid YAML: {what}")]
    except YAMLError as exc:
        return None, pos, [Issue(display, 0, 0, f"is not valid YAML: {exc}")]
    if isinstance(node, CommentedMap):
        pos.values[()] = (node.lc.line + 1, node.lc.col + 1)
    else:
        pos.values[()] = (1, 1)
    return _plain(node, (), pos), pos, []
