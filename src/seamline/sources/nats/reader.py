"""Fetch a JetStream durable pull consumer in batches; acknowledge only on commit.

nats-py is asyncio; the reader runs it in a private event loop that lives from
:meth:`NatsReader.batches` until :meth:`NatsReader.commit` (or :meth:`close`), so the
acknowledgements can still be sent after the landing file is complete. Messages that
are never acknowledged (the process died) are delivered again by the server once the
consumer's ``ack_wait`` has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
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
)
from seamline.sources.nats.options import NatsOptions
from seamline.sources.records import PendingRecord, RecordAssembler, assemble, decode_json
from seamline.sources.sql.reader import safe_url

T = TypeVar("T")

ACK_WAIT_SECONDS = 300.0
"""``ack_wait`` of a consumer the reader creates: how long a read may take before commit."""
CONNECT_TIMEOUT = 3.0
ACK_TIMEOUT = 10.0


class NatsReader(Reader):
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

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        if not isinstance(options, NatsOptions):
            raise SourceError(f"the nats reader got {type(options).__name__} options")
        self.opts: NatsOptions = options
        self._loop: asyncio.AbstractEventLoop | None = None
        self._nc: Any = None
        self._replies: list[str] = []
        self.delivered = 0
        """Messages fetched (and not yet acknowledged) in this read."""

    def describe(self) -> str:
        o = self.opts
        return f"nats {safe_url(o.url)} stream {o.stream} subject {o.subject} consumer {o.durable}"

    def batches(self) -> Iterator[Batch]:
        self._loop = asyncio.new_event_loop()
        try:
            sub = self._subscribe()
            yield from self._drain(sub)
        except BaseException:
            self.close()
            raise

    def commit(self) -> None:
        """Acknowledge every message delivered in this read, then close."""
        try:
            if self._replies and self._nc is not None:
                self._run(self._ack_all(self._replies))
                self._replies = []
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
            js = self._nc.jetstream()
            return self._run(
                js.pull_subscribe(o.subject, durable=o.durable, stream=o.stream, config=config)
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
        seen: set[int] = set()
        idle_since = time.monotonic()
        while limit is None or self.delivered < limit:
            want = size if limit is None else min(size, limit - self.delivered)
            wait = max(0.05, self.opts.idle_timeout - (time.monotonic() - idle_since))
            try:
                msgs = self._run(sub.fetch(batch=want, timeout=wait))
            except (nats.errors.TimeoutError, TimeoutError):
                msgs = []
            fresh: list[PendingRecord | QuarantineRecord] = []
            for msg in msgs:
                seq = int(msg.metadata.sequence.stream)
                self._replies.append(str(msg.reply))
                if seq in seen:  # redelivered during this same read: already taken
                    continue
                seen.add(seq)
                self.delivered += 1
                fresh.append(decode_json(self.delivered, bytes(msg.data)))
            if fresh:
                idle_since = time.monotonic()
                yield assemble(assembler, fresh)
            elif time.monotonic() - idle_since >= self.opts.idle_timeout:
                break
        if self.delivered == 0:
            yield assemble(assembler, [])

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
