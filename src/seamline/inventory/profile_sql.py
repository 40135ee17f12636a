"""The profiling queries, built as sqlglot trees (pure functions, testable without a database).

Pass 1 is one scan for the cheap aggregates of every field: counts, empties,
approximate distinct counts (HyperLogLog), min/max and the length range. Pass 2 groups
each field by value into one table ``(col, value, n)`` — over all rows when the field
has at most a bound of distinct values, over a reproducible reservoir sample otherwise —
and everything that needs a regular expression or a date parse (value patterns, date
formats, e-mail shares) runs on those distinct values weighted by their counts, never
once per row.
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
VALUES_TABLE = "profile_values"


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


def _n(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def as_text(name: str) -> exp.Expr:
    return exp.cast(_col(name), "VARCHAR")


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.Sum(this=exp.If(this=condition, true=_n(1), false=_n(0)))


def alias(field: FieldRef, what: str) -> str:
    return f"f{field.index}__{what}"


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=e, expression=exp.Null()))


def pass1(table: str, fields: Sequence[FieldRef]) -> exp.Select:
    """One scan: the cheap aggregates of every field."""
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
        ]
        if f.is_text:
            # Lengths of text only: turning every number into text to measure it costs
            # more than the rest of the scan and says little.
            parts.append(("min_len", exp.Min(this=exp.Length(this=text))))
            parts.append(("max_len", exp.Max(this=exp.Length(this=text))))
            parts.append(("empty", _count_if(exp.EQ(this=exp.Trim(this=col), expression=_s("")))))
        select = select.select(*(exp.alias_(e, alias(f, what)) for what, e in parts))
    return select


def grouped_values(
    table: str, fields: Sequence[FieldRef], sampled: set[int], sample_rows: int, seed: int
) -> exp.Expr:
    """``(col, value, n)`` for every field: its distinct non-null values with counts.

    The fields grouped over all rows are unpivoted in one scan and grouped once (one
    job on Spark, where a group-by per field costs a scan and a shuffle each). Fields in
    ``sampled`` (too many distinct values) are grouped over a reproducible reservoir
    sample of ``sample_rows`` rows instead of all rows, each on its own.
    """
    branches: list[exp.Select] = []
    whole = [f for f in fields if f.index not in sampled]
    if whole:
        branches.append(_unpivoted(table, whole))
    for f in fields:
        if f.index not in sampled:
            continue
        inner = (
            exp.select(_col(f.name))
            .from_(exp.to_table(table, quoted=True))
            .where(_not_null(_col(f.name)))
        )
        inner.set(
            "sample",
            exp.TableSample(
                method=exp.var("reservoir"), size=_n(sample_rows), rows=True, seed=_n(seed)
            ),
        )
        branch = (
            exp.select(
                exp.alias_(_n(f.index), "col"),
                exp.alias_(as_text(f.name), "value"),
                exp.alias_(exp.Count(this=exp.Star()), "n"),
            )
            .from_(inner.subquery("s"))
            .where(_not_null(_col(f.name)))
            .group_by(_n(2))
        )
        branches.append(branch)
    union: exp.Expr = branches[0]
    for b in branches[1:]:
        union = exp.union(union, b, distinct=False)
    return union


def _unpivoted(table: str, fields: Sequence[FieldRef]) -> exp.Select:
    """``(col, value, n)`` of ``fields`` over all rows: every field as text under its
    index, unpivoted (UNPIVOT leaves nulls out, on DuckDB and on Spark) and grouped."""
    wide = exp.select(
        *(exp.alias_(as_text(f.name), str(f.index), quoted=True) for f in fields)
    ).from_(exp.to_table(table, quoted=True))
    unpivot = exp.Pivot(
        expressions=[exp.to_identifier("value")],
        fields=[
            exp.In(
                this=exp.to_identifier("col"),
                expressions=[exp.column(str(f.index), quoted=True) for f in fields],
            )
        ],
        unpivot=True,
        alias=exp.TableAlias(this=exp.to_identifier("u")),
    )
    source = wide.subquery("w")
    source.set("pivots", [unpivot])
    return (
        exp.select(
            exp.alias_(exp.cast(exp.column("col"), "INT"), "col"),
            exp.column("value"),
            exp.alias_(exp.Count(this=exp.Star()), "n"),
        )
        .from_(source)
        .where(_not_null(exp.column("value")))
        .group_by(_n(1), _n(2))
    )


def pattern_of(value: exp.Expr) -> exp.Expr:
    """The value's shape: digits -> 9, each run of letters (any script) -> A."""
    digits = _fn("regexp_replace", value, _s("[0-9]"), _s("9"), _s("g"))
    return _fn("regexp_replace", digits, _s(r"\p{L}+"), _s("A"), _s("g"))


def date_candidates(patterns: Sequence[str]) -> list[int]:
    """Indexes of the date formats some of a field's value patterns could be."""
    import re

    found = []
    for i, (_, shape) in enumerate(DATE_FORMATS.values()):
        rx = re.compile(shape.replace("(19|20)", "99"))  # patterns hold 9 for every digit
        if any(
            rx.fullmatch(p.replace("9", "0").replace("0", "9")) or rx.fullmatch(p) for p in patterns
        ):
            found.append(i)
    return found


def value_stats(dates: dict[int, list[int]], emails: Sequence[int]) -> exp.Select:
    """Per field over the grouped values: distinct values, rows, e-mail and date-format rows.

    Only the (field, format) pairs in ``dates`` and the fields in ``emails`` are tested,
    chosen from the fields' value patterns, so no regular expression runs in vain.
    """
    value, n = exp.column("value"), exp.column("n")
    trimmed = exp.Trim(this=value)

    def weighted(condition: exp.Expr) -> exp.Expr:
        return exp.Sum(this=exp.If(this=condition, true=n, false=_n(0)))

    def among(cols: Sequence[int]) -> exp.Expr:
        return exp.In(this=exp.column("col"), expressions=[_n(c) for c in cols] or [_n(-1)])

    cols: list[exp.Expr] = [
        exp.column("col"),
        exp.alias_(exp.Count(this=exp.Star()), "distinct_values"),
        exp.alias_(exp.Sum(this=n), "rows"),
        exp.alias_(
            weighted(exp.and_(among(emails), _fn("regexp_full_match", value, _s(EMAIL_RE)))),
            "email",
        ),
    ]
    for i, (fmt, shape) in enumerate(DATE_FORMATS.values()):
        wanted = [c for c, formats in dates.items() if i in formats]
        ok = exp.and_(
            among(wanted),
            _fn("regexp_full_match", trimmed, _s(shape)),
            _not_null(_fn("try_strptime", trimmed, _s(fmt))),
        )
        cols.append(exp.alias_(weighted(ok), f"date{i}"))
    return exp.select(*cols).from_(VALUES_TABLE).group_by(exp.column("col"))


def _ranked(kind: str, inner: exp.Select, order: list[exp.Ordered], limit: int) -> exp.Select:
    """``(kind, col, value, n, k)``: the first ``limit`` rows of ``inner``'s
    ``(col, value, n)`` per field in ``order``, ``k`` their place."""
    rank = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column("col")],
        order=exp.Order(expressions=order),
    )
    numbered = exp.select(
        exp.alias_(_s(kind), "kind"), "col", "value", "n", exp.alias_(rank, "k")
    ).from_(inner.subquery("g"))
    return (
        exp.select("kind", "col", "value", "n", "k")
        .from_(numbered.subquery("r"))
        .where(exp.LTE(this=exp.column("k"), expression=_n(limit)))
    )


def _frequent(kind: str, expression: exp.Expr, limit: int) -> exp.Select:
    """The ``limit`` most frequent values of ``expression`` per field, with counts."""
    inner = (
        exp.select(
            exp.column("col"),
            exp.alias_(expression, "value"),
            exp.alias_(exp.Sum(this=exp.column("n")), "n"),
        )
        .from_(VALUES_TABLE)
        .group_by(_n(1), _n(2))
    )
    order = [exp.Ordered(this=exp.column("n"), desc=True), exp.Ordered(this=exp.column("value"))]
    return _ranked(kind, inner, order, limit)


def _samples(cols: Sequence[int], size: int, seed: int) -> exp.Select:
    """A reproducible choice of up to ``size`` distinct non-empty values of each of
    ``cols``, with counts."""
    value = exp.Trim(this=exp.column("value"))
    inner = (
        exp.select(
            exp.column("col"),
            exp.alias_(value, "v"),
            exp.alias_(exp.Sum(this=exp.column("n")), "total"),
        )
        .from_(VALUES_TABLE)
        .where(
            exp.and_(
                exp.In(this=exp.column("col"), expressions=[_n(c) for c in cols] or [_n(-1)]),
                exp.NEQ(this=value, expression=_s("")),
            )
        )
        .group_by(_n(1), _n(2))
    )
    renamed = exp.select(
        "col", exp.alias_(exp.column("v"), "value"), exp.alias_(exp.column("total"), "n")
    ).from_(inner.subquery("d"))
    # Hash-ordered: a stable pseudo-random choice of values, the same on every run.
    order = [
        exp.Ordered(this=_fn("hash", exp.column("value"), _n(seed))),
        exp.Ordered(this=exp.column("value")),
    ]
    return _ranked("sample", renamed, order, size)


def ranked_values(
    top: int, patterns: int, sample_cols: Sequence[int], sample_size: int, seed: int
) -> exp.Select:
    """``(kind, col, value, n, k)`` over the grouped values, in one query (each query costs
    a job on Spark): per field its ``top`` most frequent values (kind ``value``), its
    ``patterns`` most frequent value patterns (``pattern``, see :func:`pattern_of`) and
    a sample of up to ``sample_size`` of its distinct non-empty trimmed values
    (``sample``, only fields in ``sample_cols``, chosen by ``hash(value, seed)``).
    ``k`` is a row's place among its field's rows of its kind (most frequent first,
    samples in their hash order). Unordered: a global sort is a job of its own on
    Spark, and the rows are few.
    """
    parts = [
        _frequent("value", exp.column("value"), top),
        _frequent("pattern", pattern_of(exp.column("value")), patterns),
        _samples(sample_cols, sample_size, seed),
    ]
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return exp.select("kind", "col", "value", "n", "k").from_(union.subquery("u"))
