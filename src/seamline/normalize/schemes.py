"""Declared identifier schemes (``identifiers/*.yaml``): compaction and validation.

python-stdnum covers hundreds of published identifiers; a register's own numbers (the
demo's ``kg_pin``: sex digit, ddmmyyyy birth date, five-digit serial) are declared as
data in :class:`~seamline.workspace.models.IdentifierSchemeSpec` and checked here,
batch at a time: separators removed with one regex, length and pattern with RE2 (the
same engine DuckDB uses, so the SQL path agrees), check digits with
:mod:`seamline.normalize.checkdigits`, embedded dates with the strict date parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as _pc
from sqlglot import exp

from seamline.normalize.checkdigits import SQL_CHECKS, is_valid
from seamline.normalize.dates import (
    compile_format,
    parse_format,
    parse_format_sql,
    re2_literal,
    sql_fn,
)
from seamline.normalize.scheme_spec import EmbeddedPart, IdentifierSchemeSpec

# pyarrow-stubs' overloads reject ``pa.Array[Any]`` arguments; results are checked by tests.
pc: Any = _pc


@dataclass(frozen=True)
class Checked:
    """A batch of identifiers after compaction and validation."""

    compact: pa.Array[Any]
    """The compact form of every non-blank value (also of invalid ones)."""
    valid: pa.Array[Any]
    """True / False per value; null where the input was null or blank."""
    restored: pa.Array[Any]
    """True where leading zeros were put back."""


def _separator_re(spec: IdentifierSchemeSpec) -> str | None:
    chars = "".join(dict.fromkeys(spec.separators))
    return "[" + re2_literal(chars) + "]" if chars else None


def _full(pattern: str) -> str:
    return f"^(?:{pattern})$"


def compact(spec: IdentifierSchemeSpec, text: pa.Array[Any]) -> tuple[pa.Array[Any], pa.Array[Any]]:
    """Compact form (separators removed, upper case, zeros restored) and the restored mask."""
    sep = _separator_re(spec)
    out = pc.replace_substring_regex(text, sep, "") if sep else text
    out = pc.utf8_upper(out)
    restored = pa.array(np.zeros(len(out), dtype=np.bool_))
    if spec.restore_leading_zeros and spec.length:
        short = pc.and_(
            pc.less(pc.utf8_length(out), spec.length),
            pc.match_substring_regex(out, "^[0-9]+$"),
        )
        restored = pc.fill_null(short, False)
        out = pc.if_else(restored, pc.utf8_lpad(out, spec.length, "0"), out)
    return out, restored


def _part(compact: pa.Array[Any], part: EmbeddedPart) -> pa.Array[Any]:
    start = part.start - 1
    piece = pc.utf8_slice_codeunits(compact, start, start + part.length)
    ok = pc.greater_equal(pc.utf8_length(compact), start + part.length)
    out: pa.Array[Any] = pc.if_else(ok, piece, pa.scalar(None, pa.string()))
    return out


def embedded_values(spec: IdentifierSchemeSpec, compact: pa.Array[Any]) -> dict[str, pa.Array[Any]]:
    """The facts an identifier encodes, by part name: dates as date32, codes mapped.

    E.g. for ``kg_pin`` ``{"sex": ["female", ...], "birth_date": [1987-03-14, ...]}``.
    A part that does not read (a day 31.02, a code not in ``values``) is null.
    """
    out: dict[str, pa.Array[Any]] = {}
    text = compact.cast(pa.string())
    for part in spec.embedded:
        piece = _part(text, part)
        if part.kind == "date":
            out[part.name] = parse_format(piece, compile_format(part.format or "%Y%m%d"), 30)
        elif part.kind == "code" and part.values:
            keys = pa.array(list(part.values), pa.string())
            labels = pa.array(list(part.values.values()), pa.string())
            out[part.name] = pc.take(labels, pc.index_in(piece, keys))
        else:
            out[part.name] = piece
    return out


def cross_check(expected: pa.Array[Any], embedded: pa.Array[Any]) -> pa.Array[Any]:
    """True where a record's own value agrees with the identifier's embedded one.

    Null where either side is null (nothing to compare). The record's value is cast to
    the embedded part's type (a timestamp to a date); text compares case-insensitively.
    """
    if expected.type != embedded.type:
        try:
            expected = expected.cast(embedded.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            expected = expected.cast(pa.string())
            embedded = embedded.cast(pa.string())
    if pa.types.is_string(embedded.type):
        expected, embedded = pc.utf8_lower(expected), pc.utf8_lower(embedded)
    agree: pa.Array[Any] = pc.equal(expected, embedded)
    return agree


def check(spec: IdentifierSchemeSpec, text: pa.Array[Any]) -> Checked:
    """Compact and validate clean text (see :func:`seamline.normalize.dates.as_text`)."""
    out, restored = compact(spec, text)
    ok = out.is_valid()
    if spec.length is not None:
        ok = pc.and_(ok, pc.equal(pc.utf8_length(out), spec.length))
    if spec.pattern is not None:
        ok = pc.and_(ok, pc.match_substring_regex(out, _full(spec.pattern)))
    ok = pc.fill_null(ok, False)
    if spec.check != "none":
        ok = pc.and_(ok, pa.array(is_valid(spec.check, out)))
    for part in spec.embedded:
        if part.kind == "date":
            fmt = compile_format(part.format or "%Y%m%d")
            ok = pc.and_(ok, parse_format(_part(out, part), fmt, 30).is_valid())
        elif part.kind == "code" and part.values:
            keys = pa.array(list(part.values), pa.string())
            ok = pc.and_(ok, pc.fill_null(pc.is_in(_part(out, part), keys), False))
    valid = pc.if_else(out.is_valid(), ok, pa.scalar(None, pa.bool_()))
    return Checked(out, valid, restored)


@dataclass(frozen=True)
class CheckedSql:
    compact: exp.Expr
    valid: exp.Expr
    restored: exp.Expr
    stripped: exp.Expr
    """Separators removed and upper case: what ``compact`` and the checks repeat."""


def check_sql(spec: IdentifierSchemeSpec, text: exp.Expr) -> CheckedSql | None:
    """SQL of :func:`check` over clean text; None for a check digit SQL does not have."""
    if spec.check != "none" and spec.check not in SQL_CHECKS:
        return None
    sep = _separator_re(spec)
    out: exp.Expr = text.copy()
    if sep:
        out = sql_fn(
            "regexp_replace",
            out,
            exp.Literal.string(sep),
            exp.Literal.string(""),
            exp.Literal.string("g"),
        )
    out = exp.Upper(this=out)
    stripped = out.copy()
    restored: exp.Expr = exp.false()
    if spec.restore_leading_zeros and spec.length:
        restored = exp.And(
            this=exp.LT(
                this=exp.Length(this=out.copy()), expression=exp.Literal.number(spec.length)
            ),
            expression=sql_fn("regexp_full_match", out.copy(), exp.Literal.string("[0-9]+")),
        )
        restored = exp.Coalesce(this=exp.Paren(this=restored), expressions=[exp.false()])
        padded = sql_fn(
            "lpad", out.copy(), exp.Literal.number(spec.length), exp.Literal.string("0")
        )
        out = exp.Case(ifs=[exp.If(this=restored.copy(), true=padded)], default=out.copy())
    conds: list[exp.Expr] = []
    if spec.length is not None:
        conds.append(
            exp.EQ(this=exp.Length(this=out.copy()), expression=exp.Literal.number(spec.length))
        )
    if spec.pattern is not None:
        conds.append(
            sql_fn("regexp_full_match", out.copy(), exp.Literal.string(_full(spec.pattern)))
        )
    if spec.check in SQL_CHECKS:
        conds.append(SQL_CHECKS[spec.check](out))
    for part in spec.embedded:
        piece = _part_sql(out, part)
        if part.kind == "date":
            fmt = compile_format(part.format or "%Y%m%d")
            conds.append(
                exp.Not(this=exp.Is(this=parse_format_sql(piece, fmt, 30), expression=exp.Null()))
            )
        elif part.kind == "code" and part.values:
            keys = [exp.Literal.string(k) for k in part.values]
            conds.append(exp.In(this=piece, expressions=keys))
    valid: exp.Expr = exp.true()
    for cond in conds:
        valid = exp.And(this=valid, expression=exp.Coalesce(this=cond, expressions=[exp.false()]))
    valid = exp.Case(
        ifs=[exp.If(this=exp.Is(this=out.copy(), expression=exp.Null()), true=exp.Null())],
        default=exp.Paren(this=valid),
    )
    return CheckedSql(out, valid, restored, stripped)


def _part_sql(out: exp.Expr, part: EmbeddedPart) -> exp.Expr:
    piece = exp.Substring(
        this=out.copy(),
        start=exp.Literal.number(part.start),
        length=exp.Literal.number(part.length),
    )
    long_enough = exp.GTE(
        this=exp.Length(this=out.copy()),
        expression=exp.Literal.number(part.start + part.length - 1),
    )
    return exp.Case(ifs=[exp.If(this=long_enough, true=piece)])
