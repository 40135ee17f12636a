"""Take back, at once, the messages a crashed run left unacknowledged on a durable consumer.

JetStream redelivers a message only when its ``ack_wait`` has passed since it was
delivered (300 s on a consumer the reader creates), so a run that died before its
commit would leave the next run, started at once, nothing to read. nats-py (and the
JetStream API) cannot negatively acknowledge a message without its delivery's reply
subject, which died with the run, so the reader shortens the consumer's ``ack_wait``
to :data:`RECLAIM_ACK_WAIT` while it fetches the messages pending at its start, and
sets the old value back once it has them all (or after :data:`RECLAIM_WINDOW`).

A run that dies in between leaves the consumer at exactly :data:`RECLAIM_ACK_WAIT`;
the next run recognises that value and restores the reader's default ``ack_wait``.
One reader per durable consumer at a time: a second concurrent reader's messages
would look left over too.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from nats.js import api

RECLAIM_ACK_WAIT = 0.5
"""Seconds: the ``ack_wait`` while pending messages are taken back."""
RECLAIM_WINDOW = 5.0
"""Seconds after which the reader stops waiting for left-over messages."""


@dataclasses.dataclass
class Reclaim:
    """The left-over messages of one consumer and how to restore its ``ack_wait``."""

    stream: str
    count: int
    """Messages delivered but unacknowledged when the run started."""
    upto: int
    """The stream sequence of the last message delivered before the run started."""
    config: api.ConsumerConfig
    restore: float | None
    """The ``ack_wait`` to set back (None: it was left as it was)."""
    deadline: float
    taken: set[int] = dataclasses.field(default_factory=set)

    def saw(self, seq: int) -> None:
        if seq <= self.upto:
            self.taken.add(seq)

    @property
    def done(self) -> bool:
        return len(self.taken) >= self.count or time.monotonic() >= self.deadline


async def start(js: Any, stream: str, durable: str, default_ack_wait: float) -> Reclaim | None:
    """Shorten the consumer's ``ack_wait`` if a previous run left messages pending."""
    info = await js.consumer_info(stream, durable)
    if not info.num_ack_pending:
        return None
    config = info.config
    current = float(config.ack_wait or default_ack_wait)
    restore: float | None = None
    if current == RECLAIM_ACK_WAIT:  # a run died while reclaiming: put the default back
        restore = default_ack_wait
    elif current > RECLAIM_ACK_WAIT:
        restore = current
        await js.add_consumer(stream, dataclasses.replace(config, ack_wait=RECLAIM_ACK_WAIT))
    return Reclaim(
        stream=stream,
        count=int(info.num_ack_pending),
        upto=int(info.delivered.stream_seq),
        config=config,
        restore=restore,
        deadline=time.monotonic() + RECLAIM_WINDOW,
    )


async def finish(js: Any, reclaim: Reclaim) -> None:
    """Set the consumer's ``ack_wait`` back."""
    if reclaim.restore is not None:
        config = dataclasses.replace(reclaim.config, ack_wait=reclaim.restore)
        await js.add_consumer(reclaim.stream, config)
        reclaim.restore = None
