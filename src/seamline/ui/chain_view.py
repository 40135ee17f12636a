"""The audit page's chain check, verified once per state of the log.

A page load reads the latest event id, its hash and the latest checkpoint id. If they are
what the last verification saw, its result is shown again without reading the chain. If the log
grew, only the new events and checkpoints are verified, starting from the hash of the last
verified event (which is re-read first: a rewritten tail forces a walk from the first
event). The whole chain is walked again on the first load, when the log shrank, when an
earlier verification found it broken, when the last whole walk is older than
``full_every``, and when an auditor asks for it.

The events and checkpoints are walked by the exchange's own verifier
(``seamline.exchange.verify``), the same rules as ``seamline audit verify``; a walk stops
at the ids read beforehand, so events written meanwhile are left for the next load.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import func, select

from seamline.exchange.auditformat import row_dict
from seamline.exchange.verify import VerifyResult, _Walker
from seamline.store import Store
from seamline.store.models import AuditEvent, AuditSignature

FULL_EVERY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class ChainState:
    """A verification of the log up to ``last_event`` and ``last_checkpoint``."""

    last_event: int
    last_checkpoint: int
    result: VerifyResult
    full_at: dt.datetime
    """When the chain was last walked from its first event."""
    since_full: int = 0
    """Events verified one increment at a time since that walk."""
    walked: int = 0
    """Events read by the verification that produced this state (0: a cached result)."""


def latest(store: Store) -> tuple[int, int, str | None]:
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


def walk(store: Store, upto: tuple[int, int], start: ChainState | None = None) -> VerifyResult:
    """Verify the events after ``start`` (all, if None) up to event ``upto[0]`` and the
    checkpoints after ``start``'s up to checkpoint ``upto[1]``; the result covers the
    events and checkpoints of ``start`` and the new ones."""
    first_event = start.last_event if start else 0
    first_cp = start.last_checkpoint if start else 0
    prev = start.result.last_hash if start else None
    walker = _Walker(prev, first_event + 1)
    with store.session() as s:
        rows = (
            select(AuditEvent)
            .where(AuditEvent.id > first_event, AuditEvent.id <= upto[0])
            .order_by(AuditEvent.id)
            .execution_options(yield_per=2000)
        )
        for row in s.scalars(rows):
            walker.step(row_dict(row))
        cps = list(
            s.scalars(
                select(AuditSignature)
                .where(AuditSignature.id > first_cp, AuditSignature.id <= upto[1])
                .order_by(AuditSignature.id)
            )
        )
        for cp in cps:  # a new checkpoint may pin an event verified before
            if cp.last_event_id not in walker.hashes and cp.last_event_id <= first_event:
                pinned = s.scalar(select(AuditEvent.hash).where(AuditEvent.id == cp.last_event_id))
                if pinned is not None:
                    walker.hashes[cp.last_event_id] = pinned
    hi = walker.expect_id - 1 if walker.expect_id else 0
    for cp in cps:
        walker.checkpoint(
            {"last_event_id": cp.last_event_id, "chain_hash": cp.chain_hash,
             "signature": cp.signature, "public_key": cp.public_key},
            None, 1, hi,
        )  # fmt: skip
    new = walker.result
    if start is None:
        return new
    return VerifyResult(
        ok=start.result.ok and new.ok,
        events=start.result.events + new.events,
        checkpoints=start.result.checkpoints + new.checkpoints,
        first_broken=new.first_broken,
        reason=new.reason,
        last_hash=new.last_hash or start.result.last_hash,
        problems=[*start.result.problems, *new.problems],
    )


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ChainCache:
    """The last verification of the audit chain, extended as the log grows."""

    def __init__(
        self, full_every: dt.timedelta = FULL_EVERY, clock: Callable[[], dt.datetime] = now_utc
    ) -> None:
        self.full_every = full_every
        self.clock = clock
        self.state: ChainState | None = None
        self.lock = threading.Lock()

    def status(self, store: Store, *, full: bool = False) -> ChainState:
        """The chain's verification for the log as it is now (see the module's doc)."""
        with self.lock:  # one verification at a time; the others wait and reuse it
            last_event, last_checkpoint, tip = latest(store)
            upto = (last_event, last_checkpoint)
            now = self.clock()
            old = self.state
            if full or (old is not None and now - old.full_at >= self.full_every):
                old = None
            if (
                old is not None
                and (old.last_event, old.last_checkpoint) == upto
                and tip == old.result.last_hash
            ):
                self.state = replace(old, walked=0)
            elif (
                old is not None
                and old.result.ok
                and upto[0] >= old.last_event
                and upto[1] >= old.last_checkpoint
                and self.tip_unchanged(store, old)
            ):
                result = walk(store, upto, old)
                walked = result.events - old.result.events
                self.state = ChainState(*upto, result, old.full_at, old.since_full + walked, walked)
            else:
                result = walk(store, upto)
                self.state = ChainState(*upto, result, now, 0, result.events)
            return self.state

    @staticmethod
    def tip_unchanged(store: Store, old: ChainState) -> bool:
        """Whether the last verified event still has the hash it was verified with."""
        if old.last_event == 0:
            return True
        with store.session() as s:
            tip = s.scalar(select(AuditEvent.hash).where(AuditEvent.id == old.last_event))
        return tip is not None and tip == old.result.last_hash
