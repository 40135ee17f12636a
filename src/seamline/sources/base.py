"""The connector contract, where connectors import it from: see :mod:`seamline.connector`.

The contract lives in a bottom module so that the workspace loader, the plugin registry
and every stage read it without importing the ``sources`` stage.
"""

from seamline.connector import (
    BOOKKEEPING_COLUMNS,
    COMMON_OPTIONS,
    RECORD_NO,
    SOURCE_POS,
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
    SourceTime,
    StateMode,
    with_bookkeeping,
)

__all__ = [
    "BOOKKEEPING_COLUMNS",
    "COMMON_OPTIONS",
    "RECORD_NO",
    "SOURCE_POS",
    "Batch",
    "Capabilities",
    "QuarantineRecord",
    "ReadContext",
    "Reader",
    "SourceOptions",
    "SourceTime",
    "StateMode",
    "with_bookkeeping",
]
