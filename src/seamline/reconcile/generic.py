"""The linkage model of an entity without person names, generated from its attributes.

Each attribute's *kind* comes from the entity's declaration (``match:``, else its
``type``; :class:`seamline.workspace.entities.AttributeSpec`), never from its name:

| kind | feature | comparison levels |
|---|---|---|
| ``organisation_name`` | case and punctuation folded, legal-form words taken off | exact, Jaro-Winkler 0.92, 0.80 |
| ``identifier`` | validated value (flagged values absent); trust as for persons | exact, one edit, different |
| ``amount`` | the number | exact, within the tolerance, different |
| ``date`` | the ISO date | exact, within the window, different |
| ``text`` (references) | case and punctuation folded | exact, one edit, Jaro-Winkler 0.88 |
| ``address`` | case and punctuation folded | exact, Jaro-Winkler 0.92, 0.80 |
| ``phone`` | digits | exact, one edit |
| ``email`` | lower case | exact |
| ``code`` | the code | exact |

Legal-form words (``Ltd``, ``GmbH``, ``S.A.``, ``LLC``...) are the reconcile spec's
``legal_forms:`` when it declares them, else the list of the ``cleanco`` package (legal
forms of 67 countries, 194 terms, by country and type), so no country's list is written
here. They are taken off the ends of a name only (``Limited Editions Ltd`` keeps its first
word), after case and punctuation are folded the same way on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.reconcile.features import _compact, _text, _validated, id_feature
from seamline.reconcile.model import (
    FIRST_WORD,
    Available,
    Rule,
    _one_edit,
    as_written,
    with_tf,
)
from seamline.workspace.entities import EntitySpec, MatchKind

DEFAULT_WINDOW_DAYS = 31
DEFAULT_TOLERANCE_SHARE = 1.0
"""Percent of the larger amount within which two amounts agree, without a tolerance."""
_ORDER: tuple[MatchKind, ...] = (
    "organisation_name",
    "identifier",
    "text",
    "address",
    "date",
    "amount",
    "phone",
    "email",
    "code",
)
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NUMBER = r"^-?\d+(\.\d+)?$"


@lru_cache(maxsize=1)
def library_legal_forms() -> tuple[str, ...]:
    """Every legal-form term of cleanco (all countries and types)."""
    from cleanco.termdata import terms_by_type

    return tuple(sorted({t for terms in terms_by_type.values() for t in terms}))


def _fold(col: pa.ChunkedArray[Any] | pa.Array[Any]) -> pa.Array[Any]:
    """Lower case, punctuation dropped inside words (``S.A.`` -> ``sa``), other non-word
    runs to one space."""
    arr: Any = pc.cast(col, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring_regex(arr, pattern=r"[.'’`]", replacement="")
    arr = pc.replace_substring_regex(arr, pattern=r"[^\w]+", replacement=" ")
    out: pa.Array[Any] = pc.utf8_trim_whitespace(arr)
    return out


def legal_form_pattern(words: tuple[str, ...]) -> str:
    """A regex matching runs of legal-form words at the start or the end of a folded name."""
    folded = _fold(pa.array(list(words), pa.string())).to_pylist()
    terms = sorted({t for t in folded if t}, key=len, reverse=True)
    alt = "|".join(re.escape(t) for t in terms)
    return rf"(^|\s)({alt})(\s({alt}))*$"


def organisation_key(col: pa.ChunkedArray[Any] | pa.Array[Any], words: tuple[str, ...]) -> Any:
    """Organisation names folded for comparing: case, punctuation and legal-form words."""
    folded = _fold(col)
    if not words:
        stripped: Any = folded
    else:
        stripped = pc.replace_substring_regex(
            folded, pattern=legal_form_pattern(words), replacement=""
        )
        stripped = pc.utf8_trim_whitespace(stripped)
        # A name that is nothing but legal-form words keeps them.
        stripped = pc.if_else(pc.equal(stripped, pa.scalar("")), folded, stripped)
    empty = pc.equal(stripped, pa.scalar(""))
    return pc.if_else(empty, pa.scalar(None, pa.string()), stripped)


def _matching(col: pa.ChunkedArray[Any], pattern: str) -> Any:
    text: Any = pc.utf8_trim_whitespace(pc.cast(col, pa.string()).combine_chunks())
    ok = pc.fill_null(pc.match_substring_regex(text, pattern=pattern), False)
    return pc.if_else(ok, text, pa.scalar(None, pa.string()))


@dataclass
class Plan:
    """The features of one entity's records by attribute, and how each is compared."""

    feature_of: dict[str, str] = field(default_factory=dict)
    """Attribute -> feature column."""
    kinds: dict[str, MatchKind] = field(default_factory=dict)
    """Feature column -> kind."""
    tolerance: dict[str, float | None] = field(default_factory=dict)
    window: dict[str, int] = field(default_factory=dict)
    blocks: dict[str, str] = field(default_factory=dict)
    """Organisation name feature -> its first-word feature (a blocking key only)."""
    compare_keys: dict[str, pa.Array[Any]] = field(default_factory=dict)
    """Attribute -> the values as compared for discrepancies (organisation names folded)."""

    def columns(self) -> list[str]:
        ordered = sorted(self.kinds, key=lambda c: _ORDER.index(self.kinds[c]))
        return [*ordered, *self.blocks.values()]


def add_features(
    table: pa.Table,
    entity: EntitySpec,
    attributes: list[str],
    identifiers: list[str],
    legal_forms: list[str] | None,
) -> tuple[pa.Table, Plan]:
    """Append a feature per comparable attribute; the plan says how each is compared."""
    words = tuple(legal_forms) if legal_forms is not None else library_legal_forms()
    plan = Plan()
    cols = set(table.column_names)
    out: dict[str, Any] = {}
    for attr in attributes:
        spec = entity.attribute(attr)
        if spec is None or attr not in cols:
            continue
        kind = spec.match_kind()
        if kind in ("none", "person_name"):
            continue
        col = table.column(attr)
        name = id_feature(attr) if kind == "identifier" else f"f_{attr}"
        if kind == "identifier":
            if attr not in identifiers:
                continue
            value: Any = _validated(table, attr)
        elif kind == "organisation_name":
            value = organisation_key(col, words)
            plan.compare_keys[attr] = value
            first = f"f_{attr}{FIRST_WORD}"
            out[first] = _first_word(value)
            plan.blocks[name] = first
        elif kind in ("text", "address", "email"):
            value = _text(col)
        elif kind == "phone":
            value = _compact(col, r"\D")
        elif kind == "date":
            value = _matching(col, _DATE)
            plan.window[name] = (
                spec.window_days if spec.window_days is not None else DEFAULT_WINDOW_DAYS
            )
        elif kind == "amount":
            text = _matching(
                pc.replace_substring_regex(col, pattern=r"\s", replacement=""), _NUMBER
            )
            value = pc.cast(text, pa.float64())
            plan.tolerance[name] = spec.tolerance
        else:  # code
            value = _compact(col, r"\s")
        out[name] = value
        plan.feature_of[attr] = name
        plan.kinds[name] = kind
    for name, value in out.items():
        if name in table.column_names:
            table = table.drop_columns([name])
        table = table.append_column(name, value)
    return table, plan


def _first_word(value: Any) -> Any:
    """The first word of each folded name (null where there is none)."""
    return pc.replace_substring_regex(value, pattern=r"\s.*$", replacement="")


def comparisons(
    plan: Plan, av: Available, condition: Callable[[str], str] = as_written
) -> dict[str, Any]:
    """Splink comparisons for the available features, by feature column (``condition``
    as :func:`.model.comparisons`'s)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def exact(col: str) -> Any:
        level = cll.ExactMatchLevel(col)
        return with_tf(level, col) if col in av.skewed else level

    out: dict[str, Any] = {}
    for col in plan.columns():
        kind = plan.kinds.get(col)
        if kind is None or not av.has(col):
            continue
        levels: list[Any] = [cll.NullLevel(col), exact(col)]
        if kind in ("organisation_name", "address"):
            levels += [cll.JaroWinklerLevel(col, 0.92), cll.JaroWinklerLevel(col, 0.80)]
        elif kind == "text":
            levels += [
                cll.CustomLevel(
                    condition(_one_edit(col)), label_for_charts="one edit or transposition"
                ),
                cll.JaroWinklerLevel(col, 0.88),
            ]
        elif kind in ("identifier", "phone"):
            levels.append(
                cll.CustomLevel(
                    condition(_one_edit(col)), label_for_charts="one edit or transposition"
                )
            )
        elif kind == "date":
            days = plan.window[col]
            levels.append(
                cll.AbsoluteDateDifferenceLevel(
                    col, input_is_string=True, threshold=days, metric="day"
                ).configure(label_for_charts=f"within {days} days")
            )
        elif kind == "amount":
            tol = plan.tolerance.get(col)
            level = (
                cll.AbsoluteDifferenceLevel(col, tol)
                if tol is not None
                else cll.PercentageDifferenceLevel(col, DEFAULT_TOLERANCE_SHARE / 100)
            )
            label = f"within {tol:g}" if tol is not None else "within 1 %"
            levels.append(level.configure(label_for_charts=label))
        levels.append(cll.ElseLevel())
        out[col] = cl.CustomComparison(output_column_name=col, comparison_levels=levels)
    return out


def _same(*cols: str) -> Rule:
    return Rule(tuple((c, c) for c in cols))


def candidate_rules(plan: Plan, av: Available) -> list[Rule]:
    """Blocking rules to try, most useful first; the pair budget decides which are kept.

    Identifiers, then exact organisation names, contacts, references and addresses, then
    a name's first word (reaches typos later in the name) alone and with each date or code,
    then amounts and dates (payments against invoices), each alone and together.
    """
    has = av.has
    by_kind: dict[str, list[str]] = {}
    for col in plan.columns():
        if col in plan.kinds and has(col):
            by_kind.setdefault(plan.kinds[col], []).append(col)

    def of(*kinds: str) -> list[str]:
        return [c for k in kinds for c in by_kind.get(k, [])]

    rules = [_same(c) for c in of("identifier", "organisation_name", "phone", "email")]
    rules += [_same(c) for c in of("text", "address")]
    firsts = [plan.blocks[c] for c in of("organisation_name") if has(plan.blocks[c])]
    for first in firsts:
        rules.append(_same(first))
        rules += [_same(first, c) for c in of("date", "code", "amount")]
    amounts, dates = of("amount"), of("date")
    rules += [_same(a, d) for a in amounts for d in dates]
    rules += [_same(c) for c in [*amounts, *dates]]
    for text in of("text"):
        rules += [_same(text, c) for c in [*amounts, *dates]]
    if not rules:
        rules = [_same(c) for c in av.columns]
    return list(dict.fromkeys(rules))
