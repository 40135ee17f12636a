"""Rows under the header that are not records: section titles, repeated headers, totals.

Printed registers carry layout inside the data: a section title alone in its row
(``North district``) above the rows it groups, the header repeated after a page break, a
``TOTAL`` row under a block. Landed as records they would become people named
``North district`` and sums counted twice, so :func:`classify` names them from the raw
cells (before merged cells are filled, so a title merged across the row is still one
value).
"""

from __future__ import annotations

import re
from typing import Any

SECTION = "section"
SUBHEADER = "subheader_row"
TOTAL = "total_row"
_NUMBERISH = re.compile(r"[\d\s.,:;/+-]*")


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _key(value: Any) -> str:
    return str(value).strip().casefold() if _filled(value) else ""


def header_key(values: list[Any]) -> tuple[str, ...]:
    return tuple(_key(v) for v in values)


def classify(
    values: list[Any], header: tuple[str, ...], total_labels: list[str]
) -> tuple[str, str] | None:
    """``(kind, detail)`` for a row that is not a record, None for a record.

    Kinds: :data:`SECTION` (detail: the title), :data:`SUBHEADER` (the header again),
    :data:`TOTAL` (detail: the label matched).
    """
    width = len(header)
    cells = list(values[:width]) + [None] * (width - len(values))
    filled = [v for v in cells if _filled(v)]
    if not filled:
        return None
    if sum(1 for k in header if k) >= 2 and header_key(cells) == header:
        return SUBHEADER, "repeats the header"
    first = str(filled[0]).strip().casefold().rstrip(":").strip()
    for label in total_labels:
        wanted = label.strip().casefold()
        if wanted and (first == wanted or re.match(re.escape(wanted) + r"[\s:]", first)):
            return TOTAL, label
    title = filled[0]
    if (
        len(filled) == 1
        and width >= 3
        and isinstance(title, str)
        and not _NUMBERISH.fullmatch(title)
    ):
        return SECTION, title.strip()
    return None
