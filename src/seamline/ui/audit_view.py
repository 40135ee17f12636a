"""The audit page: the access log with filters, the chain check, the data tracker."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from seamline.exchange.data import (
    DataUnavailable,
    PersonIndex,
    load_people,
    parse_ref,
    reference_path,
)
from seamline.exchange.tracker import accesses
from seamline.store import Store
from seamline.store.models import AuditEvent
from seamline.workspace.loader import Workspace

OUTCOMES = ("ok", "refused", "error")
PAGE = 200


@dataclass(frozen=True)
class LogFilter:
    client: str = ""
    purpose: str = ""
    outcome: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def parse_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class LogPage:
    """One page of the access log, newest first, and where it sits in the matching events."""

    events: list[dict[str, Any]]
    total: int
    """Events matching the filter."""
    newer: int
    """Matching events newer than this page's first."""
    older: bool
    """Whether older matching events exist (a next page)."""

    @property
    def first_id(self) -> int | None:
        return int(self.events[0]["id"]) if self.events else None

    @property
    def last_id(self) -> int | None:
        return int(self.events[-1]["id"]) if self.events else None


def matching(f: LogFilter) -> Select[AuditEvent]:
    q = select(AuditEvent)
    if f.client:
        q = q.where(AuditEvent.client == f.client)
    if f.purpose:
        q = q.where(AuditEvent.purpose == f.purpose)
    if f.outcome:
        q = q.where(AuditEvent.outcome == f.outcome)
    if f.since:
        start = dt.datetime.combine(f.since, dt.time.min, tzinfo=dt.UTC)
        q = q.where(AuditEvent.at >= start)
    if f.until:
        end = dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        q = q.where(AuditEvent.at < end)
    return q


def access_log(
    store: Store,
    f: LogFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE,
) -> LogPage:
    """A page of at most ``limit`` matching events, newest first: the newest ones, those
    just older than event ``before`` or those just newer than event ``after``.

    Pages are keyed by event id rather than by offset, so events written while someone
    reads (every page view is one) do not shift the pages they move between."""
    q = matching(f)
    count = select(func.count()).select_from
    with store.session() as s:
        total = int(s.scalar(count(q.subquery())) or 0)
        if after is not None:
            page = q.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(limit)
            rows = list(s.scalars(page))[::-1]
        else:
            q_page = q if before is None else q.where(AuditEvent.id < before)
            rows = list(s.scalars(q_page.order_by(AuditEvent.id.desc()).limit(limit)))
        newer, older = 0, False
        if rows:
            newer = int(s.scalar(count(q.where(AuditEvent.id > rows[0].id).subquery())) or 0)
            one_older = q.where(AuditEvent.id < rows[-1].id).with_only_columns(AuditEvent.id)
            older = s.scalar(one_older.limit(1)) is not None
        events = [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "client": e.client,
                "action": e.action,
                "resource": e.resource,
                "purpose": e.purpose,
                "outcome": e.outcome,
            }
            for e in rows
        ]
    return LogPage(events, total, newer, older)


def filter_choices(store: Store) -> dict[str, list[str]]:
    """The clients and purposes present in the log, for the filter's drop-downs."""
    with store.session() as s:
        clients = s.scalars(
            select(AuditEvent.client).distinct().where(AuditEvent.client.isnot(None))
        )
        purposes = s.scalars(
            select(AuditEvent.purpose).distinct().where(AuditEvent.purpose.isnot(None))
        )
        return {"clients": sorted(str(c) for c in clients), "purposes": sorted(map(str, purposes))}


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
