"""The ``xml`` source: records are the elements a path selects, streamed with iterparse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.xmlsrc.options import XmlOptions
from seamline.sources.xmlsrc.reader import XmlReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["XmlOptions", "XmlReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(XmlReader)
