"""Options of the ``nats`` source: a durable pull consumer on a JetStream stream."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from seamline.sources.base import SourceOptions


class NatsOptions(SourceOptions):
    """``kind: nats`` — JSON messages of ``subject`` in ``stream``; acknowledged on commit.

    Each landed row carries ``_message_id``, the message's stream sequence, so a message
    delivered again after a crash is recognisably the same record. Messages a crashed run
    left unacknowledged are taken back at the start of the next run: the consumer's
    ``ack_wait`` is shortened to 0.5 s until they are redelivered, then set back. One
    run per durable consumer at a time.
    """

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
    dead_letter_subject: str | None = Field(default=None, min_length=1)
    """Subject for poison messages (not JSON, not an object, a value of the wrong type);
    a stream must store it. Each goes there as it is read, with the reason in the headers
    ``Seamline-Reason``, ``Seamline-Position``, ``Seamline-Stream``, ``Seamline-Sequence``
    and ``Seamline-Dataset`` (``Nats-Msg-Id`` drops a second copy after a crash), and to
    the quarantine; then it is terminated (``+TERM``), so a batch of bad messages never
    stalls the consumer. If the run then dies, the dead-letter stream keeps them (the
    run's quarantine file is never written) and the next run does not see them again.
    Unset: poison messages are quarantined and acknowledged with the rest on commit."""

    @model_validator(mode="after")
    def _not_itself(self) -> NatsOptions:
        if self.dead_letter_subject == self.subject:
            raise ValueError("dead_letter_subject must differ from subject")
        return self
