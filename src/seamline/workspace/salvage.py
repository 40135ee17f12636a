"""Keep validating past the first error of a file, so one round shows every mistake."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

_ID_LINE = re.compile(r"""^[ \t-]*id:[ \t]*["']?([^"'#\s,}]+)""", re.MULTILINE)


def ids_in_text(path: Path) -> set[str]:
    """The ids a spec file that cannot be parsed seems to define, read from its ``id:`` lines.

    A regular expression, not YAML: the file is broken. With them, a reference elsewhere to
    an id the broken file does not hold is still reported in the same round.
    """
    try:
        found = set(_ID_LINE.findall(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return set()
    # A dataset template's id (``agency-${name}``) is not the ids it defines: unknown.
    return set() if any("${" in i for i in found) else found


def salvage(model: type[M], data: Any, exc: ValidationError, rounds: int = 5) -> M | None:
    """``data`` validated without the mapping keys in error, or None when that fails.

    Only keys of mappings are left out (never list items, which would shift the positions
    of the items after them); an error at a required key gives up.
    """
    data = copy.deepcopy(data)
    for _ in range(rounds):
        for error in exc.errors():
            loc = error["loc"]
            if not loc:
                return None
            parent = data
            for part in loc[:-1]:
                try:
                    parent = parent[part]
                except (KeyError, IndexError, TypeError):
                    return None
            if error["type"] == "missing" or not isinstance(parent, dict) or loc[-1] not in parent:
                return None
            del parent[loc[-1]]
        try:
            return model.model_validate(data)
        except ValidationError as again:
            exc = again
    return None
