"""What each page shows, gathered from the workspace and the store (no HTML here)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from seamline.reconcile.decisions import link_subject
from seamline.reconcile.worklist import load_worklist
from seamline.seams import SeamHealth, seam_health
from seamline.store import Store
from seamline.store.checks import check_history
from seamline.store.stewardship import conflict_values, decided_subjects
from seamline.ui.charts import HBars, Stacked, hbars, stacked
from seamline.workspace.loader import Workspace

SHOWN_SENSITIVITY = ("public", "internal")
"""Top values of a field are shown only for these; personal values stay off the page."""


def seam_status(h: SeamHealth, drifting: set[str]) -> str:
    """``failing`` (last check failed), ``drifting`` (open drift), ``healthy`` or
    ``unchecked``."""
    if h.last_check in ("fail", "error"):
        return "failing"
    if h.seam in drifting:
        return "drifting"
    return "healthy" if h.last_check == "pass" else "unchecked"


def seams_board(ws: Workspace, store: Store, today: dt.date | None) -> list[dict[str, Any]]:
    drifting = {f.subject for f in store.findings() if f.kind.startswith("drift.")}
    return [
        {**h.as_dict(), "status": seam_status(h, drifting)}
        for h in seam_health(ws, store, today=today)
    ]


def home(ws: Workspace, store: Store, today: dt.date | None) -> dict[str, Any]:
    board = seams_board(ws, store, today)
    findings = store.findings()
    worklist = load_worklist(store)
    decided = decided_subjects(store)
    waiting = [r for r in worklist if row_subject(r) not in decided]
    return {
        "systems": [
            {"id": s.id, "name": s.name, "agency": s.agency, "interface": s.interface}
            for s in sorted(ws.systems.values(), key=lambda s: s.id)
        ],
        "datasets": [
            {"id": d.id, "title": d.title, "owner": d.owner, "system": d.system}
            for d in sorted(ws.datasets.values(), key=lambda d: d.id)
        ],
        "by_status": Counter(r["status"] for r in board),
        "board": board,
        "findings": findings[:10],
        "findings_total": len(findings),
        "findings_by_kind": sorted(Counter(f.kind for f in findings).items()),
        "conflicts_waiting": len(waiting),
        "expiring": [r for r in board if r["agreement_status"] in ("expiring", "expired")],
    }


def row_subject(row: dict[str, Any]) -> tuple[str, str | None]:
    if row["kind"] == "review_link":
        return (link_subject(str(row["left"]), str(row["right"])), None)
    return (str(row["entity_id"]), row["attribute"])


def worklist(store: Store, attribute: str | None, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The ``limit`` most impactful worklist items, ready to show, and how many there are."""
    every = load_worklist(store, attribute=attribute or None)
    rows = every[:limit]
    values = conflict_values(store)
    decided = decided_subjects(store)
    for r in rows:
        r["choices"] = values.get((str(r["entity_id"]), str(r["attribute"])), [])
        options: dict[str, list[str]] = {}
        for c in r["choices"]:
            if c["value"] is not None:
                options.setdefault(str(c["value"]), []).append(c["dataset"])
        r["options"] = list(options.items())  # one choice per value, with who holds it
        r["decided"] = row_subject(r) in decided
    return rows, len(every)


def dataset_page(ws: Workspace, store: Store, ident: str) -> dict[str, Any]:
    ds = ws.datasets[ident]
    owner = ws.agencies.get(ds.owner)
    system = ws.systems.get(ds.system)
    profiles = store.latest_profiles(ident)
    fields = []
    for f in ds.mappings():
        p = profiles.get(f.column, {})
        sensitivity = f.sensitivity or ds.sensitivity
        show_values = sensitivity in SHOWN_SENSITIVITY and not p.get("pii")
        fields.append(
            {
                "column": f.column,
                "attribute": f.attribute,
                "description": f.description,
                "sensitivity": sensitivity,
                "codelist": f.codelist,
                "profile": p,
                "top_values": (p.get("top_values") or [])[:5] if show_values else None,
                "patterns": (p.get("patterns") or [])[:3],
                "format_chart": _format_chart(p),
                "values_chart": _values_chart(p) if show_values else None,
            }
        )
    return {
        "ds": ds,
        "owner": owner.name if owner else ds.owner,
        "system": system.name if system else ds.system,
        "fields": fields,
        "profiled": bool(profiles),
        "seams": sorted(s.id for s in ws.seams.values() if s.provider == ident),
    }


def _format_chart(profile: dict[str, Any]) -> HBars | None:
    """Shares of the detected formats (patterns), the rest grouped as "other"."""
    patterns = [(str(p), float(share)) for p, share in (profile.get("patterns") or [])[:4]]
    if not patterns:
        return None
    rest = 1.0 - sum(share for _, share in patterns)
    if rest > 0.005:
        patterns.append(("other", rest))
    return hbars(patterns, scale=1.0)


def _values_chart(profile: dict[str, Any]) -> HBars | None:
    rows = profile.get("rows") or 0
    top = [(str(v), int(n)) for v, n in (profile.get("top_values") or [])[:5]]
    if not top or not rows:
        return None
    return hbars([(v, n / rows) for v, n in top], scale=1.0)


def history_chart(points: list[dict[str, Any]]) -> Stacked | None:
    return stacked(points) if points else None


def attribute_matrix(ws: Workspace) -> dict[str, Any]:
    """Canonical attribute x dataset: which column of which dataset holds each attribute,
    and which dataset is authoritative for it."""
    datasets = sorted(ws.datasets.values(), key=lambda d: (d.entity or "", d.id))
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for ds in datasets:
        for f in ds.mappings():
            if not f.attribute:
                continue
            cells.setdefault(f.attribute, {})[ds.id] = {
                "column": f.column,
                "authoritative": f.attribute in ds.authoritative_for,
            }
    return {
        "datasets": [{"id": d.id, "entity": d.entity} for d in datasets],
        "rows": [{"attribute": a, "cells": cells[a]} for a in sorted(cells)],
    }


def seam_page(ws: Workspace, store: Store, ident: str, today: dt.date | None) -> dict[str, Any]:
    seam = ws.seams[ident]
    board = {r["seam"]: r for r in seams_board(ws, store, today)}
    findings = [f for f in store.findings() if f.subject == ident]
    history = check_history(store, ident)
    return {
        "seam": seam,
        "health": board[ident],
        "findings": findings,
        "history": history,
        "history_chart": history_chart(history),
    }
