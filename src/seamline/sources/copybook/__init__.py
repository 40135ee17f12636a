"""The ``copybook`` source: mainframe record files laid out by a COBOL copybook.

Public API (the CLI uses it): :func:`parse_copybook`, :func:`load_copybook`,
:func:`layout_table`, :func:`read_file` and the reader class :class:`CopybookReader`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.copybook.layout import Field, Layout, layout_table
from seamline.sources.copybook.options import CopybookOptions
from seamline.sources.copybook.parser import load_copybook, parse_copybook
from seamline.sources.copybook.reader import CopybookReader, read_file

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = [
    "CopybookOptions",
    "CopybookReader",
    "Field",
    "Layout",
    "layout_table",
    "load_copybook",
    "parse_copybook",
    "read_file",
    "register",
]


def register(registry: Registry) -> None:
    registry.register_connector(CopybookReader)
