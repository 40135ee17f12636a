"""``${ENV_VAR}`` references in spec values, resolved from the environment.

Resolved values live only in memory: they are never written back to a file, and the
locations they came from are remembered so that messages never echo them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from seamline.workspace.yamlpos import Loc

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def resolve_env(
    value: Any, env: Mapping[str, str], loc: Loc = ()
) -> tuple[Any, list[tuple[Loc, str]], set[Loc]]:
    """Replace ``${NAME}`` / ``${NAME:-default}`` in every string of ``value``.

    Returns the new value, the missing variables with their locations, and the
    locations whose value came (at least partly) from the environment.
    """
    missing: list[tuple[Loc, str]] = []
    secret: set[Loc] = set()

    def walk(node: Any, here: Loc) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, (*here, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*here, i)) for i, v in enumerate(node)]
        if isinstance(node, str) and "${" in node:

            def sub(match: re.Match[str]) -> str:
                name, default = match.group(1), match.group(2)
                if name in env:
                    secret.add(here)
                    return env[name]
                if default is not None:
                    return default
                missing.append((here, name))
                return ""

            return _REF.sub(sub, node)
        return node

    return walk(value, loc), missing, secret


def references(value: Any) -> list[str]:
    """Names of the environment variables a value refers to."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in references(v)]
    if isinstance(value, list):
        return [n for v in value for n in references(v)]
    if isinstance(value, str):
        return [m.group(1) for m in _REF.finditer(value)]
    return []
