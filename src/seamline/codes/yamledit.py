"""Accept crosswalk suggestions: write entries into the code list's YAML file.

The file is edited with ruamel.yaml's round-trip mode so comments, key order, flow
style and quoting of everything already there survive: the change shows up in
``git diff`` as a few added lines. New entries copy the style of the block they join
(flow maps like ``- {local: "S", code: single}`` when the block already uses them).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from seamline.errors import SpecError, did_you_mean
from seamline.workspace.loader import check_workspace
from seamline.workspace.models import CodeListSpec


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines that were not touched
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def plan_accept(
    ws_root: Path | str,
    codelist_id: str,
    dataset_id: str,
    column: str,
    mapping: Mapping[str, str],
    *,
    match: Literal["exact", "close"] = "exact",
    valid_from: dt.date | None = None,
    replace: bool = False,
) -> tuple[Path, str, str]:
    """What :func:`accept` would write, without writing: (file, text now, text after).

    The same checks as :func:`accept` run, so a plan that is returned can be written;
    the UI shows the difference to a steward before anything changes.
    """
    root = Path(ws_root)
    ws, _issues = check_workspace(root)
    if ws is None or codelist_id not in ws.codelists:
        known = sorted(ws.codelists) if ws else []
        guess = did_you_mean(codelist_id, known)
        raise SpecError(
            f"no code list {codelist_id!r} in the workspace"
            + (f" (did you mean {guess!r}?)" if guess else ""),
            where=str(root),
            allowed=", ".join(known) or "none",
            hint="Built-in code lists (iso3166_1, iso3166_2) have no file to write to; "
            "copy the codes you need into codelists/<id>.yaml first.",
        )
    cl = ws.codelists[codelist_id]
    dataset = ws.dataset(dataset_id)
    if dataset.fields and dataset.field_by_column(column) is None:
        columns = [f.column for f in dataset.fields]
        guess = did_you_mean(column, columns)
        raise SpecError(
            f"dataset {dataset_id} has no column {column!r}"
            + (f" (did you mean {guess!r}?)" if guess else ""),
            allowed=", ".join(columns),
        )
    _check_codes(cl, mapping)
    path = root / ws.origins[("codelist", codelist_id)].path
    y = _yaml()
    try:
        before = path.read_text(encoding="utf-8")
        doc = y.load(before)
    except (OSError, YAMLError) as exc:
        raise SpecError(f"cannot read {path}: {exc}", where=str(path)) from None
    _edit(doc, dataset_id, column, mapping, match, valid_from, replace, str(path))
    buf = io.StringIO()
    y.dump(doc, buf)
    text = buf.getvalue()
    _revalidate(text, str(path))
    return path, before, text


def accept(
    ws_root: Path | str,
    codelist_id: str,
    dataset_id: str,
    column: str,
    mapping: Mapping[str, str],
    *,
    match: Literal["exact", "close"] = "exact",
    valid_from: dt.date | None = None,
    replace: bool = False,
) -> Path:
    """Add ``local -> code`` entries to the crosswalk of ``dataset_id.column``; return the file.

    The crosswalk block (and ``crosswalks:``) is created when missing. Unknown codes
    are refused; a local value already mapped to another code is refused unless
    ``replace`` (then that entry's code is changed in place). Nothing is written
    unless the edited file still validates as a code list.
    """
    path, _before, text = plan_accept(
        ws_root, codelist_id, dataset_id, column, mapping,
        match=match, valid_from=valid_from, replace=replace,
    )  # fmt: skip
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _check_codes(cl: CodeListSpec, mapping: Mapping[str, str]) -> None:
    codes = cl.code_values()
    bad = sorted({code for code in mapping.values() if code not in codes})
    if bad:
        guess = did_you_mean(bad[0], codes)
        raise SpecError(
            f"code list {cl.id} has no code {', '.join(repr(b) for b in bad)}"
            + (f" (did you mean {guess!r}?)" if guess else ""),
            allowed=", ".join(codes),
            hint="Add the code to the code list first, or map the value to an existing code.",
        )
    blank = [local for local in mapping if not str(local).strip()]
    if blank:
        raise SpecError("an empty local value cannot be mapped", hint="Map non-empty values only.")


def _edit(
    doc: Any,
    dataset_id: str,
    column: str,
    mapping: Mapping[str, str],
    match: str,
    valid_from: dt.date | None,
    replace: bool,
    where: str,
) -> None:
    if not isinstance(doc, CommentedMap):
        raise SpecError("the code list file is not a YAML mapping", where=where)
    walks = doc.get("crosswalks")
    if walks is None or (isinstance(walks, CommentedSeq) and not walks):
        walks = CommentedSeq()
        doc["crosswalks"] = walks
    if not isinstance(walks, CommentedSeq):
        raise SpecError("crosswalks: is not a list", where=where)
    block = next(
        (
            b
            for b in walks
            if isinstance(b, CommentedMap)
            and b.get("dataset") == dataset_id
            and b.get("column") == column
        ),
        None,
    )
    if block is None:
        block = CommentedMap([("dataset", dataset_id), ("column", column), ("map", CommentedSeq())])
        walks.append(block)
    entries = block.get("map")
    if entries is None:
        entries = CommentedSeq()
        block["map"] = entries
    if not isinstance(entries, CommentedSeq):
        raise SpecError(
            f"the crosswalk of {dataset_id}.{column} has a map that is not a list", where=where
        )
    flow = not entries or any(isinstance(e, CommentedMap) and e.fa.flow_style() for e in entries)
    current = {str(e.get("local")): e for e in entries if isinstance(e, CommentedMap)}
    for local, code in mapping.items():
        existing = current.get(local)
        if existing is not None:
            if existing.get("code") == code:
                continue
            if not replace:
                raise SpecError(
                    f"{dataset_id}.{column} already maps {local!r} to {existing.get('code')}, not {code}",
                    where=where,
                    hint="Pass replace=True (--replace) to change it.",
                )
            existing["code"] = code
            continue
        entry = CommentedMap([("local", DoubleQuotedScalarString(local)), ("code", code)])
        if match != "exact":
            entry["match"] = match
        if valid_from is not None:
            # A fresh object per entry: ruamel writes one shared object as &anchor/*alias.
            entry["valid_from"] = dt.date.fromordinal(valid_from.toordinal())
        if flow:
            entry.fa.set_flow_style()
        entries.append(entry)
        current[local] = entry


def _revalidate(text: str, where: str) -> None:
    data = YAML(typ="safe").load(text)
    try:
        CodeListSpec.model_validate(data)
    except ValidationError as exc:  # a bug here, not a user error: keep the file untouched
        raise SpecError(
            f"the edited code list would not validate, so nothing was written: {exc}",
            where=where,
        ) from None
