"""What a code list maps for one dataset column, and how data values meet it.

One definition for every stage: harmonize builds its code table from
:func:`local_codes` and compares :func:`match_key_sql` of each value with its keys;
``seamline codes suggest`` lists as unmapped exactly the values whose
:func:`match_key` is not among the same keys. The Python and SQL forms of the key
agree (a test holds them together).
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from seamline.errors import SpecError
from seamline.workspace.models import CodeListSpec, LocalMatch

SPACE = " "
"""What ``ignore_case`` drops around a value: spaces, as SQL's TRIM does (padding of
fixed-width extracts)."""


def match_mode(cl: CodeListSpec, dataset: str, column: str) -> LocalMatch:
    """The crosswalk's ``match`` for this column, else the code list's."""
    for cw in cl.crosswalks:
        if cw.dataset == dataset and cw.column == column and cw.match is not None:
            return cw.match
    return cl.match


def match_key(value: str, mode: LocalMatch) -> str:
    """The form a value is compared in: trimmed and lower case, or as it is."""
    return value if mode == "exact" else value.strip(SPACE).lower()


def match_key_sql(value: exp.Expr, mode: LocalMatch) -> exp.Expr:
    """:func:`match_key` over a text expression."""
    if mode == "exact":
        return value
    return exp.Lower(this=exp.Trim(this=value))


def local_codes(cl: CodeListSpec, dataset: str, column: str, today: dt.date) -> dict[str, str]:
    """``match key -> code`` for one dataset column: its crosswalk entries valid today,
    plus the canonical codes themselves (a value already canonical maps to itself)."""
    mode = match_mode(cl, dataset, column)
    canonical = {match_key(c.code, mode) for c in cl.codes}
    pairs: dict[str, str] = {}
    for c in cl.codes:
        key = match_key(c.code, mode)
        if key in pairs:
            raise SpecError(
                f"code list {cl.id}: codes {pairs[key]!r} and {c.code!r} are one value "
                "when letter case is ignored",
                hint="set `match: exact` on the code list, or rename one of the codes",
            )
        pairs[key] = c.code
    for cw in cl.crosswalks:
        if cw.dataset != dataset or cw.column != column:
            continue
        for entry in cw.map:
            if entry.valid_from is not None and entry.valid_from > today:
                continue
            if entry.valid_to is not None and entry.valid_to < today:
                continue
            key = match_key(entry.local, mode)
            if key in pairs and pairs[key] != entry.code and key not in canonical:
                raise SpecError(
                    f"code list {cl.id}: {dataset}.{column} maps {entry.local!r} to both "
                    f"{pairs[key]!r} and {entry.code!r} on {today}"
                    + (" (letter case and surrounding space ignored)" if mode != "exact" else ""),
                    hint="give the entries valid_from/valid_to dates that do not overlap"
                    + (", or set `match: exact` on the crosswalk" if mode != "exact" else ""),
                )
            pairs[key] = entry.code
    return pairs
