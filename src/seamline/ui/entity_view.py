"""The entity page: one golden record beside the records each agency holds for it.

The records come from what the last reconcile run wrote: the mapping table (record ->
entity) and ``reference/records/<spec>.parquet`` (the harmonized values the linkage
compared); the golden value's provenance from the reference table's
``<attribute>__dataset/__record/__rule`` columns and, for conflicts, the stored reason.
Each file is read once per version (kept until a run rewrites it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.reconcile.cluster import MAP_FILE
from seamline.reconcile.records import records_of, records_path
from seamline.reconcile.spec import load_reconcile_specs
from seamline.store import Store
from seamline.store.stewardship import entity_discrepancies
from seamline.workspace.loader import Workspace

RULE_TEXT = {
    "agreed": "all sources agree",
    "only_source": "only one source holds it",
    "authoritative": "the authoritative dataset",
    "most_recent": "the most recent record",
    "most_frequent": "most records agree",
    "decision": "a steward's decision",
    "tie": "no rule decided (first by key)",
    "missing": "no source holds it",
}


@dataclass
class PreparedCache:
    """Tables read for the entity page, each kept with its source file's mtime and read
    again when a run rewrites that file: the compared records and the golden records
    per spec, and the record -> entity mapping."""

    entries: dict[str, tuple[float, pa.Table]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    entities: tuple[tuple[tuple[str, float], ...], dict[str, str]] | None = None
    """The entity each reconcile spec links, with the spec files' mtimes it was read at."""

    def _get(self, key: str, stamp: float, load: Callable[[], pa.Table]) -> pa.Table:
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        table = load()
        with self.lock:
            self.entries[key] = (stamp, table)
        return table

    def file(self, ws: Workspace, path: Path) -> pa.Table:
        return self._get(f"file:{path}", path.stat().st_mtime, lambda: ws.parquet.read_table(path))

    def entity_of(self, ws: Workspace, spec_id: str) -> str:
        """The entity spec ``spec_id`` links: the specs are parsed again only when a file
        of ``reconcile/`` changes, not on every page."""
        folder = Path(ws.root) / "reconcile"
        files = sorted(folder.iterdir()) if folder.is_dir() else []
        stamp = tuple((p.name, p.stat().st_mtime) for p in files)
        with self.lock:
            known = self.entities
        if known is None or known[0] != stamp:
            names = {s.id: s.entity for s in load_reconcile_specs(Path(ws.root))}
            known = (stamp, names)
            with self.lock:
                self.entities = known
        return known[1].get(spec_id, "Entity")


def _mapping(ws: Workspace, entity_id: str, cache: PreparedCache) -> tuple[str, list[str]] | None:
    path = ws.data_dir / "reference" / MAP_FILE
    if not path.exists():
        return None
    t = cache.file(ws, path)
    t = t.filter(pc.equal(t.column("entity_id"), pa.scalar(entity_id)))
    if t.num_rows == 0:
        return None
    specs = t.column("spec").to_pylist()
    return str(specs[0]), [str(u) for u in t.column("uid").to_pylist()]


def entity_page(
    ws: Workspace, store: Store, entity_id: str, cache: PreparedCache
) -> dict[str, Any] | None:
    """Everything the page shows, or None when no entity has this id."""
    found = _mapping(ws, entity_id, cache)
    if found is None:
        return None
    spec_id, uids = found
    golden_path = ws.data_dir / "reference" / f"{spec_id}.parquet"
    if not golden_path.exists():
        return None
    goldens = cache.file(ws, golden_path)
    golden_rows = goldens.filter(
        pc.equal(goldens.column("entity_id"), pa.scalar(entity_id))
    ).to_pylist()
    if not golden_rows:
        return None
    golden = golden_rows[0]
    kept = records_path(ws.data_dir / "reference", spec_id)
    found_records = records_of(cache.file(ws, kept), uids) if kept.exists() else []
    records = sorted(found_records, key=lambda r: (r["dataset"], r["uid"]))
    attributes = [
        c for c in golden if "__" not in c and c not in ("entity_id", "record_count", "datasets")
    ]
    stored = entity_discrepancies(store, entity_id)
    rows = []
    for attr in attributes:
        value = golden.get(attr)
        rule = str(golden.get(f"{attr}__rule") or "")
        cells = []
        for r in records:
            v = r.get(attr)
            other = v is not None and value is not None and str(v) != str(value)
            cells.append(
                {
                    "value": v,
                    "orig": r.get(f"{attr}__orig"),
                    "flag": r.get(f"{attr}__flag"),
                    # "agreed" compares keys (Cyrillic and Latin spellings of one name
                    # meet): another spelling is a variant there, not a difference.
                    "differs": other and rule != "agreed",
                    "variant": other and rule == "agreed",
                    "chosen": r["uid"] == golden.get(f"{attr}__record"),
                }
            )
        held = [c for c in cells if c["value"] is not None]
        if not held and value is None:
            continue
        d = stored.get(attr)
        rows.append(
            {
                "attribute": attr,
                "golden": value,
                "dataset": golden.get(f"{attr}__dataset"),
                "record": golden.get(f"{attr}__record"),
                "rule": rule,
                "rule_text": RULE_TEXT.get(rule, rule),
                "reason": d["reason"] if d else None,
                "classification": d["classification"] if d else None,
                "choices": sorted({str(c["value"]) for c in held}),
                "cells": cells,
                "differs": any(c["differs"] for c in cells),
            }
        )
    entity = cache.entity_of(ws, spec_id)
    return {
        "entity_id": entity_id,
        "entity": entity,
        "spec": spec_id,
        "record_count": golden.get("record_count"),
        "records": [
            {"uid": r["uid"], "dataset": r["dataset"], "key": r.get("key")} for r in records
        ],
        "rows": rows,
    }
