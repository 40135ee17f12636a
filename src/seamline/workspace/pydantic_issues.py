"""Turn pydantic validation errors into issues with file:line:column and did-you-mean."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from seamline.errors import did_you_mean
from seamline.workspace.issues import Issue
from seamline.workspace.yamlpos import Loc, Positions

MAX_ALLOWED_SHOWN = 15


def allowed_list(values: list[str] | tuple[str, ...]) -> str:
    """A readable list of allowed words, cut short when long."""
    shown = list(values)[:MAX_ALLOWED_SHOWN]
    more = len(values) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model type inside an annotation such as ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, dict, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc`` inside ``model``."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _model_in(info.annotation)
    return current


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def issues_from(
    exc: ValidationError,
    model: type[BaseModel],
    pos: Positions,
    *,
    prefix: Loc = (),
    secret: set[Loc] | frozenset[Loc] = frozenset(),
) -> list[Issue]:
    """One issue per pydantic error, placed at the offending key or value."""
    issues: list[Issue] = []
    for err in exc.errors():
        inner = tuple(err["loc"])
        loc: Loc = (*prefix, *inner)
        kind = err["type"]
        ctx = err.get("ctx") or {}
        allowed: str | None = None
        if kind == "extra_forbidden":
            key = str(inner[-1])
            target = model_at(model, inner[:-1])
            names = sorted(target.model_fields) if target else []
            guess = did_you_mean(key, names)
            message = f"unknown key {key!r}" + (f" (did you mean {guess!r}?)" if guess else "")
            if len(loc) > 1:
                message += f" in {_dotted(loc[:-1])}"
            allowed = allowed_list(names) if names else None
            line, col = pos.of(loc, key=True)
        elif kind == "missing":
            message = f"missing required key {str(inner[-1])!r}"
            if len(loc) > 1:
                message += f" in {_dotted(loc[:-1])}"
            line, col = pos.of(loc[:-1])
        else:
            text = str(err["msg"]).removeprefix("Value error, ")
            shown = ""
            if "input" in err and not isinstance(err["input"], dict | list) and loc not in secret:
                shown = f" (got {err['input']!r})"
            elif loc in secret:
                shown = " (the value comes from an environment variable and is not shown)"
            message = f"{_dotted(loc) or 'file'}: {text}{shown}"
            if kind == "literal_error" and "expected" in ctx:
                expected = [
                    s.strip().strip("'")
                    for s in str(ctx["expected"]).replace(" or ", ",").split(",")
                ]
                expected = [e for e in expected if e]
                guess = did_you_mean(str(err.get("input")), expected) if "input" in err else None
                if guess and loc not in secret:
                    message += f" (did you mean {guess!r}?)"
                allowed = allowed_list(expected)
            line, col = pos.of(loc)
        issues.append(Issue(pos.path, line, col, message, allowed))
    return issues
