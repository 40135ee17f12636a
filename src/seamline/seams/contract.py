"""A seam's contract rules compiled into one SQL scan (sqlglot trees, no database needed).

Every rule becomes two aggregates over the provider's harmonized file: the rows the
rule applies to (``r<i>_n``) and the rows that fail it (``r<i>_fail``), so all rules of
a seam, plus the row count, come back from one SELECT. Rules read the harmonized value
``<attr>``, its original text ``<attr>__orig`` and the flag harmonize raised
``<attr>__flag``: an invalid identifier or an unmapped code is already known there and
the contract only counts it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from seamline.errors import SpecError
from seamline.seams.expr import columns_of, parse_condition
from seamline.seams.report import CheckRow, owner_text
from seamline.workspace.derived import DerivedSpec
from seamline.workspace.models import RuleSpec, SeamSpec

DATA = "seam_data"
"""The view name of the provider's harmonized file in the check query."""

INVALID_IDENTIFIER = "invalid_identifier"
UNMAPPED_CODE = "unmapped_code"


@dataclass
class CompiledRule:
    """One rule, ready to run: its name, the aggregates, and what it expects."""

    index: int
    name: str
    spec: RuleSpec
    expected: str
    failing: exp.Expr | None = None
    considered: exp.Expr | None = None
    reference: str | None = None
    """The dataset a referential rule reads (a view named ``ref_<index>``)."""
    error: str | None = None
    """Why the rule cannot run on this data (missing attribute, bad pattern...)."""
    columns: list[str] = field(default_factory=list)

    @property
    def runnable(self) -> bool:
        return self.error is None and self.failing is not None


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.Sum(
        this=exp.If(this=condition, true=exp.Literal.number(1), false=exp.Literal.number(0))
    )


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=e, expression=exp.Null()))


def _is_true(e: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=e, expressions=[exp.false()])


def _present(name: str) -> exp.Expr:
    """The original text is there and not blank: the rule applies to this row."""
    orig = exp.cast(_col(f"{name}__orig"), "VARCHAR")
    return exp.and_(
        _not_null(orig), exp.NEQ(this=exp.Trim(this=orig), expression=exp.Literal.string(""))
    )


def _flag_is(name: str, flag: str) -> exp.Expr:
    return _is_true(exp.EQ(this=_col(f"{name}__flag"), expression=exp.Literal.string(flag)))


def bound(value: Any, *, today: dt.date, is_date: bool) -> exp.Expr:
    """A range bound as a typed literal: ``today``, a date, or a number."""
    if isinstance(value, str) and value.strip().lower() == "today":
        value = today
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number or a date")
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, str):
        text = value.strip()
        if is_date:
            try:
                return exp.cast(exp.Literal.string(dt.date.fromisoformat(text).isoformat()), "DATE")
            except ValueError:
                raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or `today`") from None
        try:
            float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        return exp.Literal.number(text)
    raise ValueError(f"{value!r} is not a number or a date")


def rule_names(rules: list[RuleSpec]) -> list[str]:
    """``check:attribute`` per rule; a repeated name gets ``#2``, ``#3``..."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for r in rules:
        base = f"{r.check}:{r.attribute}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return names


def compile_rules(
    seam: SeamSpec | DerivedSpec,
    columns: dict[str, str],
    *,
    today: dt.date,
    references: dict[str, set[str]] | None = None,
) -> list[CompiledRule]:
    """Compile each rule of ``seam`` (or a derived dataset's contract) against the
    harmonized ``columns`` (name -> type).

    ``references`` maps a dataset id to the attributes of its harmonized file, for
    ``referential`` rules. A rule that cannot run gets ``error`` set instead of SQL.
    """
    references = references or {}
    out: list[CompiledRule] = []
    for i, (rule, name) in enumerate(
        zip(seam.contract.rules, rule_names(seam.contract.rules), strict=True)
    ):
        tol = f"failing share <= {rule.tolerance:g}"
        compiled = CompiledRule(i, name, rule, tol, columns=[rule.attribute])
        try:
            _compile_one(compiled, columns, today, references)
        except (SpecError, ValueError, re.error) as exc:
            compiled.error = str(exc)
            compiled.failing = compiled.considered = None
        out.append(compiled)
    return out


def _compile_one(
    c: CompiledRule, columns: dict[str, str], today: dt.date, references: dict[str, set[str]]
) -> None:
    rule, attr = c.spec, c.spec.attribute
    if rule.check == "cross_field":
        if not rule.expression:
            raise ValueError("a cross_field rule needs `expression`, e.g. death_date >= birth_date")
        tree = parse_condition(rule.expression)
        c.columns = columns_of(tree)
        c.expected = f"{rule.expression} holds; {c.expected}"
    missing = [n for n in c.columns if n not in columns]
    if missing:
        raise ValueError(
            f"the provider's harmonized data has no attribute {', '.join(map(repr, missing))}"
            " (is it mapped in the dataset's fields?)"
        )
    value = _col(attr)
    if rule.check == "not_null":
        c.considered = exp.Count(this=exp.Star())
        c.failing = _count_if(exp.Is(this=value, expression=exp.Null()))
    elif rule.check == "unique":
        # Rows beyond the first of each repeated value: count(x) - count(distinct x).
        c.considered = exp.Count(this=value)
        c.failing = exp.Sub(
            this=exp.Count(this=value), expression=exp.Count(this=exp.Distinct(expressions=[value]))
        )
    elif rule.check in ("valid_identifier", "in_codelist"):
        if f"{attr}__flag" not in columns:
            raise ValueError(f"the harmonized data has no flags for {attr!r}")
        flag = INVALID_IDENTIFIER if rule.check == "valid_identifier" else UNMAPPED_CODE
        c.considered = _count_if(_present(attr))
        c.failing = _count_if(exp.and_(_present(attr), _flag_is(attr, flag)))
    elif rule.check == "range":
        if rule.min is None and rule.max is None:
            raise ValueError("a range rule needs `min`, `max` or both")
        is_date = "date" in columns[attr].lower() or "timestamp" in columns[attr].lower()
        outside: list[exp.Expr] = []
        shown: list[str] = []
        if rule.min is not None:
            outside.append(
                exp.LT(this=value, expression=bound(rule.min, today=today, is_date=is_date))
            )
            shown.append(f">= {rule.min}")
        if rule.max is not None:
            outside.append(
                exp.GT(this=value, expression=bound(rule.max, today=today, is_date=is_date))
            )
            shown.append(f"<= {rule.max}")
        c.considered = exp.Count(this=value)
        c.failing = _count_if(_is_true(exp.or_(*outside)))
        c.expected = f"{' and '.join(shown)}; {c.expected}"
    elif rule.check == "pattern":
        if not rule.pattern:
            raise ValueError("a pattern rule needs `pattern`, a regular expression")
        re.compile(rule.pattern)  # a bad pattern is the contract's error, not the engine's
        text = exp.cast(value, "VARCHAR")
        matches = exp.Anonymous(
            this="regexp_matches", expressions=[text, exp.Literal.string(rule.pattern)]
        )
        c.considered = exp.Count(this=value)
        c.failing = _count_if(exp.and_(_not_null(value), exp.Not(this=_is_true(matches))))
        c.expected = f"matches {rule.pattern}; {c.expected}"
    elif rule.check == "referential":
        ref, ref_attr = _reference(rule)
        if ref not in references:
            raise ValueError(
                f"the reference dataset {ref!r} has no harmonized data (run `seamline run` first)"
            )
        if ref_attr not in references[ref]:
            raise ValueError(f"the reference dataset {ref!r} has no attribute {ref_attr!r}")
        c.reference = ref
        known = (
            exp.select(_col(ref_attr))
            .from_(exp.to_table(f"ref_{c.index}", quoted=True))
            .where(_not_null(_col(ref_attr)))
        )
        found = exp.In(this=value, query=known.subquery())
        c.considered = exp.Count(this=value)
        c.failing = _count_if(exp.and_(_not_null(value), exp.Not(this=_is_true(found))))
        c.expected = f"exists in {ref}.{ref_attr}; {c.expected}"
    elif rule.check == "cross_field":
        tree = parse_condition(rule.expression or "")
        c.considered = exp.Count(
            this=exp.If(
                this=_not_null(exp.Paren(this=tree.copy())),
                true=exp.Literal.number(1),
                false=exp.Null(),
            )
        )
        c.failing = _count_if(_is_true(exp.Not(this=exp.Paren(this=tree))))


def _reference(rule: RuleSpec) -> tuple[str, str]:
    """``reference: addresses`` (same attribute) or ``reference: addresses.address_id``."""
    if not rule.reference:
        raise ValueError("a referential rule needs `reference`, the dataset whose values are valid")
    if "." in rule.reference:
        ds, attr = rule.reference.split(".", 1)
        return ds, attr
    return rule.reference, rule.attribute


def check_query(rules: list[CompiledRule]) -> exp.Select:
    """One SELECT: the row count and, per runnable rule, its failing and considered rows."""
    select = exp.select(exp.alias_(exp.Count(this=exp.Star()), "rows")).from_(
        exp.to_table(DATA, quoted=True)
    )
    for r in rules:
        if r.runnable and r.failing is not None and r.considered is not None:
            select = select.select(
                exp.alias_(r.failing, f"r{r.index}_fail"),
                exp.alias_(r.considered, f"r{r.index}_n"),
            )
    return select


def rule_row(
    seam: SeamSpec | DerivedSpec,
    c: CompiledRule,
    fail: int | None,
    n: int | None,
    *,
    error: str | None = None,
) -> CheckRow:
    """The result row of one compiled rule: failing and considered rows, or the error."""
    owner = owner_text(seam)
    if error is not None or fail is None or n is None:
        return CheckRow(
            seam.id, owner, c.name, None, c.expected, "error",
            attribute=c.spec.attribute, message=error or "not run", details={"check": c.spec.check},
        )  # fmt: skip
    share = fail / n if n else 0.0
    ok = share <= c.spec.tolerance
    return CheckRow(
        seam.id,
        owner,
        c.name,
        share,
        c.expected,
        "pass" if ok else "fail",
        attribute=c.spec.attribute,
        message="" if ok else f"{fail:,} of {n:,} rows fail",
        details={"check": c.spec.check, "failing": fail, "considered": n, "unit": "share"},
    )
