"""The audit chain's check for a long-running reader (the UI's audit page), verified
once per state of the log.

A page load reads the latest event id, its hash and the latest checkpoint id. If they are
what the last verification saw, its result is shown again without reading the chain. If the log
grew, only the new events and checkpoints are verified, starting from the hash of the last
verified event (which is re-read first: a rewritten tail forces a walk from the first
event). The whole chain is walked again on the first load, when the log shrank, when an
earlier verification found it broken, when the last whole walk is older than
``full_every``, and when an auditor asks for it.

The events and checkpoints are walked by the exchange's own verifier
(:class:`~seamline.exchange.verify.Walker`), the same rules as ``seamline audit verify``;
the rows come from the store's reads of the log (``seamline.store.auditlog``); a walk stops
at the ids read beforehand, so events written meanwhile are left for the next load.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from seamline.exchange.verify import VerifyResult, Walker
from seamline.store import Store
from seamline.store.auditlog import chain_tip, checkpoints_between, event_hash, events_between

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


def walk(store: Store, upto: tuple[int, int], start: ChainState | None = None) -> VerifyResult:
    """Verify the events after ``start`` (all, if None) up to event ``upto[0]`` and the
    checkpoints after ``start``'s up to checkpoint ``upto[1]``; the result covers the
    events and checkpoints of ``start`` and the new ones."""
    first_event = start.last_event if start else 0
    first_cp = start.last_checkpoint if start else 0
    prev = start.result.last_hash if start else None
    walker = Walker(prev, first_event + 1)
    for event in events_between(store, first_event, upto[0]):
        walker.step(event)
    cps = checkpoints_between(store, first_cp, upto[1])
    for cp in cps:  # a new checkpoint may pin an event verified before
        if cp["last_event_id"] not in walker.hashes and cp["last_event_id"] <= first_event:
            pinned = event_hash(store, cp["last_event_id"])
            if pinned is not None:
                walker.hashes[cp["last_event_id"]] = pinned
    hi = walker.expect_id - 1 if walker.expect_id else 0
    for cp in cps:
        walker.checkpoint(cp, None, 1, hi)
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
            last_event, last_checkpoint, tip = chain_tip(store)
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
        tip = event_hash(store, old.last_event)
        return tip is not None and tip == old.result.last_hash
