"""Drain a RabbitMQ queue with ``basic_get``; acknowledge everything only on commit.

Messages are fetched unacknowledged. Until :meth:`AmqpReader.commit` runs (after the
landing file is complete) the broker keeps them as "unacked"; if the process dies
or the connection closes first, the broker puts them back in the queue, so a crash
loses nothing and — because the landing file was never finalized — duplicates nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pika
import pika.exceptions

from seamline.errors import SourceError
from seamline.sources.amqp.options import AmqpOptions
from seamline.sources.base import (
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
)
from seamline.sources.records import PendingRecord, RecordAssembler, assemble, decode_json
from seamline.sources.sql.reader import safe_url

POLL_SECONDS = 0.05
HEARTBEAT_SECONDS = 600
"""Long enough that a slow landing step between batches does not drop the connection."""


class AmqpReader(Reader):
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

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        if not isinstance(options, AmqpOptions):
            raise SourceError(f"the amqp reader got {type(options).__name__} options")
        self.opts: AmqpOptions = options
        self._connection: Any = None
        self._channel: Any = None
        self._last_tag: int | None = None
        self.delivered = 0
        """Messages fetched (and not yet acknowledged) in this read."""

    def describe(self) -> str:
        return f"amqp {safe_url(self.opts.url)} queue {self.opts.queue}"

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

    def _limit(self) -> int | None:
        limits = [n for n in (self.opts.max_messages, self.context.limit) if n is not None]
        return min(limits) if limits else None

    def _drain(self) -> Iterator[Batch]:
        assembler = RecordAssembler()
        limit = self._limit()
        size = max(1, self.context.batch_size)
        pending: list[PendingRecord | QuarantineRecord] = []
        idle_since = time.monotonic()
        while limit is None or self.delivered < limit:
            method, _props, body = self._channel.basic_get(queue=self.opts.queue, auto_ack=False)
            if method is None:
                if pending:
                    yield assemble(assembler, pending)
                    pending = []
                if time.monotonic() - idle_since >= self.opts.idle_timeout:
                    break
                self._connection.sleep(POLL_SECONDS)
                continue
            idle_since = time.monotonic()
            self.delivered += 1
            self._last_tag = int(method.delivery_tag)
            pending.append(decode_json(self.delivered, bytes(body)))
            if len(pending) >= size:
                yield assemble(assembler, pending)
                pending = []
        if pending or self.delivered == 0:
            yield assemble(assembler, pending)

    def _error(self, message: str, *, hint: str | None = None) -> SourceError:
        return SourceError(
            message,
            where=f"dataset {self.context.dataset} ({safe_url(self.opts.url)})",
            hint=hint or "Check the amqp source options.",
        )
