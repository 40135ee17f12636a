"""The code-list page: canonical codes, crosswalks per dataset, unmapped values with
suggestions, and the diff of an accepted suggestion before it is written."""

from __future__ import annotations

import difflib
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamline.codes import suggest
from seamline.codes.seen import copybook_labels, values_seen
from seamline.codes.yamledit import plan_accept
from seamline.errors import SeamlineError
from seamline.workspace.loader import Workspace, check_workspace


def _stamp(ws: Workspace) -> tuple[tuple[str, int, int], ...]:
    """The spec files and landed data the page depends on, with their mtimes and sizes
    (a size too: two writes within one clock tick can share an mtime)."""
    root = Path(ws.root)
    files = [*root.glob("*.yaml"), *root.glob("*/*.yaml")]
    files += (ws.data_dir / "landing").glob("*.parquet")
    stats = [(str(f), f.stat()) for f in files if f.is_file()]
    return tuple(sorted((name, st.st_mtime_ns, st.st_size) for name, st in stats))


@dataclass
class CodesCache:
    """The page's data, computed again only when a spec file or a landing file changed
    (suggesting runs a query per column and validates the workspace: ~1 s at 10,000
    people, against milliseconds for the stat calls)."""

    entry: tuple[tuple[tuple[str, int, int], ...], list[dict[str, Any]]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, ws: Workspace) -> list[dict[str, Any]]:
        key = _stamp(ws)
        with self.lock:
            if self.entry is not None and self.entry[0] == key:
                return self.entry[1]
        data = codelists_page(fresh_workspace(ws))
        with self.lock:
            self.entry = (key, data)
        return data


def fresh_workspace(ws: Workspace) -> Workspace:
    """The workspace as it is on disk now (a steward's accepted entries included).

    Falls back to the loaded one when the files do not validate at the moment.
    """
    fresh, _issues = check_workspace(Path(ws.root))
    return fresh if fresh is not None else ws


def codelists_page(ws: Workspace) -> list[dict[str, Any]]:
    """One entry per code list: its codes, its crosswalks, the columns that use it and
    the values seen in their data that no crosswalk entry maps, with suggestions."""
    used: dict[str, list[tuple[str, str]]] = {}
    for ds in sorted(ws.datasets.values(), key=lambda d: d.id):
        for f in ds.mappings():
            if f.codelist:
                used.setdefault(f.codelist, []).append((ds.id, f.column))
    out = []
    for cl in sorted(ws.codelists.values(), key=lambda c: c.id):
        columns = []
        for dataset_id, column in used.get(cl.id, []):
            columns.append(_column(ws, cl.id, dataset_id, column))
        for cw in cl.crosswalks:
            if (cw.dataset, cw.column) not in used.get(cl.id, []):
                columns.append(_column(ws, cl.id, cw.dataset, cw.column))
        out.append(
            {
                "id": cl.id,
                "title": cl.title,
                "version": cl.version,
                "description": cl.description,
                "codes": [
                    {
                        "code": c.code,
                        "labels": c.labels,
                        "description": c.description,
                        "deprecated": c.deprecated,
                    }
                    for c in cl.codes
                ],
                "columns": columns,
                "unmapped": sum(len(c["suggestions"]) for c in columns),
            }
        )
    return out


def _column(ws: Workspace, codelist_id: str, dataset_id: str, column: str) -> dict[str, Any]:
    cl = ws.codelists[codelist_id]
    entries = [
        {"local": e.local, "code": e.code, "match": e.match}
        for cw in cl.crosswalks
        if cw.dataset == dataset_id and cw.column == column
        for e in cw.map
    ]
    error = None
    suggestions: list[dict[str, Any]] = []
    try:
        seen = values_seen(ws, dataset_id, column)
        labels = copybook_labels(ws, dataset_id, column)
        found = suggest(ws, codelist_id, dataset_id, column, seen, labels)
    except SeamlineError as exc:
        error, found = exc.message, []
    for s in found:
        suggestions.append(
            {
                "local": s.local,
                "count": s.count,
                "candidates": [
                    {"code": c.code, "score": c.score, "reasons": list(c.reasons)}
                    for c in s.candidates
                ],
            }
        )
    return {
        "dataset": dataset_id,
        "column": column,
        "entries": entries,
        "suggestions": suggestions,
        "error": error,
    }


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def preview(
    ws: Workspace, codelist_id: str, dataset_id: str, column: str, local: str, code: str
) -> dict[str, Any]:
    """The unified diff that accepting ``local -> code`` would make, and the digests
    that tie a confirmation to exactly this diff. Raises SeamlineError when refused."""
    path, before, after = plan_accept(ws.root, codelist_id, dataset_id, column, {local: code})
    name = path.relative_to(Path(ws.root)).as_posix()
    diff = list(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )
    return {
        "file": name,
        "diff": [
            {
                "text": line.rstrip("\n"),
                "kind": "add"
                if line.startswith("+") and not line.startswith("+++")
                else "del"
                if line.startswith("-") and not line.startswith("---")
                else "hunk"
                if line.startswith("@@")
                else "ctx",
            }
            for line in diff
        ],
        "before": digest(before),
        "after": digest(after),
        "changed": before != after,
    }
