"""Cross-field rule expressions: parsed by sqlglot, then checked against a whitelist.

A contract is written by people outside the hub (a provider, a consumer), so its
``cross_field`` expression is never spliced into SQL as text. It is parsed into a tree
and every node must be one of a few harmless kinds — column references, literals,
comparisons, AND/OR/NOT, IS NULL and parentheses — so no function call, subquery or
statement can reach the engine through a contract.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from seamline.errors import SpecError

DIALECT = "duckdb"

_COMPARISONS: tuple[type[exp.Expr], ...] = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
)
_ALLOWED: tuple[type[exp.Expr], ...] = (
    *_COMPARISONS,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Is,
    exp.Null,
    exp.Boolean,
    exp.Literal,
    exp.Column,
    exp.Identifier,
    exp.Paren,
    exp.Neg,
)
ALLOWED_TEXT = "column names, literals, = <> < <= > >=, AND, OR, NOT, IS [NOT] NULL, parentheses"


def parse_condition(text: str, *, where: str | None = None) -> exp.Expr:
    """Parse ``text`` (e.g. ``death_date >= birth_date``) into a whitelisted tree.

    Raises :class:`SpecError` naming the first construct that is not allowed.
    """
    try:
        tree = sqlglot.parse_one(text, read=DIALECT)
    except ParseError as exc:
        raise SpecError(
            f"the cross-field expression {text!r} is not valid: {exc.errors[0]['description']}"
            if exc.errors
            else f"the cross-field expression {text!r} is not valid",
            where=where,
            allowed=ALLOWED_TEXT,
        ) from None
    except (SqlglotError, ValueError, IndexError) as exc:
        # The tokenizer can fail below the parser (an unclosed quote): same answer.
        raise SpecError(
            f"the cross-field expression {text!r} is not valid: {exc}",
            where=where,
            allowed=ALLOWED_TEXT,
        ) from None
    if tree is None:
        raise SpecError(f"the cross-field expression {text!r} is empty", where=where)
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise SpecError(
                f"the cross-field expression {text!r} uses {node.key.upper()} "
                f"({node.sql(dialect=DIALECT)!r}), which a contract may not",
                where=where,
                allowed=ALLOWED_TEXT,
            )
        if isinstance(node, exp.Column) and node.table:
            raise SpecError(
                f"the cross-field expression {text!r} names a table ({node.table!r}); "
                "name attributes of the seam's dataset only",
                where=where,
                allowed=ALLOWED_TEXT,
            )
    if not isinstance(tree, (*_COMPARISONS, exp.And, exp.Or, exp.Not, exp.Is, exp.Paren)):
        raise SpecError(
            f"the cross-field expression {text!r} is not a condition",
            where=where,
            hint="Write a comparison, e.g. `death_date >= birth_date`.",
        )
    # Quote every column so an attribute name is never read as a keyword.
    for col in list(tree.find_all(exp.Column)):
        col.replace(exp.column(col.name, quoted=True))
    return tree


def columns_of(tree: exp.Expr) -> list[str]:
    """The attribute names a parsed condition refers to, in order, without repeats."""
    seen: dict[str, None] = {}
    for col in tree.find_all(exp.Column):
        seen.setdefault(col.name, None)
    return list(seen)
