"""The ``sql`` source: tables and queries of any SQLAlchemy database, streamed in chunks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.sql.options import SqlOptions
from seamline.sources.sql.reader import SqlReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["SqlOptions", "SqlReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(SqlReader)
