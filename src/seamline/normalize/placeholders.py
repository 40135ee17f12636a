"""Placeholder identifiers: values typed to fill a mandatory field, not a real number.

A compact identifier is a placeholder when it is one digit repeated (``000000000``,
``111111111``), a run of ascending or descending digits (``123456789``,
``9876543210``, wrapping past 9), at least :data:`MIN_LENGTH` digits long, or one of a
scheme's declared placeholders (``placeholders:`` in ``identifiers/*.yaml``, or the
built-in list of a python-stdnum scheme below). The same test is written for Arrow
and for SQL, and tests hold them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as _pc
from sqlglot import exp

pc: Any = _pc

MIN_LENGTH = 6
"""Shorter all-digit values are too often real (a five-digit employer number 12345)."""

FLAG = "placeholder_identifier"

STDNUM_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    # Numbers printed on sample cards and in advertising, then used by thousands of
    # people (python-stdnum's own us.ssn rejects these too, as invalid).
    "us.ssn": ("078051120", "219099999", "457555462"),
    "us.tin": ("078051120", "219099999", "457555462"),
}
"""Known placeholder numbers of python-stdnum schemes, in compact form."""

_ASCENDING = "0123456789" * 2
_DESCENDING = "9876543210" * 2
_REPEATED = "(?:" + "|".join(f"{d}{{{MIN_LENGTH},}}" for d in "0123456789") + ")"


def runs() -> frozenset[str]:
    """Every ascending or descending digit run from MIN_LENGTH to 20 digits."""
    out: set[str] = set()
    for seq in (_ASCENDING, _DESCENDING):
        for start in range(10):
            for end in range(start + MIN_LENGTH, len(seq) + 1):
                out.add(seq[start:end])
    return frozenset(out)


_RUNS = runs()


def compact_list(values: Iterable[str], separators: str) -> list[str]:
    """Declared placeholders in compact form (separators removed, upper case)."""
    strip = re.compile("[" + re.escape(separators) + "]") if separators else None
    return [(strip.sub("", v) if strip else v).upper() for v in values]


def is_placeholder(compact: pa.Array[Any], declared: Iterable[str] = ()) -> pa.Array[Any]:
    """True where a compact identifier is a placeholder; False for null."""
    known = pa.array(sorted(_RUNS | set(declared)), pa.string())
    text = compact.cast(pa.string())
    repeated = pc.match_substring_regex(text, f"^{_REPEATED}$")
    hit = pc.or_(pc.is_in(text, known), repeated)
    out: pa.Array[Any] = pc.fill_null(hit, False)
    return out


def is_placeholder_sql(compact: exp.Expr, declared: Iterable[str] = ()) -> exp.Expr:
    """:func:`is_placeholder` in SQL (DuckDB): a run is a piece of 0123456789 twice over."""
    digits = exp.Anonymous(
        this="regexp_full_match", expressions=[compact.copy(), exp.Literal.string("[0-9]+")]
    )
    length = exp.Length(this=compact.copy())
    in_run = exp.or_(
        *(
            exp.GT(
                this=exp.Anonymous(
                    this="strpos", expressions=[exp.Literal.string(seq), compact.copy()]
                ),
                expression=exp.Literal.number(0),
            )
            for seq in (_ASCENDING, _DESCENDING)
        )
    )
    run = exp.and_(
        digits, exp.GTE(this=length, expression=exp.Literal.number(MIN_LENGTH)), exp.paren(in_run)
    )
    repeated = exp.Anonymous(
        this="regexp_full_match", expressions=[compact.copy(), exp.Literal.string(_REPEATED)]
    )
    conds: list[exp.Expr] = [exp.paren(run), repeated]
    listed = sorted(set(declared))
    if listed:
        conds.append(
            exp.In(this=compact.copy(), expressions=[exp.Literal.string(v) for v in listed])
        )
    return exp.Coalesce(this=exp.paren(exp.or_(*conds)), expressions=[exp.false()])
