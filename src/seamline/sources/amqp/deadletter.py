"""Publish poison messages of an amqp source to its dead-letter queue, confirmed.

The copy goes through a channel of its own in publisher-confirm mode, so
:meth:`DeadLetters.send` returns only once the broker has the message; only then may
the reader acknowledge the original. A crash between the two sends the message to the
dead-letter queue a second time (with the same headers and ``message-id``): the
dead-letter queue is at-least-once, the source queue loses nothing.
"""

from __future__ import annotations

from typing import Any

import pika
import pika.exceptions


class DeadLetters:
    """A confirmed channel to one dead-letter queue."""

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
        channel.confirm_delivery()
        self.channel = channel

    def send(self, body: bytes, props: Any, *, reason: str, position: str) -> None:
        """Publish one message with its reason; raises if the broker does not confirm it."""
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
