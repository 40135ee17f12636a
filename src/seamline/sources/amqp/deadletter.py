"""Publish poison messages of an amqp source to its dead-letter queue, in transactions.

The copies go through a channel of its own in transaction mode: a batch's poison
messages are published, then :meth:`DeadLetters.commit` returns once the broker has
taken them all (one round trip per batch instead of one per message); only then may
the reader acknowledge the originals. A copy the broker cannot route (the queue was
deleted) fails the read. A crash between the commit and the acknowledgements sends the message to the
dead-letter queue a second time (with the same headers and ``message-id``): the
dead-letter queue is at-least-once, the source queue loses nothing.
"""

from __future__ import annotations

from typing import Any

import pika
import pika.exceptions


class DeadLetters:
    """A transactional channel to one dead-letter queue."""

    def __init__(self, connection: Any, queue: str, *, source: str, dataset: str) -> None:
        self.queue, self.source, self.dataset = queue, source, dataset
        self.sent = 0
        channel = connection.channel()
        try:
            channel.queue_declare(queue=queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code != 404:
                raise
            channel = connection.channel()
            channel.queue_declare(queue=queue, durable=True)
        channel.tx_select()
        channel.add_on_return_callback(self._returned)
        self.connection = connection
        self.channel = channel
        self.returned: list[str] = []

    def send(self, body: bytes, props: Any, *, reason: str, position: str) -> None:
        """Publish one message with its reason (taken by the broker on :meth:`commit`)."""
        headers = dict(getattr(props, "headers", None) or {})
        headers.update(
            {
                "x-seamline-reason": reason,
                "x-seamline-position": position,
                "x-seamline-queue": self.source,
                "x-seamline-dataset": self.dataset,
            }
        )
        out = pika.BasicProperties(
            content_type=getattr(props, "content_type", None),
            message_id=getattr(props, "message_id", None),
            headers=headers,
            delivery_mode=pika.DeliveryMode.Persistent,
        )
        self.channel.basic_publish(
            exchange="", routing_key=self.queue, body=body, properties=out, mandatory=True
        )
        self.sent += 1

    def commit(self) -> None:
        """Have the broker take every message sent since the last commit."""
        self.channel.tx_commit()
        self.connection.process_data_events(0)  # deliver returns, if any, to _returned
        if self.returned:
            raise pika.exceptions.AMQPError(
                f"{len(self.returned)} dead letters came back unroutable: {self.returned[0]}"
            )

    def _returned(self, _channel: Any, method: Any, _props: Any, _body: bytes) -> None:
        self.returned.append(f"{method.reply_code} {method.reply_text}")
