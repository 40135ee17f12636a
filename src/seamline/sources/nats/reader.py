"""Fetch a JetStream durable pull consumer in batches; acknowledge only on commit.

nats-py is asyncio; the reader runs it in a private event loop that lives from
:meth:`NatsReader.batches` until :meth:`NatsReader.commit` (or :meth:`close`), so the
acknowledgements can still be sent after the landing file is complete. Messages that
are never acknowledged (the process died) are taken back by the next run at once
(:mod:`seamline.sources.nats.reclaim`). Every row carries ``_message_id``, the stream
sequence, so a message delivered twice is recognisably the same record.

With ``dead_letter_subject`` set, a poison message (one the quarantine takes) is
published there with its reason in headers and terminated (``+TERM``) as soon as its
batch is assembled: a bad batch is out of the consumer whatever becomes of the run,
and the good messages are still acknowledged only on commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.js import api

from seamline.errors import SourceError
from seamline.sources.base import (
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
    SourceTime,
)
from seamline.sources.messages import MESSAGE_ID, with_message_ids
from seamline.sources.nats import reclaim
from seamline.sources.nats.options import NatsOptions
from seamline.sources.records import PendingRecord, RecordAssembler, assemble, decode_json
from seamline.sources.sql.reader import safe_url

T = TypeVar("T")

ACK_WAIT_SECONDS = 300.0
"""``ack_wait`` of a consumer the reader creates: how long a read may take before commit."""
CONNECT_TIMEOUT = 3.0
ACK_TIMEOUT = 10.0


class NatsReader(Reader[NatsOptions]):
    """``kind: nats`` — one record per JSON message; non-JSON messages are quarantined."""

    kind: ClassVar[str] = "nats"
    options_model: ClassVar[type[SourceOptions]] = NatsOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        streaming=True,
        schema_inference=True,
        acknowledges=True,
        position_unit="message",
        state="append",
    )
    record_key: ClassVar[str] = MESSAGE_ID
    """The column that names a message across runs (append states keep one row per key)."""

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._nc: Any = None
        self._js: Any = None
        self._replies: dict[int, str] = {}
        """Stream sequence -> reply subject of its latest delivery, to acknowledge on commit."""
        self._reclaim: reclaim.Reclaim | None = None
        self.delivered = 0
        """Messages fetched in this read (poison ones included)."""
        self.reclaimed = 0
        """Messages a previous run left unacknowledged, taken back by this one."""
        self.dead_lettered = 0
        """Poison messages published to the dead-letter subject and terminated."""
        self.newest: datetime | None = None
        """When the newest message of this read was stored in the stream."""

    def describe(self) -> str:
        o = self.opts
        return f"nats {safe_url(o.url)} stream {o.stream} subject {o.subject} consumer {o.durable}"

    def metadata(self) -> dict[str, str]:
        """What the read did beyond the rows: messages taken back, poison messages moved."""
        out = {"reclaimed": str(self.reclaimed)}
        if self.opts.dead_letter_subject is not None:
            out["dead_letter"] = self.opts.dead_letter_subject
            out["dead_lettered"] = str(self.dead_lettered)
        return out

    def source_time(self) -> SourceTime | None:
        """When the stream stored the newest message of this read."""
        return SourceTime(self.newest, "message time") if self.newest is not None else None

    def batches(self) -> Iterator[Batch]:
        self._loop = asyncio.new_event_loop()
        try:
            sub = self._subscribe()
            self._reclaim = self._run(
                reclaim.start(self._js, self.opts.stream, self.opts.durable, ACK_WAIT_SECONDS)
            )
            if self._reclaim is not None:
                self.reclaimed = self._reclaim.count
            yield from self._drain(sub)
        except BaseException:
            self.close()
            raise

    def commit(self) -> None:
        """Acknowledge every message delivered in this read, then close."""
        try:
            if self._replies and self._nc is not None:
                self._run(self._ack_all(list(self._replies.values())))
                self._replies = {}
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise self._error(
                f"could not acknowledge {self.delivered} messages: {exc!r}",
                hint="The server will deliver them again; the next run lands them again.",
            ) from exc
        finally:
            self.close()

    def close(self) -> None:
        """Close the connection and the private event loop; unacked messages come back."""
        loop, self._loop = self._loop, None
        nc, self._nc = self._nc, None
        if loop is None:
            return
        try:
            if self._reclaim is not None and nc is not None and not nc.is_closed:
                with contextlib.suppress(nats.errors.Error, OSError, TimeoutError):
                    loop.run_until_complete(reclaim.finish(self._js, self._reclaim))
                self._reclaim = None
            if nc is not None and not nc.is_closed:
                loop.run_until_complete(nc.close())
            loop.run_until_complete(loop.shutdown_asyncgens())
            _cancel_pending(loop)
        finally:
            loop.close()

    # -- internals ---------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            raise self._error("the reader is closed")
        return self._loop.run_until_complete(coro)

    def _subscribe(self) -> Any:
        o = self.opts
        try:
            self._nc = self._run(
                asyncio.wait_for(
                    nats.connect(
                        o.url,
                        connect_timeout=CONNECT_TIMEOUT,
                        allow_reconnect=False,
                        max_reconnect_attempts=1,  # 0 would mean "retry forever"
                        reconnect_time_wait=0.2,
                        error_cb=_quiet,
                    ),
                    timeout=3 * CONNECT_TIMEOUT,
                )
            )
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise self._error(
                f"cannot connect to the NATS server: {type(exc).__name__}",
                hint="Check that nats-server (with JetStream) runs and the url is right.",
            ) from exc
        config = api.ConsumerConfig(
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_SECONDS,
            max_ack_pending=-1,
            deliver_policy=api.DeliverPolicy.ALL,
        )
        try:
            self._js = self._nc.jetstream()
            return self._run(
                self._js.pull_subscribe(
                    o.subject, durable=o.durable, stream=o.stream, config=config
                )
            )
        except nats.js.errors.NotFoundError as exc:
            raise self._error(
                f"the stream {o.stream!r} does not exist",
                hint="Check the stream option, or create the stream (nats stream add).",
            ) from exc
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise self._error(f"cannot subscribe to {o.subject!r}: {exc!r}") from exc

    def _limit(self) -> int | None:
        limits = [n for n in (self.opts.max_messages, self.context.limit) if n is not None]
        return min(limits) if limits else None

    def _drain(self, sub: Any) -> Iterator[Batch]:
        assembler = RecordAssembler()
        limit = self._limit()
        size = max(1, self.context.batch_size)
        idle_since = time.monotonic()
        while limit is None or self.delivered < limit:
            want = size if limit is None else min(size, limit - self.delivered)
            wait = max(0.05, self.opts.idle_timeout - (time.monotonic() - idle_since))
            try:
                msgs = self._run(sub.fetch(batch=want, timeout=wait))
            except (nats.errors.TimeoutError, TimeoutError):
                msgs = []
            fresh: list[PendingRecord | QuarantineRecord] = []
            held: dict[int, int] = {}  # record no -> stream sequence
            for msg in msgs:
                seq = int(msg.metadata.sequence.stream)
                if self._reclaim is not None:
                    self._reclaim.saw(seq)
                known = seq in self._replies
                self._replies[seq] = str(msg.reply)
                if known:  # redelivered during this same read: already taken
                    continue
                self.delivered += 1
                held[self.delivered] = seq
                stamp = msg.metadata.timestamp
                if isinstance(stamp, datetime):
                    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
                    self.newest = stamp if self.newest is None else max(self.newest, stamp)
                fresh.append(decode_json(self.delivered, bytes(msg.data)))
            if self._reclaim is not None and self._reclaim.done:
                self._run(reclaim.finish(self._js, self._reclaim))
                self._reclaim = None
            if fresh:
                idle_since = time.monotonic()
                yield self._settle(assemble(assembler, fresh), held)
            elif self._reclaim is None and time.monotonic() - idle_since >= self.opts.idle_timeout:
                break
        if self._reclaim is not None:
            self._run(reclaim.finish(self._js, self._reclaim))
            self._reclaim = None
        if self.delivered == 0:
            yield with_message_ids(assemble(assembler, []), {})

    def _settle(self, batch: Batch, held: dict[int, int]) -> Batch:
        """Dead-letter and terminate the batch's poison messages; hold the rest for commit."""
        subject = self.opts.dead_letter_subject
        if subject is not None and batch.quarantined:
            try:
                self._run(self._dead_letter(subject, batch.quarantined, held))
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                raise self._error(
                    f"could not publish to the dead-letter subject {subject!r}: {exc!r}",
                    hint="Check that a stream stores that subject (nats stream add), then rerun.",
                ) from exc
        return with_message_ids(batch, {n: str(seq) for n, seq in held.items()})

    async def _dead_letter(
        self, subject: str, records: list[QuarantineRecord], held: dict[int, int]
    ) -> None:
        for q in records:
            seq = held[q.record_no]
            headers = {
                "Nats-Msg-Id": f"{self.opts.stream}/{seq}",  # a second copy after a crash is dropped
                "Seamline-Reason": q.reason,
                "Seamline-Position": q.position,
                "Seamline-Stream": self.opts.stream,
                "Seamline-Sequence": str(seq),
                "Seamline-Dataset": self.context.dataset,
            }
            await self._js.publish(subject, q.raw, headers=headers, timeout=ACK_TIMEOUT)
            await self._nc.publish(self._replies.pop(seq), b"+TERM")
            self.dead_lettered += 1
        await self._nc.flush(timeout=ACK_TIMEOUT)

    async def _ack_all(self, replies: list[str]) -> None:
        for reply in replies[:-1]:
            await self._nc.publish(reply, b"+ACK")
        # The last one waits for the server's answer, so every ack before it is processed.
        await self._nc.request(replies[-1], b"+ACK", timeout=ACK_TIMEOUT)

    def _error(self, message: str, *, hint: str | None = None) -> SourceError:
        return SourceError(
            message,
            where=f"dataset {self.context.dataset} ({safe_url(self.opts.url)})",
            hint=hint or "Check the nats source options.",
        )


async def _quiet(exc: Exception) -> None:
    """Connection errors surface as exceptions of the calls; do not log them twice."""


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
