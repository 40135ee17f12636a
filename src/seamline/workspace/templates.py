"""Dataset templates: one ``datasets/*.yaml`` with ``for_each:`` stands for many datasets.

A template is an ordinary dataset file plus a ``for_each:`` key that lists instances
(or a glob of files, one instance per file). Each instance becomes one ordinary dataset
mapping before validation, so every later check and stage sees plain datasets. The
positions of every value point back into the template file: at the instance's own
override where it set the value, else at the template's line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seamline.errors import did_you_mean
from seamline.workspace.issues import Issue
from seamline.workspace.pydantic_issues import allowed_list, model_at
from seamline.workspace.yamlpos import Loc, Positions

TEMPLATE_KEY = "for_each"
INSTANCE_KEYS = ("name", "id", "owner", "steward", "vars", "columns", "overrides")
GLOB_KEYS = ("files", "instances")
VARIABLE = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")
"""A template variable: ``${name}``, lower case. Upper-case ``${NAME}`` stays an
environment variable, resolved after expansion."""


@dataclass
class Instance:
    """One expanded dataset: its mapping (variables filled in) and its positions."""

    name: str
    data: dict[str, Any]
    positions: Positions


def is_template(data: Any) -> bool:
    return isinstance(data, dict) and TEMPLATE_KEY in data


class _Expander:
    def __init__(
        self,
        data: dict[str, Any],
        pos: Positions,
        root: Path,
        model: type[Any],
        source_keys: Callable[[str], set[str]],
    ) -> None:
        self.raw = data
        self.body = {k: v for k, v in data.items() if k != TEMPLATE_KEY}
        self.pos = pos
        self.root = root
        self.model = model
        self.source_keys = source_keys
        self.issues: list[Issue] = []

    def issue(
        self,
        loc: Loc,
        message: str,
        *,
        instance: str = "",
        key: bool = False,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        line, column = self.pos.of(loc, key=key)
        self.issues.append(Issue(self.pos.path, line, column, message, allowed, hint, instance))

    # ---- the instances -------------------------------------------------------------

    def instances(self) -> list[tuple[str, Loc, dict[str, Any]]]:
        """(name, where in the file, the instance's entry) for each instance."""
        spec = self.pos.path
        each = self.raw.get(TEMPLATE_KEY)
        if isinstance(each, list):
            if not each:
                self.issue(
                    (TEMPLATE_KEY,),
                    "for_each lists no instances",
                    hint="List at least one instance ({name: ...}), or make the file an "
                    "ordinary dataset by removing for_each.",
                )
            return self._listed(each)
        if isinstance(each, dict):
            return self._globbed(each)
        self.issue(
            (TEMPLATE_KEY,),
            f"for_each must be a list of instances or {{files: PATTERN}}, not "
            f"{type(each).__name__}",
            hint=f"See 'Dataset templates' in docs/workspace.md; the template is {spec}.",
        )
        return []

    def _listed(
        self, each: list[Any], base: Loc = (TEMPLATE_KEY,)
    ) -> list[tuple[str, Loc, dict[str, Any]]]:
        out: list[tuple[str, Loc, dict[str, Any]]] = []
        for i, entry in enumerate(each):
            here: Loc = (*base, i)
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str | int):
                self.issue(
                    here,
                    "a for_each instance is a mapping with a name",
                    hint="Write it as {name: agency-07, owner: ...}.",
                )
                continue
            name = str(entry["name"])
            bad = [k for k in entry if k not in INSTANCE_KEYS]
            for k in bad:
                guess = did_you_mean(k, INSTANCE_KEYS)
                self.issue(
                    (*here, k),
                    f"unknown instance key {k!r}"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    instance=name,
                    key=True,
                    allowed=", ".join(INSTANCE_KEYS),
                    hint="Put changes to the template's keys under overrides:.",
                )
            if not bad:
                out.append((name, here, entry))
        return out

    def _globbed(self, each: dict[str, Any]) -> list[tuple[str, Loc, dict[str, Any]]]:
        here: Loc = (TEMPLATE_KEY,)
        for k in each:
            if k not in GLOB_KEYS:
                guess = did_you_mean(k, GLOB_KEYS)
                self.issue(
                    (*here, k),
                    f"unknown for_each key {k!r}"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    key=True,
                    allowed=", ".join(GLOB_KEYS),
                    hint="for_each is a list of instances, or {files: PATTERN, instances: [...]}.",
                )
        pattern = each.get("files")
        if not isinstance(pattern, str) or not pattern:
            self.issue(
                (*here, "files"),
                "for_each.files must be a file pattern such as data/billing/*.csv",
            )
            return []
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            self.issue(
                (*here, "files"),
                f"for_each.files {pattern!r} must stay inside the workspace folder",
                hint="Write the pattern relative to the workspace, e.g. data/billing/*.csv.",
            )
            return []
        found = sorted(p for p in self.root.glob(pattern) if p.is_file())
        if not found:
            self.issue(
                (*here, "files"),
                f"for_each.files {pattern!r} matches no file in {self.root}, so the "
                "template defines no dataset",
                hint="Correct the pattern, or put the files there; a template that yields "
                "nothing would drop every dataset it stands for without a word.",
            )
        known = self._differing(each.get("instances", []), {p.stem for p in found}, pattern)
        out: list[tuple[str, Loc, dict[str, Any]]] = []
        for p in found:
            rel = p.relative_to(self.root).as_posix()
            loc, entry = known.get(p.stem, ((*here, "files"), {"name": p.stem}))
            given = entry.get("vars", {})
            variables = {**given, "file": rel} if isinstance(given, dict) else given
            out.append((p.stem, loc, {**entry, "vars": variables}))
        return out

    def _differing(
        self, listed: Any, stems: set[str], pattern: str
    ) -> dict[str, tuple[Loc, dict[str, Any]]]:
        """``for_each.instances``: the files whose instance differs, by file stem."""
        where: Loc = (TEMPLATE_KEY, "instances")
        if not isinstance(listed, list):
            self.issue(where, "for_each.instances must be a list of instances")
            return {}
        known: dict[str, tuple[Loc, dict[str, Any]]] = {}
        for name, loc, entry in self._listed(listed, where):
            if stems and name not in stems:
                guess = did_you_mean(name, sorted(stems))
                self.issue(
                    (*loc, "name"),
                    f"no file matched by {pattern!r} is named {name!r}"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    instance=name,
                    allowed=allowed_list(sorted(stems)),
                    hint="Name an instance of for_each.instances by its file's name "
                    "without the extension.",
                )
                continue
            known[name] = (loc, entry)
        return known

    # ---- one instance ----------------------------------------------------------------

    def expand(self, name: str, here: Loc, entry: dict[str, Any]) -> Instance | None:
        data = copy.deepcopy(self.body)
        pos = Positions(self.pos.path)
        pos.values = {k: v for k, v in self.pos.values.items() if k[:1] != (TEMPLATE_KEY,)}
        pos.keys = {k: v for k, v in self.pos.keys.items() if k[:1] != (TEMPLATE_KEY,)}
        pos.values[()] = self.pos.of(here)
        ok = True
        overrides = entry.get("overrides", {})
        if not isinstance(overrides, dict):
            self.issue((*here, "overrides"), "overrides must be a mapping", instance=name)
            overrides, ok = {}, False
        short = {k: entry[k] for k in ("id", "owner", "steward") if k in entry}
        for key, value in short.items():
            data[key] = value
            self._move(pos, (key,), (*here, key))
        ok &= self._merge(data, overrides, (), (*here, "overrides"), pos, name)
        ok &= self._rename(data, entry.get("columns"), (*here, "columns"), pos, name)
        given = "id" in entry or "id" in overrides
        if not given and isinstance(data.get("id"), str) and not VARIABLE.search(data["id"]):
            data["id"] = f"{data['id']}-{name}"  # the instance's name as a suffix
        variables = {"name": name}
        extra = entry.get("vars", {})
        if not isinstance(extra, dict) or not all(
            isinstance(v, str | int | float) for v in extra.values()
        ):
            self.issue((*here, "vars"), "vars must map names to plain values", instance=name)
            return None
        variables.update({str(k): str(v) for k, v in extra.items()})
        data, ok2 = self._fill(data, (), pos, variables, name)
        return Instance(name, data, pos) if ok and ok2 else None

    def _move(self, pos: Positions, dst: Loc, src: Loc) -> None:
        """Make the positions under ``dst`` those of ``src`` in the file (a replaced value)."""
        n = len(dst)
        for table in (pos.values, pos.keys):
            for k in [k for k in table if k[:n] == dst]:
                del table[k]
        m = len(src)
        for table, source in ((pos.values, self.pos.values), (pos.keys, self.pos.keys)):
            for k, v in source.items():
                if k[:m] == src:
                    table[(*dst, *k[m:])] = v

    def _allowed(self, base: dict[str, Any], here: Loc, data: dict[str, Any]) -> set[str]:
        keys = set(base)
        model = model_at(self.model, here) if here else self.model
        if model is not None:
            keys |= set(model.model_fields)
        if here == ("source",) and isinstance(data.get("source"), dict):
            kind = data["source"].get("kind")
            if isinstance(kind, str):
                keys |= self.source_keys(kind)
        keys.discard(TEMPLATE_KEY)
        return keys

    def _merge(
        self,
        base: dict[str, Any],
        over: dict[str, Any],
        here: Loc,
        src: Loc,
        pos: Positions,
        name: str,
        top: dict[str, Any] | None = None,
    ) -> bool:
        """Deep-merge ``over`` into ``base``: mappings merge key by key, anything else
        (lists included) replaces. A key the template (and the schema there) lacks is an
        error with a did-you-mean."""
        top = base if top is None else top
        ok = True
        for key, value in over.items():
            allowed = self._allowed(base, here, top)
            if key not in allowed:
                guess = did_you_mean(key, sorted(allowed))
                where = ".".join(map(str, here)) or "the top level"
                self.issue(
                    (*src, key),
                    f"override {key!r} is not a key of the template at {where}"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    instance=name,
                    key=True,
                    allowed=allowed_list(sorted(allowed)),
                    hint="An override changes a key the template has; check its spelling "
                    "and nesting.",
                )
                ok = False
                continue
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                ok &= self._merge(base[key], value, (*here, key), (*src, key), pos, name, top)
            else:
                base[key] = copy.deepcopy(value)
                self._move(pos, (*here, key), (*src, key))
        return ok

    def _rename(
        self,
        data: dict[str, Any],
        renames: Any,
        src: Loc,
        pos: Positions,
        name: str,
    ) -> bool:
        """``columns: {template column: this instance's column}``."""
        if renames is None:
            return True
        if not isinstance(renames, dict):
            self.issue(src, "columns must map template columns to this instance's", instance=name)
            return False
        given = data.get("fields")
        fields: list[Any] = given if isinstance(given, list) else []
        columns = [f.get("column") for f in fields if isinstance(f, dict)]
        ok = True
        for old, new in renames.items():
            if old not in columns:
                guess = did_you_mean(str(old), [c for c in columns if isinstance(c, str)])
                self.issue(
                    (*src, old),
                    f"columns: {old!r} is not a column of the template's fields"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    instance=name,
                    key=True,
                    allowed=allowed_list([c for c in columns if isinstance(c, str)]),
                    hint="Name the template's column on the left and this instance's on the right.",
                )
                ok = False
                continue
            for i, f in enumerate(fields):
                if isinstance(f, dict) and f.get("column") == old:
                    f["column"] = new
                    self._move(pos, ("fields", i, "column"), (*src, old))
        return ok

    def _fill(
        self, node: Any, loc: Loc, pos: Positions, variables: dict[str, str], name: str
    ) -> tuple[Any, bool]:
        """Replace ``${var}`` in every string; an undefined one is an error at its place."""
        if isinstance(node, dict):
            ok = True
            out: dict[str, Any] = {}
            for k, v in node.items():
                out[k], good = self._fill(v, (*loc, k), pos, variables, name)
                ok &= good
            return out, ok
        if isinstance(node, list):
            items = [self._fill(v, (*loc, i), pos, variables, name) for i, v in enumerate(node)]
            return [v for v, _ in items], all(g for _, g in items)
        if not isinstance(node, str):
            return node, True
        undefined = [m.group(1) for m in VARIABLE.finditer(node) if m.group(1) not in variables]
        for var in undefined:
            guess = did_you_mean(var, sorted(variables))
            line, column = pos.of(loc)
            self.issues.append(
                Issue(
                    pos.path,
                    line,
                    column,
                    f"the template variable ${{{var}}} is not defined"
                    + (f" (did you mean ${{{guess}}}?)" if guess else ""),
                    ", ".join(f"${{{v}}}" for v in sorted(variables)),
                    "Define it under the instance's vars:, or write an environment "
                    "variable in capitals (${NAME}).",
                    name,
                )
            )
        if undefined:
            return node, False
        return VARIABLE.sub(lambda m: variables[m.group(1)], node), True


def expand_template(
    data: dict[str, Any],
    pos: Positions,
    root: Path,
    model: type[Any],
    source_keys: Callable[[str], set[str]],
) -> tuple[list[Instance], list[Issue]]:
    """The ordinary dataset mappings a template stands for, and its problems.

    An instance with a problem is left out; its issues make the workspace invalid.
    Two instances that expand to the same id are an error naming both.
    """
    ex = _Expander(data, pos, root, model, source_keys)
    out: list[Instance] = []
    seen: dict[str, tuple[str, int]] = {}
    for name, here, entry in ex.instances():
        inst = ex.expand(name, here, entry)
        if inst is None:
            continue
        ident = inst.data.get("id")
        if isinstance(ident, str):
            if ident in seen:
                other, other_line = seen[ident]
                ex.issue(
                    (*here, "id") if "id" in entry else here,
                    f"the id {ident!r} is also the id of instance {other} (line {other_line})",
                    instance=name,
                    hint="Give each instance its own name or id.",
                )
                continue
            seen[ident] = (name, ex.pos.of(here)[0])
        out.append(inst)
    return out, ex.issues
