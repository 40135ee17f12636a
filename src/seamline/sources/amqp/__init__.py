"""The ``amqp`` source: JSON messages of a RabbitMQ queue, acknowledged only on commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.amqp.options import AmqpOptions
from seamline.sources.amqp.reader import AmqpReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["AmqpOptions", "AmqpReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(AmqpReader)
