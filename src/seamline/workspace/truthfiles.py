"""The ground-truth files a workspace may declare under ``evaluate:`` and their format.

``<truth>/records.csv``: one row per source record, columns ``dataset``, ``record_key``
(the record's key as reconcile identifies records: the values of its key columns, joined
by ``|``) and ``entity_id`` (the true entity; records sharing it are the same entity),
optionally ``defects``. ``<truth>/entities.csv`` (optional, to score golden values):
``entity_id`` plus one column per canonical attribute, named as the attribute, values in
canonical harmonized form. Other files in the folder are ignored.

Only the headers are checked here (cheaply, by ``seamline validate`` and on every load);
:mod:`seamline.reconcile.evaluate` reads the rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from seamline.errors import SpecError
from seamline.workspace.issues import Issue
from seamline.workspace.models import EvaluateSpec
from seamline.workspace.project import PROJECT_FILE
from seamline.workspace.yamlpos import Positions

RECORDS = "records.csv"
ENTITIES = "entities.csv"
RECORD_COLUMNS = ("dataset", "record_key", "entity_id")
OPTIONAL_RECORD_COLUMNS = ("defects",)
ENTITY_KEY = "entity_id"
FORMAT = (
    f"{RECORDS} with the columns {','.join(RECORD_COLUMNS)} (optionally "
    f"{','.join(OPTIONAL_RECORD_COLUMNS)}) and, optionally, {ENTITIES} with {ENTITY_KEY} "
    "plus one column per canonical attribute"
)
HINT = "The format is described in docs/reconcile.md, section Ground truth."


@dataclass(frozen=True)
class TruthProblem:
    """One thing wrong with a truth file: the file (relative to the workspace) and what."""

    path: str
    message: str
    allowed: str | None = None
    column: int = 0
    """1-based column of the header cell at fault (0: the file as a whole)."""


def truth_dir(root: Path, spec: EvaluateSpec) -> Path:
    p = Path(spec.truth)
    return p if p.is_absolute() else root / p


def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@contextmanager
def open_truth(path: Path) -> Iterator[TextIO]:
    """A truth CSV as text (UTF-8, a byte-order mark from a spreadsheet tolerated)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield fh


def _header(root: Path, path: Path) -> tuple[list[str] | None, TruthProblem | None]:
    shown = _shown(root, path)
    try:
        with open_truth(path) as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        return None, TruthProblem(shown, f"is not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        return None, TruthProblem(shown, f"cannot be read: {exc.strerror or exc}")
    if not header:
        return None, TruthProblem(shown, "is empty: it has no header line", FORMAT)
    return [h.strip() for h in header], None


def _missing(shown: str, missing: list[str], header: list[str]) -> TruthProblem:
    names = ", ".join(repr(c) for c in missing)
    noun = "columns" if len(missing) > 1 else "column"
    return TruthProblem(shown, f"has no {noun} {names} (its columns: {', '.join(header)})", FORMAT)


def truth_problems(root: Path, spec: EvaluateSpec, attributes: set[str]) -> list[TruthProblem]:
    """Everything wrong with the truth files' shape; ``attributes``: the canonical ones."""
    folder = truth_dir(root, spec)
    records = folder / RECORDS
    if not records.is_file():
        what = "folder" if not folder.is_dir() else f"folder has no {RECORDS}, so it"
        return [
            TruthProblem(
                _shown(root, records),
                f"is missing: `evaluate: truth: {spec.truth}` is declared but the {what} "
                "does not exist",
                FORMAT,
            )
        ]
    problems: list[TruthProblem] = []
    header, problem = _header(root, records)
    if problem:
        problems.append(problem)
    elif header is not None:
        missing = [c for c in RECORD_COLUMNS if c not in header]
        if missing:
            problems.append(_missing(_shown(root, records), missing, header))
    entities = folder / ENTITIES
    if entities.is_file():
        problems.extend(_entity_problems(root, entities, attributes))
    return problems


def _entity_problems(root: Path, path: Path, attributes: set[str]) -> list[TruthProblem]:
    from seamline.errors import did_you_mean

    header, problem = _header(root, path)
    if problem or header is None:
        return [problem] if problem else []
    shown = _shown(root, path)
    out: list[TruthProblem] = []
    if ENTITY_KEY not in header:
        out.append(_missing(shown, [ENTITY_KEY], header))
    for i, col in enumerate(header, start=1):
        if col == ENTITY_KEY or col in attributes:
            continue
        guess = did_you_mean(col, sorted(attributes))
        out.append(
            TruthProblem(
                shown,
                f"column {col!r} is not a canonical attribute"
                + (f" (did you mean {guess!r}?)" if guess else "")
                + "; it would never be scored",
                f"{ENTITY_KEY} and attribute names of the workspace's entities",
                column=i,
            )
        )
    return out


def raise_on_problems(problems: list[TruthProblem]) -> None:
    """A :class:`SpecError` naming the first problem (exit 2), if there is one."""
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problem(s) in the truth files)" if problems[1:] else ""
        raise SpecError(
            first.message + more,
            where=first.path,
            allowed=first.allowed,
            hint=f"{HINT} Or remove `evaluate:` from seamline.yaml to run without scoring.",
        )


def evaluate_issues(
    root: Path, attributes: set[str], spec: EvaluateSpec, pos: Positions
) -> list[Issue]:
    """``evaluate:``'s compared attributes exist; the truth files have the documented shape."""
    from seamline.errors import did_you_mean

    issues: list[Issue] = []
    for attr in spec.compare:
        if attr not in attributes:
            guess = did_you_mean(attr, sorted(attributes))
            line, column = pos.of(("evaluate", "compare", attr), key=True)
            issues.append(
                Issue(
                    PROJECT_FILE,
                    line,
                    column,
                    f"evaluate.compare: {attr!r} is not a canonical attribute"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    hint="Name an attribute of one of the workspace's entities.",
                )
            )
    for p in truth_problems(root, spec, attributes):
        issues.append(Issue(p.path, 1 if p.column else 0, p.column, p.message, p.allowed, HINT))
    return issues
