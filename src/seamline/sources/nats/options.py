"""Options of the ``nats`` source: a durable pull consumer on a JetStream stream."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seamline.sources.base import SourceOptions


class NatsOptions(SourceOptions):
    """``kind: nats`` — JSON messages of ``subject`` in ``stream``; acknowledged on commit."""

    kind: Literal["nats"] = "nats"
    url: str = "nats://127.0.0.1:4222"
    stream: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    durable: str = Field(min_length=1)
    """Name of the durable pull consumer (created if it does not exist)."""
    max_messages: int | None = Field(default=None, gt=0)
    idle_timeout: float = Field(default=2.0, gt=0)
    """Stop when no message arrived for this many seconds."""
    format: Literal["json"] = "json"
