"""The tamper-evident audit log: hash-chained events, written by one group-commit thread.

Each event's hash is ``sha256(prev_hash + canonical JSON of the event)``, the event's id
included, so altering, deleting or reordering rows breaks the chain at that row. Signed
checkpoints (Ed25519 over ``"<last_event_id>:<chain_hash>"``) pin the chain's head from
time to time, so cutting off the tail is caught too (up to the last checkpoint).

Durability costs one fsync per commit; a request thread-per-commit would cap the API at
a few hundred requests a second. :class:`AuditWriter` instead queues events, commits
every event waiting at that moment in one transaction (group commit), then resolves
each request's future; a handler answers only after its event is committed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from seamline.exchange.keys import public_text, sign
from seamline.store import Store
from seamline.store.models import AuditEvent, AuditSignature, utcnow

log = logging.getLogger("seamline.exchange.audit")


def _utc(at: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def canonical(event: dict[str, Any]) -> str:
    """The canonical JSON of an event's content (everything except its hashes)."""
    body = {
        "id": event["id"],
        "at": _utc(event["at"]).isoformat(timespec="microseconds"),
        "actor": event["actor"],
        "client": event["client"],
        "action": event["action"],
        "resource": event["resource"],
        "purpose": event["purpose"],
        "outcome": event["outcome"],
        "details": event["details"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str | None, event: dict[str, Any]) -> str:
    return hashlib.sha256(((prev_hash or "") + canonical(event)).encode("utf-8")).hexdigest()


def checkpoint_message(last_event_id: int, chain: str) -> bytes:
    return f"seamline-audit:{last_event_id}:{chain}".encode("ascii")


def row_dict(row: AuditEvent) -> dict[str, Any]:
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


@dataclass
class Event:
    """An event before it is written (the writer gives it an id and its hashes)."""

    actor: str
    client: str | None
    action: str
    resource: str | None
    purpose: str | None
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


class AuditUnavailable(Exception):
    """The event could not be written durably; the request must not be answered."""


_STOP = object()


class AuditWriter:
    """One thread owns the chain's head and commits queued events in batches."""

    def __init__(
        self,
        store: Store,
        key: Ed25519PrivateKey,
        *,
        max_batch: int = 1000,
        checkpoint_events: int = 1000,
        checkpoint_seconds: float = 5.0,
        observe: Callable[[float, int], None] | None = None,
    ) -> None:
        self.store = store
        self.key = key
        self.public_key = public_text(key)
        self.max_batch = max_batch
        self.checkpoint_events = checkpoint_events
        self.checkpoint_seconds = checkpoint_seconds
        self.observe = observe
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last_id = 0
        self._last_hash: str | None = None
        self._signed_id = 0
        self._signed_at = time.monotonic()
        self.failures = 0

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _load_head(self) -> None:
        with self.store.session() as s:
            last = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
            self._last_id, self._last_hash = (last.id, last.hash) if last else (0, None)
            signed = s.scalar(select(func.max(AuditSignature.last_event_id)))
            self._signed_id = int(signed or 0)

    def start(self) -> None:
        if self.alive:
            return
        self._load_head()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued, sign the head, stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None

    def submit(self, event: Event) -> concurrent.futures.Future[int]:
        fut: concurrent.futures.Future[int] = concurrent.futures.Future()
        if not self.alive:
            fut.set_exception(AuditUnavailable("the audit writer is not running"))
            return fut
        self._queue.put((event, fut))
        return fut

    async def append(self, event: Event) -> int:
        """Queue the event and wait until it is committed; return its id."""
        return await asyncio.wrap_future(self.submit(event))

    def write(self, event: Event, timeout: float = 10.0) -> int:
        """Blocking :meth:`append`, for code outside the event loop."""
        return self.submit(event).result(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=max(self.checkpoint_seconds, 0.05))
            except queue.Empty:
                if self._checkpoint_due():
                    self._checkpoint()
                continue
            batch: list[tuple[Event, concurrent.futures.Future[int]]] = []
            if first is _STOP:
                stopping = True
            else:
                batch.append(first)
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    continue
                batch.append(item)
            if batch:
                self._commit(batch)
            if stopping or self._checkpoint_due():
                self._checkpoint()

    def _chain(
        self, batch: list[tuple[Event, concurrent.futures.Future[int]]]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        last_id, last_hash = self._last_id, self._last_hash
        for ev, _ in batch:
            last_id += 1
            row: dict[str, Any] = {
                "id": last_id,
                "at": ev.at,
                "actor": ev.actor,
                "client": ev.client,
                "action": ev.action,
                "resource": ev.resource,
                "purpose": ev.purpose,
                "outcome": ev.outcome,
                "details": ev.details,
                "prev_hash": last_hash,
            }
            row["hash"] = last_hash = chain_hash(last_hash, row)
            rows.append(row)
        return rows

    def _commit(self, batch: list[tuple[Event, concurrent.futures.Future[int]]]) -> None:
        started = time.perf_counter()
        error: Exception | None = None
        rows: list[dict[str, Any]] = []
        # The primary key makes appending a compare-and-swap: if another writer (a second
        # server process on the same store) took these ids, reload the head and re-chain.
        for _ in range(5):
            rows = self._chain(batch)
            try:
                self._insert(rows)
                error = None
                break
            except IntegrityError as exc:
                error = exc
            except Exception as exc:  # any store failure: no event, so no answer
                error = exc
                break
            finally:
                try:
                    if error is not None:
                        self._load_head()
                except Exception:  # the store is down; keep the last known head
                    log.error("audit head reload failed")
        if error is not None:
            self.failures += 1
            log.error("audit write failed: %s", type(error).__name__)
            for _, fut in batch:
                fut.set_exception(AuditUnavailable(f"audit write failed: {type(error).__name__}"))
            return
        self._last_id, self._last_hash = rows[-1]["id"], rows[-1]["hash"]
        if self.observe is not None:
            self.observe(time.perf_counter() - started, len(batch))
        for row, (_, fut) in zip(rows, batch, strict=True):
            fut.set_result(row["id"])

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self.store.session() as s:
            s.execute(insert(AuditEvent), rows)

    def _checkpoint_due(self) -> bool:
        pending = self._last_id - self._signed_id
        if pending <= 0:
            return False
        elapsed = time.monotonic() - self._signed_at
        return pending >= self.checkpoint_events or elapsed >= self.checkpoint_seconds

    def _checkpoint(self) -> None:
        if self._last_id <= self._signed_id or self._last_hash is None:
            return
        try:
            write_checkpoint(self.store, self.key, self._last_id, self._last_hash)
        except Exception as exc:  # retried at the next batch
            log.error("audit checkpoint failed: %s", type(exc).__name__)
            return
        self._signed_id, self._signed_at = self._last_id, time.monotonic()


def write_checkpoint(store: Store, key: Ed25519PrivateKey, last_id: int, chain: str) -> None:
    with store.session() as s:
        s.add(
            AuditSignature(
                last_event_id=last_id,
                chain_hash=chain,
                signature=sign(key, checkpoint_message(last_id, chain)),
                public_key=public_text(key),
                created_at=utcnow(),
            )
        )


def append_now(store: Store, key: Ed25519PrivateKey, events: list[Event]) -> None:
    """Write events without a server running (CLI actions, tests): one batch, then sign."""
    writer = AuditWriter(store, key, checkpoint_seconds=0.0)
    writer.start()
    try:
        futures = [writer.submit(e) for e in events]
        for f in futures:
            f.result(30)
    finally:
        writer.stop()
