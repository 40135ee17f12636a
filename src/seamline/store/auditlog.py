"""Reads of the audit log: pages of events for people, the chain's tip and its rows for
the verifier. Writing the log (one hash-chained row at a time) is the exchange's
``AuditWriter``; what a row holds is its model in :mod:`seamline.store.models`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, or_, select

from seamline.store.models import AuditEvent, AuditSignature
from seamline.store.store import Store

PAGE = 200


@dataclass(frozen=True)
class LogFilter:
    client: str = ""
    purpose: str = ""
    outcome: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


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


def chain_tip(store: Store) -> tuple[int, int, str | None]:
    """The latest event's id, the latest checkpoint's id and the latest event's hash.

    The checkpoint is read first: a checkpoint is written after the events it pins, so
    those are visible by then. The hash makes a tail cut and rewritten to the same length
    (same latest id) a different state of the log."""
    with store.session() as s:
        checkpoint = int(s.scalar(select(func.max(AuditSignature.id))) or 0)
        tip = s.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).first()
    return (int(tip[0]), checkpoint, str(tip[1])) if tip else (0, checkpoint, None)


def event_dict(row: AuditEvent) -> dict[str, Any]:
    """An audit row as the chain hashes it (every column)."""
    return {
        "id": row.id,
        "at": row.at,
        "actor": row.actor,
        "client": row.client,
        "action": row.action,
        "resource": row.resource,
        "purpose": row.purpose,
        "outcome": row.outcome,
        "details": row.details,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def events_between(
    store: Store, after: int = 0, upto: int | None = None
) -> Iterator[dict[str, Any]]:
    """The events with ``after < id <= upto`` (no upper end: ``upto`` None), in id order,
    streamed."""
    rows = select(AuditEvent).where(AuditEvent.id > after)
    if upto is not None:
        rows = rows.where(AuditEvent.id <= upto)
    rows = rows.order_by(AuditEvent.id).execution_options(yield_per=2000)
    with store.session() as s:
        for row in s.scalars(rows):
            yield event_dict(row)


def events_in_period(
    store: Store, start: dt.datetime | None, end: dt.datetime | None
) -> list[dict[str, Any]]:
    """The events with ``start <= at < end`` (either end open when None), in id order."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    with store.session() as s:
        return [event_dict(r) for r in s.scalars(query)]


def served_events(
    store: Store, entity_id: str, actions: Collection[str], bulk_action: str
) -> Iterator[dict[str, Any]]:
    """Served (``ok``) events of one of ``actions`` whose details mention ``entity_id``,
    and every served ``bulk_action`` event, newest first, streamed.

    The details are matched as text (entity ids are unique hex strings, so the match is
    selective on SQLite and PostgreSQL alike), except in an encrypted store, whose sealed
    details no SQL can look into; the caller checks membership exactly.
    """
    data: ColumnElement[bool] = AuditEvent.action.in_(sorted(actions))
    if not store.encrypted:
        data = data & cast(AuditEvent.details, String).like(f"%{entity_id}%")
    query = (
        select(AuditEvent)
        .where(AuditEvent.outcome == "ok")
        .where(or_(data, AuditEvent.action == bulk_action))
        .order_by(AuditEvent.id.desc())
    )
    with store.session() as s:
        for row in s.scalars(query):
            yield event_dict(row)


def has_events(store: Store) -> bool:
    """Whether the log holds any event."""
    with store.session() as s:
        return s.scalar(select(AuditEvent.id).limit(1)) is not None


def _checkpoint(cp: AuditSignature) -> dict[str, Any]:
    return {
        "last_event_id": cp.last_event_id,
        "chain_hash": cp.chain_hash,
        "signature": cp.signature,
        "public_key": cp.public_key,
    }


def checkpoints_between(
    store: Store, after: int = 0, upto: int | None = None
) -> list[dict[str, Any]]:
    """The signed checkpoints with ``after < id <= upto`` (no upper end: None), in id order."""
    query = select(AuditSignature).where(AuditSignature.id > after)
    if upto is not None:
        query = query.where(AuditSignature.id <= upto)
    with store.session() as s:
        return [_checkpoint(cp) for cp in s.scalars(query.order_by(AuditSignature.id))]


def checkpoints_pinning(store: Store, lo: int, hi: int) -> list[dict[str, Any]]:
    """The signed checkpoints that pin an event ``lo <= id <= hi``, in id order."""
    query = (
        select(AuditSignature)
        .where(AuditSignature.last_event_id >= lo, AuditSignature.last_event_id <= hi)
        .order_by(AuditSignature.id)
    )
    with store.session() as s:
        return [_checkpoint(cp) for cp in s.scalars(query)]


def event_hash(store: Store, event_id: int) -> str | None:
    """The stored hash of one event (None: no such event)."""
    with store.session() as s:
        found = s.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id))
    return str(found) if found is not None else None


def access_columns(store: Store) -> Iterator[tuple[Any, ...]]:
    """(at, client, action, purpose, outcome, details) of every event in id order,
    streamed: the columns a summary of accesses needs, never actor or resource."""
    query = select(
        AuditEvent.at,
        AuditEvent.client,
        AuditEvent.action,
        AuditEvent.purpose,
        AuditEvent.outcome,
        AuditEvent.details,
    ).order_by(AuditEvent.id)
    with store.session() as s:
        for row in s.execute(query).yield_per(2000):
            yield tuple(row)
