"""The linkage model generated from the attributes the data holds.

A feature (``f_*`` column of the prepared records) takes part when the data can support
it: values in at least two records and two distinct values, held by at least two of the
linked datasets (or by the one dataset of a de-duplication). Every comparison and every
candidate blocking rule is built from those features only, so nothing in the model names
an attribute the data lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

NAME_FEATURES = ("f_family", "f_given")
"""Family and given name keys: string similarity, and a level for the two swapped."""
OTHER_NAMES = ("f_patronymic", "f_middle")
TEXT = ("f_street", "f_locality")
EXACT = ("f_sex", "f_house", "f_region", "f_email")
EDIT = ("f_post_code", "f_phone")
"""Exact, one edit or transposition (Damerau-Levenshtein 1), different."""
BIRTH = "f_birth_date"
YEAR = "f_birth_year"
UNDATED = "u_family"
"""The family-name key of records lacking a birth date (their own blocking rule)."""


def feature_columns(identifier_features: Iterable[str]) -> list[str]:
    """Every feature the model may use, in the order comparisons are listed."""
    return [
        *NAME_FEATURES,
        *OTHER_NAMES,
        BIRTH,
        *identifier_features,
        *TEXT,
        *EDIT,
        *EXACT,
    ]


@dataclass(frozen=True)
class Available:
    """The features the data supports, and which of them have skewed value frequencies."""

    columns: list[str]
    skewed: set[str]

    def has(self, *cols: str) -> bool:
        return all(c in self.columns for c in cols)


def available(table: pa.Table, candidates: list[str], datasets: int) -> Available:
    """Features with values in two records, two distinct values and enough datasets.

    ``datasets``: how many datasets are linked; a feature must have values in at least
    two of them (one when a single dataset is de-duplicated). A feature is *skewed* when
    its most frequent value is at least five times as common as the average value: the
    term-frequency adjustment then weighs an agreement on a rare value above one on a
    common value.
    """
    kept: list[str] = []
    skewed: set[str] = set()
    need = min(2, datasets)
    for col in candidates:
        if col not in table.column_names:
            continue
        values = table.column(col)
        if len(values) - values.null_count < 2:
            continue
        holders = table.filter(pc.is_valid(values)).column("dataset")
        if pc.count_distinct(holders).as_py() < need:
            continue
        counts: Any = pc.value_counts(values.combine_chunks())
        freq = counts.field("counts").to_numpy()
        freq = freq[counts.field("values").is_valid().to_numpy(zero_copy_only=False)]
        if len(freq) < 2:
            continue
        kept.append(col)
        if len(freq) >= 20 and freq.max() >= 5 * freq.mean():
            skewed.add(col)
    return Available(kept, skewed)


FIRST_WORD = "__first_word"
"""Suffix of a blocking key holding the first word of a name (:mod:`.generic`)."""


def _label(col: str) -> str:
    if col.endswith(FIRST_WORD):
        return f"{_label(col.removesuffix(FIRST_WORD))} (first word)"
    return col.removeprefix("f_id_").removeprefix("f_").replace("_", " ")


def as_written(sql: str) -> str:
    return sql


def comparisons(
    av: Available,
    identifier_features: list[str],
    condition: Callable[[str], str] = as_written,
) -> dict[str, Any]:
    """Splink comparisons for the available features, by feature column.

    ``condition``: a custom level's SQL, written in DuckDB's dialect, as the backend's
    (``Linkage.condition`` of the engine Splink runs on).
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def exact(col: str) -> Any:
        level = cll.ExactMatchLevel(col)
        return with_tf(level, col) if col in av.skewed else level

    out: dict[str, Any] = {}
    both_names = av.has(*NAME_FEATURES)
    for col in NAME_FEATURES:
        if not av.has(col):
            continue
        levels = [cll.NullLevel(col), exact(col)]
        if both_names:
            other = NAME_FEATURES[1 - NAME_FEATURES.index(col)]
            levels.append(
                cll.CustomLevel(
                    condition(f"{col}_l = {other}_r"),
                    label_for_charts="swapped with the other name part",
                )
            )
        levels += [
            cll.JaroWinklerLevel(col, 0.92),
            cll.JaroWinklerLevel(col, 0.80),
            cll.ElseLevel(),
        ]
        out[col] = cl.CustomComparison(output_column_name=col, comparison_levels=levels)
    for col in OTHER_NAMES:
        if av.has(col):
            out[col] = _similar(cl, cll, col, exact(col), 0.92)
    if av.has(BIRTH):
        swap = (
            "substr(f_birth_date_l, 1, 4) = substr(f_birth_date_r, 1, 4) and "
            "substr(f_birth_date_l, 6, 2) = substr(f_birth_date_r, 9, 2) and "
            "substr(f_birth_date_l, 9, 2) = substr(f_birth_date_r, 6, 2)"
        )
        year = "substr(f_birth_date_l, 1, 4) = substr(f_birth_date_r, 1, 4)"
        out[BIRTH] = cl.CustomComparison(
            output_column_name=BIRTH,
            comparison_levels=[
                cll.NullLevel(BIRTH),
                cll.ExactMatchLevel(BIRTH),
                cll.CustomLevel(condition(swap), label_for_charts="day and month swapped"),
                cll.CustomLevel(
                    condition(_one_digit(BIRTH)), label_for_charts="one digit different"
                ),
                cll.CustomLevel(condition(year), label_for_charts="same year"),
                cll.ElseLevel(),
            ],
        )
    for col in [*identifier_features, *EDIT]:
        if av.has(col):
            out[col] = cl.CustomComparison(
                output_column_name=col,
                comparison_levels=[
                    cll.NullLevel(col),
                    exact(col),
                    cll.CustomLevel(
                        condition(_one_edit(col)), label_for_charts="one edit or transposition"
                    ),
                    cll.ElseLevel(),
                ],
            )
    for col in TEXT:
        if av.has(col):
            out[col] = _similar(cl, cll, col, exact(col), 0.88)
    for col in EXACT:
        if av.has(col):
            out[col] = cl.CustomComparison(
                output_column_name=col,
                comparison_levels=[cll.NullLevel(col), exact(col), cll.ElseLevel()],
            )
    return out


def with_tf(level: Any, col: str) -> Any:
    """An exact-match level with the term-frequency adjustment on its own column.

    The level is itself the exact match the adjustment scales from, so Splink need not
    search for it: the search parses every level's SQL each time the model is turned
    into SQL (each EM iteration, each prediction). The weights are the same."""
    return level.configure(tf_adjustment_column=col, disable_tf_exact_match_detection=True)


def _one_edit(col: str) -> str:
    """Damerau-Levenshtein distance at most 1, behind a cheap test that lets most
    differing pairs out first: one edit or adjacent transposition leaves the first or the
    last character in place in a string of three or more characters, and the first two or
    the last two in one of five or more. (Random pairs, as in u sampling, mostly differ at
    both ends; the distance itself is the expensive part of scoring them.)"""
    a, b = f"{col}_l", f"{col}_r"
    return (
        f"(length({a}) < 3"
        f" or (length({a}) < 5 and (left({a}, 1) = left({b}, 1) or right({a}, 1) = right({b}, 1)))"
        f" or left({a}, 2) = left({b}, 2) or right({a}, 2) = right({b}, 2))"
        f" and damerau_levenshtein({a}, {b}) <= 1"
    )


def _one_digit(col: str) -> str:
    """Dates of the same length (ISO text) differing in one character: a day, month or
    year one off in its last digit, or a typo."""
    a, b = f"{col}_l", f"{col}_r"
    return f"(case when length({a}) = length({b}) then hamming({a}, {b}) else 2 end) = 1"


def _similar(cl: Any, cll: Any, col: str, exact: Any, threshold: float) -> Any:
    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[
            cll.NullLevel(col),
            exact,
            cll.JaroWinklerLevel(col, threshold),
            cll.ElseLevel(),
        ],
    )


@dataclass(frozen=True)
class Rule:
    """A blocking rule: equalities ``l.<left> = r.<right>``, all of which must hold."""

    keys: tuple[tuple[str, str], ...]
    mirror: bool = False
    """Also the mirrored rule (``l.<right> = r.<left>``): the equalities are asymmetric."""

    def columns(self) -> set[str]:
        return {c for pair in self.keys for c in pair}

    def sql(self) -> str:
        return " and ".join(f"l.{a} = r.{b}" for a, b in self.keys)

    def label(self) -> str:
        parts = []
        for a, b in self.keys:
            if a == UNDATED or b == UNDATED:
                parts.append("family name (a record without birth date)")
            elif a == b:
                parts.append(_label(a))
            else:
                parts.append(f"{_label(a)} = {_label(b)}")
        return " + ".join(parts)


def _same(*cols: str) -> Rule:
    return Rule(tuple((c, c) for c in cols))


def candidate_rules(av: Available, identifier_features: list[str]) -> list[Rule]:
    """Blocking rules to try, most useful first; each only on available features.

    Identifiers first (cheap and decisive), then the birth date (reaches mistyped
    names), then name rules (reach mistyped birth dates), then address and contact
    rules (reach changed names); the budget in :mod:`blocking` decides which are kept.
    """
    rules: list[Rule] = []
    has = av.has
    rules += [_same(c) for c in identifier_features if has(c)]
    fam, giv = NAME_FEATURES
    if has(BIRTH):
        rules.append(_same(BIRTH))
        rules += [_same(BIRTH, c) for c in (fam, giv, "f_post_code") if has(c)]
    if has(fam, giv):
        rules.append(_same(fam, giv, YEAR) if has(BIRTH) else _same(fam, giv))
        rules.append(Rule(((fam, giv), (giv, fam))))
    for other in OTHER_NAMES:
        if has(other, BIRTH):
            rules += [_same(c, other, YEAR) for c in (fam, giv) if has(c)]
        if has(fam, giv, other):
            rules.append(_same(fam, giv, other))
    if has(fam, giv, BIRTH):
        rules.append(Rule(((UNDATED, fam), (giv, giv)), mirror=True))
    if has(fam, giv):
        rules.append(_same(fam, giv))
    for place in ("f_post_code", "f_locality"):
        if has(place):
            rules += [_same(c, place) for c in (fam, giv) if has(c)]
            if has("f_house"):
                rules.append(_same("f_house", place))
            if has("f_street"):
                rules.append(_same("f_street", place))
    rules += [_same(c) for c in ("f_phone", "f_email") if has(c)]
    if has(fam, BIRTH):
        rules.append(_same(fam, YEAR))
    if has(giv, BIRTH):
        rules.append(_same(giv, YEAR))
    if not rules:
        # Nothing to combine: each feature alone, the budget decides which are usable.
        rules = [_same(c) for c in av.columns]
    return list(dict.fromkeys(rules))
