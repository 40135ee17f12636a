"""The ``nats`` source: JSON messages of a NATS JetStream stream, acknowledged only on commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.nats.options import NatsOptions
from seamline.sources.nats.reader import NatsReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["NatsOptions", "NatsReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(NatsReader)
