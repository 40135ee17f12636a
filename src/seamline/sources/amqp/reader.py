"""Drain a RabbitMQ queue (a consumer, no prefetch window); acknowledge only on commit.

Messages are fetched unacknowledged. Until :meth:`AmqpReader.commit` runs (after the
landing file is complete) the broker keeps them as "unacked"; if the process dies
or the connection closes first, the broker puts them back in the queue, so a crash
loses nothing and — because the landing file was never finalized — duplicates nothing.
Every row carries ``_message_id`` (the ``message-id`` property), so a message the
broker delivers again is recognisably the same record; an ``append`` state without a
``key:`` keeps one row per ``_message_id``. A message published without a message-id
cannot be de-duplicated this way (its ``_message_id`` is null and every such row is kept):
publishers should set one, or the dataset should declare a ``key:`` from the payload.

With ``dead_letter`` set, a poison message (one the quarantine takes) is copied to the
dead-letter queue with its reason and acknowledged as soon as its batch is assembled,
before the landing: a bad batch is out of the queue whatever becomes of the run, and
the good messages are still acknowledged only on commit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pika
import pika.exceptions

from seamline.errors import SourceError
from seamline.sources.amqp.deadletter import DeadLetters
from seamline.sources.amqp.options import AmqpOptions
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
from seamline.sources.records import PendingRecord, RecordAssembler, assemble, decode_json
from seamline.sources.sql.reader import safe_url

POLL_SECONDS = 0.05
"""How long to wait for a message before checking the idle timeout."""
HEARTBEAT_SECONDS = 600
"""Long enough that a slow landing step between batches does not drop the connection."""


class AmqpReader(Reader[AmqpOptions]):
    """``kind: amqp`` — one record per JSON message; non-JSON messages are quarantined."""

    kind: ClassVar[str] = "amqp"
    options_model: ClassVar[type[SourceOptions]] = AmqpOptions
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
        self._connection: Any = None
        self._channel: Any = None
        self._last_tag: int | None = None
        self._dead: DeadLetters | None = None
        self.delivered = 0
        """Messages fetched in this read (poison ones included)."""
        self.dead_lettered = 0
        """Poison messages copied to the dead-letter queue and acknowledged."""
        self.newest: datetime | None = None
        """The newest publisher timestamp among the messages of this read."""

    def describe(self) -> str:
        return f"amqp {safe_url(self.opts.url)} queue {self.opts.queue}"

    def metadata(self) -> dict[str, str]:
        """What the read did beyond the rows: poison messages moved to the dead-letter queue."""
        if self.opts.dead_letter is None:
            return {}
        return {"dead_letter": self.opts.dead_letter, "dead_lettered": str(self.dead_lettered)}

    def source_time(self) -> SourceTime | None:
        """The newest ``timestamp`` property the publishers set (None when none did)."""
        return SourceTime(self.newest, "message time") if self.newest is not None else None

    def batches(self) -> Iterator[Batch]:
        self._open()
        try:
            yield from self._drain()
        except pika.exceptions.AMQPError as exc:
            self.close()
            raise self._error(f"the broker connection failed while reading: {exc!r}") from exc
        except BaseException:
            self.close()
            raise

    def commit(self) -> None:
        """Acknowledge every message delivered in this read, then close."""
        try:
            if self._last_tag is not None and self._channel is not None:
                self._channel.basic_ack(delivery_tag=self._last_tag, multiple=True)
                self._last_tag = None
        except pika.exceptions.AMQPError as exc:
            raise self._error(
                f"could not acknowledge {self.delivered} messages: {exc!r}",
                hint="The broker will deliver them again; the next run lands them again.",
            ) from exc
        finally:
            self.close()

    def close(self) -> None:
        """Close the connection; unacknowledged messages go back to the queue."""
        connection, self._connection, self._channel = self._connection, None, None
        self._dead = None
        if connection is not None and connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()

    # -- internals ---------------------------------------------------------------

    def _open(self) -> None:
        try:
            params = pika.URLParameters(self.opts.url)
        except (ValueError, TypeError) as exc:
            raise self._error(f"the broker URL cannot be used: {exc}") from exc
        if "heartbeat" not in self.opts.url:
            params.heartbeat = HEARTBEAT_SECONDS
        params.connection_attempts = 1
        try:
            self._connection = pika.BlockingConnection(params)
            self._channel = self._connection.channel()
            self._channel.queue_declare(queue=self.opts.queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            self.close()
            raise self._error(
                f"the queue {self.opts.queue!r} does not exist ({exc.reply_text})",
                hint="Check the queue option, or declare the queue on the broker.",
            ) from exc
        except pika.exceptions.AMQPError as exc:
            self.close()
            raise self._error(
                f"cannot connect to the broker: {type(exc).__name__}",
                hint="Check that RabbitMQ is running and the URL (host, port, user, vhost) is right.",
            ) from exc
        if self.opts.dead_letter is not None:
            try:
                self._dead = DeadLetters(
                    self._connection,
                    self.opts.dead_letter,
                    source=self.opts.queue,
                    dataset=self.context.dataset,
                )
            except pika.exceptions.AMQPError as exc:
                self.close()
                raise self._error(
                    f"cannot use the dead-letter queue {self.opts.dead_letter!r}: {exc!r}",
                    hint="Check the dead_letter option and the queue's settings on the broker.",
                ) from exc

    def _saw(self, stamp: Any) -> None:
        """Keep the newest message time (AMQP's ``timestamp``: seconds since 1970, UTC)."""
        if isinstance(stamp, int | float) and stamp > 0:
            at = datetime.fromtimestamp(stamp, UTC)
            if self.newest is None or at > self.newest:
                self.newest = at

    def _limit(self) -> int | None:
        limits = [n for n in (self.opts.max_messages, self.context.limit) if n is not None]
        return min(limits) if limits else None

    def _drain(self) -> Iterator[Batch]:
        assembler = RecordAssembler()
        limit = self._limit()
        size = max(1, self.context.batch_size)
        pending: list[PendingRecord | QuarantineRecord] = []
        held: dict[int, tuple[int, Any]] = {}  # record no -> (delivery tag, properties)
        ids: dict[int, str | None] = {}
        # Every message stays unacknowledged until commit, so a prefetch window would
        # stop delivery when full: no window, or exactly the messages wanted. The
        # broker pushes; pika reads the socket only when its buffer is empty, so the
        # client holds little more than a batch.
        self._channel.basic_qos(prefetch_count=min(limit, 65_535) if limit else 0)
        messages = self._channel.consume(
            self.opts.queue, auto_ack=False, inactivity_timeout=POLL_SECONDS
        )
        idle_since = time.monotonic()
        try:
            while limit is None or self.delivered < limit:
                method, props, body = next(messages)
                if method is None:
                    if pending:
                        yield self._settle(assemble(assembler, pending), held, ids)
                        pending, held, ids = [], {}, {}
                    if time.monotonic() - idle_since >= self.opts.idle_timeout:
                        break
                    continue
                idle_since = time.monotonic()
                self.delivered += 1
                held[self.delivered] = (int(method.delivery_tag), props)
                self._saw(getattr(props, "timestamp", None))
                ids[self.delivered] = getattr(props, "message_id", None)
                pending.append(decode_json(self.delivered, bytes(body)))
                if len(pending) >= size:
                    yield self._settle(assemble(assembler, pending), held, ids)
                    pending, held, ids = [], {}, {}
        finally:
            if self._channel is not None and self._channel.is_open:
                self._channel.cancel()  # messages it still buffers go back, one by one
        if pending or self.delivered == 0:
            yield self._settle(assemble(assembler, pending), held, ids)

    def _settle(
        self, batch: Batch, held: dict[int, tuple[int, Any]], ids: dict[int, str | None]
    ) -> Batch:
        """Dead-letter and acknowledge the batch's poison messages; hold the rest for commit."""
        if self._dead is not None and batch.quarantined:
            try:
                for q in batch.quarantined:
                    _tag, props = held[q.record_no]
                    self._dead.send(q.raw, props, reason=q.reason, position=q.position)
                self._dead.commit()
            except pika.exceptions.AMQPError as exc:
                raise self._error(
                    f"could not move {len(batch.quarantined)} poison messages to the "
                    f"dead-letter queue {self.opts.dead_letter!r}: {exc!r}",
                    hint="Nothing was acknowledged; check the queue on the broker and rerun.",
                ) from exc
            for q in batch.quarantined:
                tag, _props = held.pop(q.record_no)
                self._channel.basic_ack(delivery_tag=tag)
                self.dead_lettered += 1
        if held:
            self._last_tag = max(tag for tag, _ in held.values())
        return with_message_ids(batch, ids)

    def _error(self, message: str, *, hint: str | None = None) -> SourceError:
        return SourceError(
            message,
            where=f"dataset {self.context.dataset} ({safe_url(self.opts.url)})",
            hint=hint or "Check the amqp source options.",
        )
