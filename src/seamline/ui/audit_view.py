"""The audit page: the access log with filters, the chain check, the data tracker."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from seamline.exchange.data import (
    DataUnavailable,
    PersonIndex,
    load_people,
    parse_ref,
    reference_path,
)
from seamline.exchange.tracker import accesses
from seamline.store import Store
from seamline.store.auditlog import PAGE, LogFilter, LogPage, access_log, filter_choices
from seamline.workspace.loader import Workspace

OUTCOMES = ("ok", "refused", "error")

__all__ = [
    "OUTCOMES",
    "PAGE",
    "LogFilter",
    "LogPage",
    "PeopleCache",
    "access_log",
    "filter_choices",
    "parse_day",
]


def parse_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass
class PeopleCache:
    """The golden Person index, reloaded when a run rewrites the reference file."""

    entry: tuple[float, PersonIndex] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, ws: Workspace) -> PersonIndex:
        path = reference_path(ws)
        stamp = path.stat().st_mtime if path.exists() else -1.0
        with self.lock:
            if self.entry is not None and self.entry[0] == stamp:
                return self.entry[1]
        index = load_people(ws)
        with self.lock:
            self.entry = (stamp, index)
        return index


def track(ws: Workspace, store: Store, ref: str, people: PeopleCache) -> dict[str, Any]:
    """The data tracker for ``scheme:id``: who read this person's data, when, why.

    Returns ``error`` (a message for the form) or ``entity_id`` and ``accesses``.
    """
    parsed = parse_ref(ref.strip())
    if parsed is None:
        return {"error": "write the identifier as scheme:id, e.g. kg_pin:12345678901234"}
    scheme, ident = parsed
    try:
        index = people.get(ws)
    except DataUnavailable as exc:
        return {"error": exc.message}
    attribute = index.schemes.get(scheme)
    if attribute is None:
        known = ", ".join(sorted(index.schemes)) or "none"
        return {"error": f"unknown identifier scheme {scheme!r}; known: {known}"}
    try:
        person = index.resolve(scheme, attribute, ident)
    except ValueError as exc:
        return {"error": str(exc)}
    if person is None:
        return {"error": "no person in the reference data has this identifier"}
    return {"entity_id": person.entity_id, "accesses": accesses(store, person.entity_id)}
