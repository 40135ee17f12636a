"""The profiling queries, built as sqlglot trees (pure functions, testable without a database).

Pass 1 is one scan computing every per-field aggregate at once: counts, empties,
approximate distinct counts (HyperLogLog), min/max, length range, e-mail and date
format matches. Pass 2 groups each field by value and by value *pattern* (digits
become ``9``, a run of letters of any script becomes ``A``), and counts exact distinct
values of the fields whose approximate count is under a bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

EMAIL_RE = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"

# Display label -> (strptime format, a shape the whole value must have). The shape check
# keeps e.g. an 8-digit identifier from counting as a YYYYMMDD date by accident of digits.
DATE_FORMATS: dict[str, tuple[str, str]] = {
    "DD.MM.YYYY": ("%d.%m.%Y", r"\d{1,2}\.\d{1,2}\.\d{4}"),
    "YYYY-MM-DD": ("%Y-%m-%d", r"\d{4}-\d{2}-\d{2}"),
    "DD/MM/YYYY": ("%d/%m/%Y", r"\d{1,2}/\d{1,2}/\d{4}"),
    "MM/DD/YYYY": ("%m/%d/%Y", r"\d{1,2}/\d{1,2}/\d{4}"),
    "DD-MM-YYYY": ("%d-%m-%Y", r"\d{1,2}-\d{1,2}-\d{4}"),
    "YYYYMMDD": ("%Y%m%d", r"(19|20)\d{6}"),
    "YYYY-MM-DD HH:MM:SS": ("%Y-%m-%d %H:%M:%S", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"),
    "YYYY-MM-DDTHH:MM:SS": ("%Y-%m-%dT%H:%M:%S", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"),
}


@dataclass(frozen=True)
class FieldRef:
    """A landing column to profile: its name, position and whether it is text."""

    name: str
    index: int
    is_text: bool
    is_integer: bool = False
    """Integers are checked for dates too: mainframes keep dates as numbers (YYYYMMDD)."""


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    # Anonymous: passed to the engine as written (sqlglot would reinterpret some names).
    return exp.Anonymous(this=name, expressions=list(args))


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def as_text(name: str) -> exp.Expr:
    return exp.cast(_col(name), "VARCHAR")


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.Sum(
        this=exp.If(this=condition, true=exp.Literal.number(1), false=exp.Literal.number(0))
    )


def alias(field: FieldRef, what: str) -> str:
    return f"f{field.index}__{what}"


def pass1(table: str, fields: Sequence[FieldRef]) -> exp.Select:
    """One scan: every aggregate of every field."""
    select = exp.select(exp.alias_(exp.Count(this=exp.Star()), "rows")).from_(
        exp.to_table(table, quoted=True)
    )
    for f in fields:
        col, text = _col(f.name), as_text(f.name)
        parts: list[tuple[str, exp.Expr]] = [
            ("non_null", exp.Count(this=col)),
            ("approx_distinct", _fn("approx_count_distinct", col)),
            ("min", exp.cast(exp.Min(this=col), "VARCHAR")),
            ("max", exp.cast(exp.Max(this=col), "VARCHAR")),
            ("min_len", exp.Min(this=exp.Length(this=text))),
            ("max_len", exp.Max(this=exp.Length(this=text))),
        ]
        if f.is_text:
            trimmed = exp.Trim(this=col)
            parts.append(("empty", _count_if(exp.EQ(this=trimmed, expression=_s("")))))
            parts.append(("email", _count_if(_fn("regexp_full_match", col, _s(EMAIL_RE)))))
        if f.is_text or f.is_integer:
            trimmed = exp.Trim(this=text)
            for i, (fmt, shape) in enumerate(DATE_FORMATS.values()):
                ok = exp.and_(
                    _fn("regexp_full_match", trimmed, _s(shape)),
                    exp.Not(
                        this=exp.Is(
                            this=_fn("try_strptime", trimmed, _s(fmt)), expression=exp.Null()
                        )
                    ),
                )
                parts.append((f"date{i}", _count_if(ok)))
        select = select.select(*(exp.alias_(e, alias(f, what)) for what, e in parts))
    return select


def pattern_of(name: str) -> exp.Expr:
    """The value's shape: digits -> 9, each run of letters (any script) -> A."""
    digits = _fn("regexp_replace", as_text(name), _s("[0-9]"), _s("9"), _s("g"))
    return _fn("regexp_replace", digits, _s(r"\p{L}+"), _s("A"), _s("g"))


def grouped(table: str, expression: exp.Expr, name: str, limit: int) -> exp.Select:
    """The ``limit`` most frequent values of ``expression`` over the non-null rows."""
    return (
        exp.select(exp.alias_(expression, "value"), exp.alias_(exp.Count(this=exp.Star()), "n"))
        .from_(exp.to_table(table, quoted=True))
        .where(exp.Not(this=exp.Is(this=_col(name), expression=exp.Null())))
        .group_by(exp.Literal.number(1))
        .order_by(exp.Ordered(this=exp.column("n"), desc=True), exp.column("value"))
        .limit(limit)
    )


def exact_distinct(table: str, fields: Sequence[FieldRef]) -> exp.Select:
    """Exact distinct counts of the given fields, in one scan."""
    return exp.select(
        *(
            exp.alias_(
                exp.Count(this=exp.Distinct(expressions=[_col(f.name)])), alias(f, "distinct")
            )
            for f in fields
        )
    ).from_(exp.to_table(table, quoted=True))


def sample(table: str, name: str, size: int, seed: int) -> exp.Expr:
    """A reproducible sample of the field's distinct non-empty text values with counts."""
    text = exp.Trim(this=as_text(name))
    inner = (
        exp.select(exp.alias_(text, "value"), exp.alias_(exp.Count(this=exp.Star()), "n"))
        .from_(exp.to_table(table, quoted=True))
        .where(
            exp.and_(
                exp.Not(this=exp.Is(this=_col(name), expression=exp.Null())),
                exp.NEQ(this=text, expression=_s("")),
            )
        )
        .group_by(exp.Literal.number(1))
    )
    # Hash-ordered: a stable pseudo-random choice of values, the same on every run.
    return inner.order_by(_fn("hash", exp.column("value"), exp.Literal.number(seed))).limit(size)
