"""Options of the ``amqp`` source: drain one RabbitMQ (AMQP 0-9-1) queue."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from seamline.sources.base import SourceOptions


class AmqpOptions(SourceOptions):
    """``kind: amqp`` — JSON messages of ``queue``; acknowledged only on commit.

    Each landed row carries ``_message_id``, the message's ``message-id`` property (null
    where the publisher set none), so a message the broker delivers again after a
    crash is recognisably the same record.
    """

    kind: Literal["amqp"] = "amqp"
    url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    """Broker URL, usually ``${AMQP_URL}``."""
    queue: str = Field(min_length=1)
    max_messages: int | None = Field(default=None, gt=0)
    """Stop after this many messages (the rest stay queued for the next run)."""
    idle_timeout: float = Field(default=2.0, gt=0)
    """Stop when the queue has been empty this many seconds."""
    format: Literal["json"] = "json"
    dead_letter: str | None = Field(default=None, min_length=1)
    """Queue for poison messages (not JSON, not an object, a value of the wrong type).
    Each goes there as it is read, with the reason in the headers ``x-seamline-reason``,
    ``x-seamline-position``, ``x-seamline-queue`` and ``x-seamline-dataset``, and to the
    quarantine; once the broker has taken the batch's copies (one transaction) they are
    acknowledged, so a batch of bad messages never stalls the queue. The queue is
    declared durable if it does not exist. If the run then dies, the dead-letter queue
    keeps them (the run's quarantine file is never written) and the next run does not
    see them again. Unset: poison messages are quarantined and acknowledged with the rest
    on commit."""

    @model_validator(mode="after")
    def _not_itself(self) -> AmqpOptions:
        if self.dead_letter == self.queue:
            raise ValueError("dead_letter must name another queue than queue")
        return self
