"""``seamline deliveries``: a dataset's deliveries as a person reads them."""

from __future__ import annotations

from seamline.store import Store
from seamline.store.deliveries import SOURCE_TIME, SOURCE_TIME_BASIS, source_time


def source_notes(metadata: dict[str, str]) -> str:
    """A delivery's reader metadata as a person reads it: ``encoding cp1252 (rule); …``."""
    notes: list[str] = []
    if "encoding" in metadata:
        rule = metadata.get("encoding_rule")
        notes.append(f"encoding {metadata['encoding']}" + (f" ({rule})" if rule else ""))
    if "dead_lettered" in metadata:
        notes.append(
            f"{metadata['dead_lettered']} dead-lettered to {metadata.get('dead_letter', '?')}"
        )
    if metadata.get("reclaimed", "0") != "0":
        notes.append(f"{metadata['reclaimed']} reclaimed")
    when = source_time(metadata)
    if when is not None:
        notes.append(f"{when[1]} {when[0]:%Y-%m-%d %H:%M} UTC")
    shown = {"encoding", "encoding_rule", "dead_lettered", "dead_letter", "reclaimed"}
    shown |= {SOURCE_TIME, SOURCE_TIME_BASIS}
    notes += [f"{k} {v}" for k, v in sorted(metadata.items()) if k not in shown]
    return "; ".join(notes)


def delivery_rows(store: Store, dataset: str) -> list[dict[str, object]]:
    """``seamline deliveries``: one row per delivery, newest first, as a person reads them."""
    rows: list[dict[str, object]] = []
    for d in reversed(store.deliveries(dataset)):
        rows.append(
            {
                "id": d.id,
                "time": d.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                "kind": d.mode,
                "read": d.read,
                "landed": d.landed,
                "quarantined": d.quarantined,
                "status": d.status,
                "in state": "yes" if d.in_state else "no",
                "file": "kept" if d.kept else ("none" if d.status == "empty" else "deleted"),
                "run": d.run_id,
                "source": source_notes(d.metadata),
                "message": d.message or "",
            }
        )
    return rows
