"""The ``json`` source: JSON documents and NDJSON, records chosen by a path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.jsonsrc.options import JsonOptions
from seamline.sources.jsonsrc.reader import JsonReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["JsonOptions", "JsonReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(JsonReader)
