"""The ``folder`` source: files dropped into a folder, each delivered once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.folder.options import FolderOptions
from seamline.sources.folder.reader import FolderReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["FolderOptions", "FolderReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(FolderReader)
