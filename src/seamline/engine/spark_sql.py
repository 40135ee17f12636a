"""The stages' trees, written in DuckDB's dialect, as Spark SQL.

sqlglot does most of it: the tree is written as DuckDB text and read back, so that
functions the stages name as written (``string_split``, ``list_transform``...) become
sqlglot's own nodes, which it then writes in Spark's words. What sqlglot leaves as an
unknown function is rewritten here, from one table (:data:`REWRITES`), not by branches
in the stages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp

READ = "duckdb"
WRITE = "spark"

# strptime directives -> Java DateTimeFormatter letters: (between separators, adjacent to
# another field). Spark's parser reads "d" as one or two digits, like DuckDB's %d; next to
# another field without a separator only fixed widths can be told apart.
_DIRECTIVES: dict[str, tuple[str, str]] = {
    "%d": ("d", "dd"),
    "%m": ("M", "MM"),
    "%Y": ("yyyy", "yyyy"),
    "%y": ("yy", "yy"),
    "%H": ("H", "HH"),
    "%M": ("m", "mm"),
    "%S": ("s", "ss"),
}


def java_format(strptime: str) -> str:
    """A strptime format (DuckDB's, Python's) as a Java pattern for Spark's parser."""
    parts = re.findall(r"%.|[^%]+", strptime)
    out = []
    for i, part in enumerate(parts):
        if part in _DIRECTIVES:
            adjacent = any(0 <= j < len(parts) and parts[j].startswith("%") for j in (i - 1, i + 1))
            out.append(_DIRECTIVES[part][1 if adjacent else 0])
        elif part.startswith("%"):
            raise ValueError(f"no Spark equivalent of the date directive {part}")
        else:  # literal text: letters quoted, a quote doubled
            out.append(
                re.sub(r"[A-Za-z']+", lambda m: "'" + m.group(0).replace("'", "''") + "'", part)
            )
    return "".join(out)


def _full_match(args: list[exp.Expr]) -> exp.Expr:
    value, pattern = args
    if isinstance(pattern, exp.Literal):
        anchored: exp.Expr = exp.Literal.string(f"^(?:{pattern.this})$")
    else:
        anchored = exp.func("concat", exp.Literal.string("^(?:"), pattern, exp.Literal.string(")$"))
    return exp.RegexpLike(this=value, expression=anchored)


def _try_strptime(args: list[exp.Expr]) -> exp.Expr:
    value, fmt = args
    if not isinstance(fmt, exp.Literal):
        raise ValueError("try_strptime needs a constant format on Spark")
    return exp.Anonymous(
        this="try_to_timestamp", expressions=[value, exp.Literal.string(java_format(fmt.this))]
    )


def _list_sum(args: list[exp.Expr]) -> exp.Expr:
    (array,) = args
    acc, x = exp.to_identifier("acc"), exp.to_identifier("x")
    lam = exp.Lambda(
        this=exp.Add(
            this=exp.column(acc.copy()), expression=exp.cast(exp.column(x.copy()), "BIGINT")
        ),
        expressions=[acc, x],
    )
    return exp.Anonymous(
        this="aggregate", expressions=[array, exp.cast(exp.Literal.number(0), "BIGINT"), lam]
    )


def _hamming(args: list[exp.Expr]) -> exp.Expr:
    """The positions where two strings differ, counted: ``size(filter(sequence(1,
    length(a)), i -> substring(a, i, 1) <> substring(b, i, 1)))`` (DuckDB refuses strings
    of different lengths; callers test the lengths first)."""
    a, b = args
    i = exp.to_identifier("i")

    def char(s: exp.Expr) -> exp.Expr:
        return exp.Substring(
            this=s.copy(), start=exp.column(i.copy()), length=exp.Literal.number(1)
        )

    positions = exp.Anonymous(
        this="sequence", expressions=[exp.Literal.number(1), exp.Length(this=a.copy())]
    )
    differ = exp.Lambda(this=exp.NEQ(this=char(a), expression=char(b)), expressions=[i])
    return exp.ArraySize(this=exp.Anonymous(this="filter", expressions=[positions, differ]))


REWRITES: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "REGEXP_FULL_MATCH": _full_match,
    "HAMMING": _hamming,
    "TRY_STRPTIME": _try_strptime,
    "LIST_SUM": _list_sum,
    "LIST_EXTRACT": lambda a: exp.Anonymous(this="try_element_at", expressions=a),
    # Splink's jar (on the session, see spark_engine.JAR_FUNCTIONS) answers in DOUBLE.
    "DAMERAU_LEVENSHTEIN": lambda a: exp.cast(
        exp.Anonymous(this="damerau_levenshtein", expressions=a), "BIGINT"
    ),
    "TO_YEARS": lambda a: exp.Anonymous(
        this="make_ym_interval", expressions=[a[0], exp.Literal.number(0)]
    ),
}
"""DuckDB functions sqlglot does not carry over, by name: their Spark equivalent."""

BEFORE: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    # DuckDB's len() of a list reads back as text length; say "array size" first.
    "LEN": lambda a: exp.ArraySize(this=a[0]),
}
"""Rewrites needed before the round trip through DuckDB text loses what a function meant."""


def _java_replacement(text: str, shift: int) -> str:
    """A DuckDB (RE2) replacement as Java's: ``\\N`` -> ``$N`` (group N+shift), ``$`` literal."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(f"${int(nxt) + shift}" if nxt.isdigit() else "\\" + nxt)
            i += 2
            continue
        out.append("\\$" if ch == "$" else ch)
        i += 1
    return "".join(out)


def _regexp_replace(node: exp.Expr) -> exp.Expr:
    """DuckDB replaces the first match unless given ``'g'``; Spark replaces every match.
    The first only: the pattern framed by what comes before (as little as possible) and
    after, both kept."""
    pattern, replacement = node.args.get("expression"), node.args.get("replacement")
    modifiers = node.args.get("modifiers")
    if not isinstance(pattern, exp.Literal) or not isinstance(replacement, exp.Literal):
        raise ValueError("regexp_replace needs a constant pattern and replacement on Spark")
    every = isinstance(modifiers, exp.Literal) and "g" in str(modifiers.this)
    if every:
        return exp.RegexpReplace(
            this=node.this,
            expression=pattern,
            replacement=exp.Literal.string(_java_replacement(replacement.this, 0)),
        )
    # Numbered groups: Spark would substitute a ${name} in the SQL text as a variable.
    framed = f"(?s)^(.*?)(?:{pattern.this})(.*)$"
    rest = _groups(pattern.this) + 2
    return exp.RegexpReplace(
        this=node.this,
        expression=exp.Literal.string(framed),
        replacement=exp.Literal.string(f"$1{_java_replacement(replacement.this, 1)}${rest}"),
    )


def _groups(pattern: str) -> int:
    """How many capturing groups a regular expression has (by its parentheses)."""
    count, i, in_class = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(" and not pattern.startswith("(?", i):
            count += 1
        elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            count += 1  # a named group is numbered too
        i += 1
    return count


def _sample(node: exp.Expr) -> exp.Expr | None:
    """DuckDB's ``USING SAMPLE reservoir (n ROWS) REPEATABLE (seed)`` on a query: Spark
    samples only tables, and its ``n ROWS`` takes the first rows. A seeded random order
    and a limit instead: n rows chosen at random, the same on the same data layout."""
    parent, size = node.parent, node.args.get("size")
    if not isinstance(parent, exp.Select) or size is None or node.args.get("percent"):
        return node
    seed = node.args.get("seed")
    parent.order_by(exp.Rand(this=seed.copy() if seed else None), copy=False)
    parent.limit(size.copy(), copy=False)
    return None


def _ordered_list(node: exp.Expr) -> exp.Expr:
    """DuckDB's ``list(x ORDER BY k, ...)``: Spark's ``collect_list`` keeps no order. The
    values collected with their keys in front, sorted, and the keys dropped:
    ``transform(array_sort(collect_list(struct(k AS _k0, ..., x AS _v))), e -> e._v)``.
    Ascending keys only (a struct sorts field by field, so ties fall to the value)."""
    order = node.this
    if not isinstance(order, exp.Order):
        return node
    keys: list[exp.Expr] = []
    for n, ordered in enumerate(order.expressions):
        if ordered.args.get("desc"):
            raise ValueError("an ordered list aggregate needs ascending keys on Spark")
        keys.append(exp.alias_(ordered.this.copy(), f"_k{n}"))
    packed = exp.Struct(expressions=[*keys, exp.alias_(order.this.copy(), "_v")])
    e = exp.to_identifier("e")
    unpack = exp.Lambda(
        this=exp.Dot(this=exp.column(e.copy()), expression=exp.to_identifier("_v")),
        expressions=[e],
    )
    collected = exp.Anonymous(this="collect_list", expressions=[packed])
    return exp.Anonymous(
        this="transform",
        expressions=[exp.Anonymous(this="array_sort", expressions=[collected]), unpack],
    )


def _divide(node: exp.Expr) -> exp.Expr:
    """DuckDB's ``/`` divides in DOUBLE whatever the operands (``//`` is integer division);
    Spark's keeps DECIMAL operands in DECIMAL. Both operands as DOUBLE first."""
    if node.args.get("typed"):
        return node
    return exp.Div(
        this=exp.cast(node.this.copy(), "DOUBLE"),
        expression=exp.cast(node.expression.copy(), "DOUBLE"),
        safe=node.args.get("safe"),
    )


def _is_date(node: exp.Expr) -> bool:
    """A date by its form: a cast to DATE (``DATE '2026-01-31'`` reads as one) or today."""
    return (isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)) or isinstance(
        node, exp.CurrentDate
    )


def _date_minus_date(node: exp.Expr) -> exp.Expr:
    """DuckDB's ``date - date`` is a number of days, Spark's an INTERVAL: ``datediff``
    where both operands are dates by their form (a column's type is not known here)."""
    if not (_is_date(node.this) and _is_date(node.expression)):
        return node
    days = exp.Anonymous(this="datediff", expressions=[node.this.copy(), node.expression.copy()])
    return exp.cast(days, "BIGINT")  # DuckDB's type; Spark's datediff is an INT


TYPED: dict[type[exp.Expr], Callable[[exp.Expr], exp.Expr | None]] = {
    exp.ArrayAgg: _ordered_list,
    exp.Div: _divide,
    exp.Sub: _date_minus_date,
    exp.RegexpFullMatch: lambda n: _full_match([n.this, n.expression]),
    exp.RegexpReplace: _regexp_replace,
    exp.TableSample: _sample,
    exp.JarowinklerSimilarity: lambda n: exp.Anonymous(
        this="jaro_winkler", expressions=[n.this, n.expression]
    ),
}
"""Nodes sqlglot knows but writes for Spark under DuckDB's name: their Spark equivalent."""


def _rewrite(tree: exp.Expr, table: dict[str, Callable[[list[exp.Expr]], exp.Expr]]) -> exp.Expr:
    """``tree`` with the table's functions replaced, innermost first (a replaced node's
    arguments are already in Spark's words)."""
    for node in reversed(list(tree.walk())):  # reversed pre-order: children before parents
        typed = TYPED.get(type(node)) if table is REWRITES else None
        new: exp.Expr | None
        if typed is not None:
            new = typed(node)
            if new is node:
                continue
        elif isinstance(node, exp.Anonymous) and str(node.this).upper() in table:
            new = table[str(node.this).upper()](list(node.expressions))
        else:
            continue
        if node is tree and new is not None:
            return new
        node.replace(new)
    return tree


def to_spark(statement: exp.Expr | str, *, pretty: bool = False) -> str:
    """Spark SQL for a tree (or DuckDB text) the stages built."""
    tree = sqlglot.parse_one(statement, read=READ) if isinstance(statement, str) else statement
    tree = _rewrite(tree.copy(), BEFORE)
    again = sqlglot.parse_one(tree.sql(dialect=READ), read=READ)
    text: str = _rewrite(again, REWRITES).sql(dialect=WRITE, pretty=pretty)
    return text
