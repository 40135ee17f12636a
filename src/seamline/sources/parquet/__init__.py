"""The ``parquet`` source: Parquet files and Arrow IPC (file and stream) files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamline.sources.parquet.options import ParquetOptions
from seamline.sources.parquet.reader import ParquetReader

if TYPE_CHECKING:
    from seamline.plugins import Registry

__all__ = ["ParquetOptions", "ParquetReader", "register"]


def register(registry: Registry) -> None:
    registry.register_connector(ParquetReader)
