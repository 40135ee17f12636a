"""Blocking chosen from the data: candidate rules counted on the engine, kept in a budget.

Each candidate rule's pairs are counted by Splink (``count_comparisons_from_blocking_rules``,
exactly on small data, on a deterministic sample of records on large data) before it is
used. Rules are kept, in the order :func:`model.candidate_rules` gives, while the pairs
of the kept rules stay within ``budget`` pairs per record; each rule is counted for the
pairs the rules before it do not make, so a rule implied by an earlier one adds nothing
and is left out. A rule whose blocks grow with the square of a register (a
common name alone, say) passes on a small register and drops out as it grows.

Only *open* pairs are generated when deterministic identifiers link outright: pairs of
two records holding validated identifiers are decided already (linked when equal, apart
when not). Rather than generate them all and filter, each rule is written twice, joining
an open record's key (``o_*``: the key, or null for a record with a validated
identifier) to any record's key, once for each side, so the engine's hash join only
yields open pairs. With several identifiers a record is open when it lacks any of them,
and the exact per-identifier condition is added.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.reconcile.counting import EXACT_RECORDS
from seamline.reconcile.model import UNDATED, Rule


def open_col(col: str) -> str:
    return f"o_{col}"


def only_unresolved(rule: str, det: list[str]) -> str:
    """Restrict a rule to pairs where a record lacks a validated identifier."""
    open_ = " and ".join(f"(l.{c} is null or r.{c} is null)" for c in det)
    return f"({rule}) and {open_}" if open_ else rule


def rule_sqls(rule: Rule, det: list[str]) -> list[str]:
    """The Splink blocking rules that generate ``rule``'s open pairs."""
    orientations = [rule.keys]
    if rule.mirror:
        orientations.append(tuple((b, a) for a, b in rule.keys))
    out: list[str] = []
    for keys in orientations:
        (a, b), rest = keys[0], keys[1:]
        tail = "".join(f" and l.{x} = r.{y}" for x, y in rest)
        if not det:
            out.append(f"l.{a} = r.{b}{tail}")
            continue
        for sql in (f"l.{open_col(a)} = r.{b}{tail}", f"l.{a} = r.{open_col(b)}{tail}"):
            out.append(only_unresolved(sql, det) if len(det) > 1 else sql)
    return list(dict.fromkeys(out))


def with_keys(data: pa.Table, rules: list[Rule], det: list[str]) -> pa.Table:
    """Add the columns the rules join on beyond the features: the birth year, the
    undated records' family name, and the open keys (``o_*``)."""
    names = set(data.column_names)
    if "f_birth_date" in names:
        birth: Any = data.column("f_birth_date")
        data = data.append_column("f_birth_year", pc.utf8_slice_codeunits(birth, 0, 4))
        undated = pc.is_null(birth)
        data = data.append_column(
            UNDATED, pc.if_else(undated, data.column("f_family"), pa.scalar(None, pa.string()))
        )
    if not det:
        return data
    closed = pc.is_valid(data.column(det[0]))
    for col in det[1:]:
        closed = pc.and_kleene(closed, pc.is_valid(data.column(col)))
    firsts = {k for r in rules for k in (r.keys[0][0], r.keys[0][1])}
    for key in sorted(firsts):
        data = data.append_column(
            open_col(key), pc.if_else(closed, pa.scalar(None, pa.string()), data.column(key))
        )
    return data


@dataclass(frozen=True)
class Counted:
    rule: Rule
    pairs: int
    kept: bool
    why: str = ""


def count_pairs(linker: Any, rules: list[Rule], det: list[str], records: int) -> list[int]:
    """The pairs each rule adds to those of the rules before it, as Splink's blocking
    generates them (one counting query for all; estimated on a sample of records when
    there are more than 50,000)."""
    sqls: list[str] = []
    owner: list[int] = []
    for i, rule in enumerate(rules):
        for sql in rule_sqls(rule, det):
            sqls.append(sql)
            owner.append(i)
    proportion = 1.0 if records <= EXACT_RECORDS else max(0.01, EXACT_RECORDS / records)
    with warnings.catch_warnings():
        # Splink warns when a sampled estimate rests on few pairs; a small count is
        # exactly what is being measured here.
        warnings.simplefilter("ignore")
        counted = linker.blocking_analysis.count_comparisons_from_blocking_rules(
            sqls, record_sample_proportion=proportion
        )
    out = [0] * len(rules)
    for record, i in zip(counted, owner, strict=True):
        out[i] += int(record["marginal_comparison_count"])
    return out


def choose(
    linker: Any,
    candidates: list[Rule],
    det: list[str],
    records: int,
    budget: float,
    *,
    keep_all: bool = False,
) -> list[Counted]:
    """Every candidate with the pairs it adds, and whether it is kept (``keep_all``: the
    user's own rules, counted but all kept).

    All remaining candidates are counted in one query, each for the pairs the rules
    before it do not make; when a rule would overrun the budget it is dropped and the
    rest are counted again without it (its pairs no longer cover theirs).
    """
    limit = budget * records
    dropped: dict[Rule, Counted] = {}
    remaining = list(candidates)
    while True:
        added = count_pairs(linker, remaining, det, records)
        total = 0
        over = None
        for rule, pairs in zip(remaining, added, strict=True):
            if keep_all or total + pairs <= limit:
                total += pairs
            else:
                over = rule
                dropped[rule] = Counted(rule, pairs, False, "over the pair budget")
                break
        if over is None:
            break
        remaining = [r for r in remaining if r != over]
    kept = dict(zip(remaining, added, strict=True))
    out: list[Counted] = []
    for rule in candidates:
        if rule in dropped:
            out.append(dropped[rule])
        elif kept[rule] or keep_all:
            out.append(Counted(rule, kept[rule], True))
        else:
            out.append(Counted(rule, 0, False, "adds no pair to the rules before it"))
    return out


def training_rules(counted: list[Counted], records: int, budget: float) -> list[Rule]:
    """Rules for the EM passes, best first: counted rules within the budget that are
    not the undated rule; the second pass is preferably on columns the first lacks."""
    usable = [
        c.rule
        for c in counted
        if c.kept and 0 < c.pairs <= budget * records and UNDATED not in c.rule.columns()
    ]
    if not usable:
        return []
    first = usable[0]
    disjoint = [r for r in usable[1:] if not (r.columns() & first.columns())]
    return [first, *disjoint, *(r for r in usable[1:] if r not in disjoint)]
