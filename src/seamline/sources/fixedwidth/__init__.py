"""The ``fixed_width`` source: text files whose columns sit at fixed character positions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.fixedwidth.options import FixedWidthColumn, FixedWidthOptions
from seamline.sources.fixedwidth.reader import FixedWidthReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["FixedWidthColumn", "FixedWidthOptions", "FixedWidthReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(FixedWidthReader)
