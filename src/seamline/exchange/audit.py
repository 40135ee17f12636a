"""The tamper-evident audit log: hash-chained events, written by one group-commit thread.

Each event's hash is ``sha256(prev_hash + canonical JSON of the event)``, the event's id
included, so altering, deleting or reordering rows breaks the chain at that row. Signed
checkpoints (Ed25519 over ``"<last_event_id>:<chain_hash>"``) pin the chain's head from
time to time, so cutting off the tail is caught too (up to the last checkpoint). Each
checkpoint also goes to the anchor outside the store (``anchor.py``); at start the writer
anchors any events a crashed predecessor left unanchored, marked as recovered.

Durability costs one fsync per commit; a request thread-per-commit would cap the API at
a few hundred requests a second. :class:`AuditWriter` instead queues events, commits
every event waiting at that moment in one transaction (group commit), then resolves
each request's future; a handler answers only after its event is committed.

The writer thread holds the GIL while it works, and every microsecond it spends there
is taken from the event loop serving requests. So the request thread does the costly
part when it submits: the event's canonical JSON (split around the id, which only the
writer knows) and its database values. The writer only splices ids and hashes, hands
all rows to the driver's ``executemany`` in one transaction, and wakes each event loop
once per batch instead of once per request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import PoolProxiedConnection

from seamline.exchange.anchor import Anchor
from seamline.exchange.auditformat import (
    AuditUnavailable,
    Event,
    RowFormat,
    _utc,
    canonical,
    canonical_parts,
    chain_hash,
    checkpoint_message,
    row_dict,
    write_checkpoint,
)
from seamline.exchange.auditsign import Signer
from seamline.store import Store
from seamline.store.models import AuditEvent, AuditSignature

log = logging.getLogger("seamline.exchange.audit")
# Re-exported: the verifier, the CLI and tests read the formats from here.
__all__ = [
    "AuditUnavailable",
    "AuditWriter",
    "Event",
    "append_now",
    "canonical",
    "chain_hash",
    "checkpoint_message",
    "row_dict",
    "write_checkpoint",
]


# A waiter is a thread's future or an event loop's future (resolved in that loop).
_Waiter = concurrent.futures.Future[int] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[int]"]
_STOP = object()


@dataclass(slots=True)
class _Prepared:
    """An event's canonical JSON halves and database values, built by the submitter."""

    head: str
    tail: str
    values: dict[str, Any]
    waiter: _Waiter


def _resolve(items: list[tuple[asyncio.Future[int], int | BaseException]]) -> None:
    for fut, outcome in items:
        if fut.done():  # the request was cancelled (client gone); its event stays written
            continue
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)


class AuditWriter:
    """Owns the chain's head and commits events in batches (group commit).

    With ``inline`` (``ExchangeConfig.audit_inline``) events appended from an event
    loop are committed on that loop, once per loop iteration, for every request that
    reached its audit step in that iteration: no thread hand-over, but the loop waits
    for each fsync. Otherwise (the default), and always for :meth:`submit` from plain
    threads, the writer thread commits them while the loop goes on serving.
    The thread also signs checkpoints when the log has been idle.
    """

    def __init__(
        self,
        store: Store,
        key: Ed25519PrivateKey,
        *,
        max_batch: int = 2000,
        checkpoint_events: int = 1000,
        checkpoint_seconds: float = 5.0,
        observe: Callable[[float, int], None] | None = None,
        inline: bool = False,
        anchor: Anchor | None = None,
        key_path: Path | None = None,
    ) -> None:
        self.store = store
        self.signer = Signer(
            store, key, anchor=anchor, key_path=key_path,
            every_events=checkpoint_events, every_seconds=checkpoint_seconds,
        )  # fmt: skip
        self.max_batch = max_batch
        self.checkpoint_events = checkpoint_events
        self.checkpoint_seconds = checkpoint_seconds
        self.observe = observe
        self.inline = inline
        # Guards the head, the connection and checkpoints: the loop and the thread share them.
        self._lock = threading.RLock()
        self._pending: dict[asyncio.AbstractEventLoop, list[_Prepared]] = {}
        self.format = RowFormat(store.engine.dialect)
        # SimpleQueue: a put is one C call, no Python-level lock and condition per event.
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._last_id = 0
        self._last_hash: str | None = None
        self._conn: PoolProxiedConnection | None = None
        dbapi = store.engine.dialect.loaded_dbapi
        self._integrity: tuple[type[Exception], ...] = (IntegrityError, dbapi.IntegrityError)
        self.failures = 0

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _load_head(self) -> None:
        with self.store.session() as s:
            last = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
            self._last_id, self._last_hash = (last.id, last.hash) if last else (0, None)
            signed = s.scalar(select(func.max(AuditSignature.last_event_id)))
            self.signer.signed_id = int(signed or 0)

    def start(self) -> None:
        if self.alive:
            return
        self._load_head()
        self.signer.recover(self._last_id, self._last_hash)
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued, sign the head, stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None

    def _prepare(self, event: Event, waiter: _Waiter) -> _Prepared:
        at = _utc(event.at)
        content = {
            "at": at,
            "actor": event.actor,
            "client": event.client,
            "action": event.action,
            "resource": event.resource,
            "purpose": event.purpose,
            "outcome": event.outcome,
            "details": event.details,
        }
        head, tail, details = canonical_parts(content)
        return _Prepared(head, tail, self.format.values(content, details), waiter)

    def _enqueue(self, event: Event, waiter: _Waiter) -> AuditUnavailable | None:
        if not self.alive:
            return AuditUnavailable("the audit writer is not running")
        try:
            item = self._prepare(event, waiter)
        except (TypeError, ValueError) as exc:  # details that JSON cannot hold
            return AuditUnavailable(f"the audit event cannot be serialised: {exc}")
        self._queue.put(item)
        return None

    def submit(self, event: Event) -> concurrent.futures.Future[int]:
        fut: concurrent.futures.Future[int] = concurrent.futures.Future()
        error = self._enqueue(event, fut)
        if error is not None:
            fut.set_exception(error)
        return fut

    async def append(self, event: Event) -> int:
        """Queue the event and wait until it is committed; return its id.

        Events appended in one event-loop iteration travel together: the first of them
        schedules one hand-over for all (to the writer thread, or, ``inline``, straight
        to a commit on the loop). One queue item and at most one wake-up of the writer
        per iteration instead of one per event: waking the thread and trading the GIL
        with it cost more than the rest of the audit step together.
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        if not self.alive:
            raise AuditUnavailable("the audit writer is not running")
        try:
            item = self._prepare(event, (loop, fut))
        except (TypeError, ValueError) as exc:
            raise AuditUnavailable(f"the audit event cannot be serialised: {exc}") from None
        pending = self._pending.setdefault(loop, [])
        pending.append(item)
        if len(pending) == 1:  # the first event of this loop iteration schedules the rest
            loop.call_soon(self._flush if self.inline else self._handoff, loop)
        return await fut

    def _handoff(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, [])
        if not batch:
            return
        if not self.alive:
            error = AuditUnavailable("the audit writer is not running")
            self._settle(batch, [error] * len(batch), loop)
            return
        self._queue.put(batch)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, [])
        for start in range(0, len(batch), self.max_batch):
            with self._lock:
                self._commit(batch[start : start + self.max_batch], loop)
        if self._last_id - self.signer.signed_id >= self.checkpoint_events:
            with self._lock:
                self._checkpoint()

    def write(self, event: Event, timeout: float = 10.0) -> int:
        """Blocking :meth:`append`, for code outside the event loop."""
        return self.submit(event).result(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=max(self.checkpoint_seconds, 0.05))
            except queue.Empty:
                with self._lock:
                    if self._checkpoint_due():
                        self._checkpoint()
                    # Idle: give the connection back. Under load the writer keeps it, so
                    # a batch costs no pool checkout, liveness ping or reset on return.
                    self._close()
                continue
            batch: list[_Prepared] = []
            item = first
            while True:  # an item is one event (submit) or one loop iteration's events
                if item is _STOP:
                    stopping = True
                elif isinstance(item, list):
                    batch.extend(item)
                else:
                    batch.append(item)
                if len(batch) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            with self._lock:
                if batch:
                    self._commit(batch)
                if stopping or self._checkpoint_due():
                    self._checkpoint()
        with self._lock:
            self._close()
        self._fail_leftovers()

    def _fail_leftovers(self) -> None:
        # An event submitted while the writer was stopping must not wait forever.
        leftovers: list[_Prepared] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, list):
                leftovers.extend(item)
            elif item is not _STOP:
                leftovers.append(item)
        if leftovers:
            error = AuditUnavailable("the audit writer stopped")
            self._settle(leftovers, [error] * len(leftovers))

    def _chain(self, batch: list[_Prepared]) -> tuple[list[Any], int, str | None]:
        rows: list[Any] = []
        last_id, last_hash = self._last_id, self._last_hash
        sha256, row = hashlib.sha256, self.format.row
        for p in batch:
            last_id += 1
            text = (last_hash or "") + p.head + str(last_id) + p.tail
            digest = sha256(text.encode("utf-8")).hexdigest()
            rows.append(row({**p.values, "id": last_id, "prev_hash": last_hash, "hash": digest}))
            last_hash = digest
        return rows, last_id, last_hash

    def _commit(
        self, batch: list[_Prepared], here: asyncio.AbstractEventLoop | None = None
    ) -> None:
        started = time.perf_counter()
        error: Exception | None = None
        last_id, last_hash = self._last_id, self._last_hash
        # The primary key makes appending a compare-and-swap: if another writer (a second
        # server process on the same store) took these ids, reload the head and re-chain.
        for _ in range(5):
            rows, last_id, last_hash = self._chain(batch)
            try:
                self._insert(rows)
                error = None
                break
            except self._integrity as exc:
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
            failed = AuditUnavailable(f"audit write failed: {type(error).__name__}")
            self._settle(batch, [failed] * len(batch), here)
            return
        self._last_id, self._last_hash = last_id, last_hash
        if self.observe is not None:
            self.observe(time.perf_counter() - started, len(batch))
        self._settle(batch, list(range(last_id - len(batch) + 1, last_id + 1)), here)

    def _settle(
        self,
        batch: list[_Prepared],
        outcomes: Sequence[int | BaseException],
        here: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """Resolve waiters: directly on ``here`` (the loop running this), else thread-safely."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for p, outcome in zip(batch, outcomes, strict=True):
            w = p.waiter
            if isinstance(w, tuple):
                by_loop.setdefault(w[0], []).append((w[1], outcome))
            elif isinstance(outcome, BaseException):
                w.set_exception(outcome)
            else:
                w.set_result(outcome)
        for loop, items in by_loop.items():
            if loop is here:
                _resolve(items)
                continue
            # A closed loop raises RuntimeError: nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, items)

    def _insert(self, rows: list[Any]) -> None:
        # The driver directly, on a connection the writer keeps: one transaction and one
        # fsync per batch, no per-row ORM work, no pool checkout per batch.
        if self._conn is None:
            self._conn = self.store.engine.raw_connection()
        conn = self._conn
        try:
            cursor = conn.cursor()
            for sql, params, many in self.format.statements(rows):
                if many:
                    cursor.executemany(sql, params)
                else:
                    cursor.execute(sql, params)
            cursor.close()
            conn.commit()
        except BaseException:
            self._conn = None
            with contextlib.suppress(Exception):
                conn.rollback()
            with contextlib.suppress(Exception):
                conn.invalidate()
            raise

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _checkpoint_due(self) -> bool:
        return self.signer.due(self._last_id)

    def _checkpoint(self) -> None:
        self.signer.sign(self._last_id, self._last_hash)


def append_now(
    store: Store, key: Ed25519PrivateKey, events: list[Event], anchor: Anchor | None = None
) -> None:
    """Write events without a server running (CLI actions, tests): one batch, then sign."""
    writer = AuditWriter(store, key, checkpoint_seconds=0.0, anchor=anchor)
    writer.start()
    try:
        futures = [writer.submit(e) for e in events]
        for f in futures:
            f.result(30)
    finally:
        writer.stop()
