"""Options of the ``amqp`` source: drain one RabbitMQ (AMQP 0-9-1) queue."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seamline.sources.base import SourceOptions


class AmqpOptions(SourceOptions):
    """``kind: amqp`` — JSON messages of ``queue``; acknowledged only on commit."""

    kind: Literal["amqp"] = "amqp"
    url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    """Broker URL, usually ``${AMQP_URL}``."""
    queue: str = Field(min_length=1)
    max_messages: int | None = Field(default=None, gt=0)
    """Stop after this many messages (the rest stay queued for the next run)."""
    idle_timeout: float = Field(default=2.0, gt=0)
    """Stop when the queue has been empty this many seconds."""
    format: Literal["json"] = "json"
