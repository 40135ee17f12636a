"""The truth rules and the classification of one attribute as one engine query.

This is :func:`seamline.reconcile.golden.choose` and the classification of
:mod:`seamline.reconcile.compare` written as window functions and a group-by, so that
every entity is decided at once inside the engine instead of in a Python loop per
entity (10^5..10^6 entities × attributes). Only the narrow columns go through the rule
steps; the chosen record (the first kept one by ``ord``) is joined back for its value,
dataset and source key at the end. ``choose`` stays the readable definition;
the tests hold the two to the same results.

Inputs (registered by the caller): ``recs`` (one row per record: ``rid``, ``entity``,
``dataset``, ``uid``, ``recency``, ``ord`` = rank by (dataset, uid, rid), and per
attribute ``v<i>`` value, ``o<i>`` original, ``k<i>`` compare key) and ``hold``
(``attr``, ``dataset``, ``auth``: which datasets map attribute ``i`` and which are
authoritative for it). Only fixed identifiers are spliced into the text; no value is.
"""

# ruff: noqa: S608 -- the text is built from fixed identifiers, rule keywords and numbers

from __future__ import annotations

from collections.abc import Sequence

from seamline.reconcile.spec import TruthRule


def _step(i: int, rule: TruthRule) -> list[str]:
    """CTEs narrowing ``k<i-1>`` (the kept candidates) to ``k<i>`` by one rule.

    Per-entity figures are a GROUP BY joined back on the entity, not a window: hash
    aggregates and joins beat the sorts a window partition costs (about 1.5x here).
    """
    prev, src = f"k{i - 1}", f"c{i - 1}"
    if rule == "authoritative":
        return [
            f"a{i} AS (SELECT entity, bool_or({prev} AND auth) AS b{i} FROM {src} GROUP BY entity)",
            f"c{i} AS (SELECT s.*, coalesce(s.{prev} AND (s.auth OR NOT a.b{i}), FALSE) AS k{i}, "
            f"NULL::VARCHAR AS x{i} FROM {src} s JOIN a{i} a ON a.entity = s.entity)",
        ]
    if rule == "most_recent":
        return [
            f"m{i} AS (SELECT entity, max(CASE WHEN {prev} THEN recency END) AS x{i} "
            f"FROM {src} GROUP BY entity)",
            f"c{i} AS (SELECT s.*, m.x{i}, "
            f"coalesce(s.{prev} AND (m.x{i} IS NULL OR s.recency = m.x{i}), FALSE) AS k{i} "
            f"FROM {src} s JOIN m{i} m ON m.entity = s.entity)",
        ]
    return [
        f"f{i} AS (SELECT entity, ckey, sum({prev}::INTEGER) AS n{i} "
        f"FROM {src} GROUP BY entity, ckey)",
        f"g{i} AS (SELECT entity, max(n{i}) AS t{i} FROM f{i} GROUP BY entity)",
        f"c{i} AS (SELECT s.*, coalesce(s.{prev} AND f.n{i} = g.t{i}, FALSE) AS k{i}, "
        f"g.t{i}::VARCHAR AS x{i} FROM {src} s "
        f"JOIN f{i} f ON f.entity = s.entity AND f.ckey = s.ckey "
        f"JOIN g{i} g ON g.entity = s.entity)",
    ]


def _reason(i: int, rule: TruthRule) -> str:
    if rule == "authoritative":
        return f"ds{i} || ' is authoritative'"
    if rule == "most_recent":
        stamp = f"substr(x{i}, 1, 4) || '-' || substr(x{i}, 5, 2) || '-' || substr(x{i}, 7, 2)"
        return f"'most recent record (' || {stamp} || ', ' || ds{i} || ')'"
    return f"x{i} || ' of ' || kept{i - 1} || ' records agree'"


def attribute_sql(attr: int, rules: Sequence[TruthRule]) -> str:
    """Per entity (sorted): classification, golden value, its dataset, record, rule, reason.

    ``cls`` is null where nothing is compared (fewer than two records of datasets that
    map the attribute, or no value at all); the rest follows ``compare._classify``.
    """
    v, o, k = f"v{attr}", f"o{attr}", f"k{attr}"
    ctes = [
        f"rows AS (SELECT r.rid, r.entity, r.dataset, r.uid, r.recency, r.ord, r.{v} AS value, "
        f"r.{o} AS orig, coalesce(nullif(r.{k}, ''), r.{v}) AS ckey, h.auth "
        f"FROM recs r JOIN hold h ON h.dataset = r.dataset AND h.attr = {attr})",
        # Only "one distinct" against "several" matters, and min <> max says that without
        # the cost of count(DISTINCT); a null original next to a present one counts too.
        "stats AS (SELECT entity, count(*) AS n_rows, count(value) AS n_present, "
        "min(ckey) FILTER (WHERE value IS NOT NULL) "
        "<> max(ckey) FILTER (WHERE value IS NOT NULL) AS keys_differ, "
        "min(value) <> max(value) AS values_differ, "
        "coalesce(min(orig) FILTER (WHERE value IS NOT NULL) "
        "<> max(orig) FILTER (WHERE value IS NOT NULL), FALSE) "
        "OR (bool_or(orig IS NULL AND value IS NOT NULL) "
        "AND bool_or(orig IS NOT NULL AND value IS NOT NULL)) AS origs_differ "
        "FROM rows GROUP BY entity)",
        "c0 AS (SELECT entity, dataset, recency, ord, ckey, auth, TRUE AS k0 FROM rows "
        "WHERE value IS NOT NULL)",
    ]
    for i, rule in enumerate(rules, 1):
        ctes.extend(_step(i, rule))
    last = len(rules)
    per_step = ", ".join(
        f"count_if(k{i}) AS kept{i}, "
        f"min(ckey) FILTER (WHERE k{i}) = max(ckey) FILTER (WHERE k{i}) AS one{i}, "
        f"min(CASE WHEN k{i} THEN dataset END) AS ds{i}, any_value(x{i}) AS x{i}"
        for i in range(1, last + 1)
    )
    ctes.append(
        "pick AS (SELECT entity, count(*) AS kept0, "
        f"min(ord) FILTER (WHERE k{last}) AS pick_ord"
        + (f", {per_step}" if per_step else "")
        + f" FROM c{last} GROUP BY entity)"
    )
    decided = [f"WHEN kept{i} < kept{i - 1} AND one{i} THEN " for i in range(1, last + 1)]
    rule_case = " ".join(f"{w}'{r}'" for w, r in zip(decided, rules, strict=True))
    reason_case = " ".join(
        f"{w}{_reason(i, r)}" for i, (w, r) in enumerate(zip(decided, rules, strict=True), 1)
    )
    classify = (
        "CASE WHEN s.n_rows < 2 OR s.n_present = 0 OR s.n_rows IS NULL THEN NULL "
        "WHEN s.keys_differ THEN 'conflict' "
        "WHEN s.n_present < s.n_rows THEN 'missing_in' "
        "WHEN s.values_differ OR s.origs_differ THEN 'format_only' ELSE 'equal' END"
    )
    select = (
        "SELECT e.entity, "
        f"{classify} AS cls, w.v{attr} AS value, w.dataset, w.uid AS record, "
        "CASE WHEN p.kept0 IS NULL THEN 'missing' WHEN p.kept0 = 1 THEN 'only_source' "
        f"WHEN NOT s.keys_differ THEN 'agreed' {rule_case} ELSE 'tie' END AS rule, "
        "CASE WHEN p.kept0 IS NULL THEN 'no linked record has a value' "
        "WHEN p.kept0 = 1 THEN 'one record' "
        "WHEN NOT s.keys_differ THEN 'all ' || p.kept0 || ' records agree' "
        f"{reason_case} ELSE 'no rule decided; first by key' END AS reason "
        "FROM ents e LEFT JOIN stats s ON s.entity = e.entity "
        "LEFT JOIN pick p ON p.entity = e.entity LEFT JOIN recs w ON w.ord = p.pick_ord "
        "ORDER BY e.entity"
    )
    return "WITH " + ",\n".join(ctes) + "\n" + select


def observed_sql(attr: int) -> str:
    """The records behind the chosen (entity, attribute) discrepancies, in record order.

    ``want`` (registered by the caller) lists the entities to expand.
    """
    return (
        "SELECT r.entity, list({'dataset': r.dataset, 'record': r.uid, "
        f"'record_no': r.record_no, 'value': r.v{attr}, 'original': r.o{attr}}} "
        "ORDER BY r.rid) AS vals FROM recs r "
        f"JOIN hold h ON h.dataset = r.dataset AND h.attr = {attr} "
        "JOIN want w ON w.entity = r.entity GROUP BY r.entity ORDER BY r.entity"
    )


ENTITIES_SQL = (
    "SELECT entity, count(*) AS records, "
    "string_agg(DISTINCT dataset, ';' ORDER BY dataset) AS datasets "
    "FROM recs GROUP BY entity ORDER BY entity"
)
"""One row per entity: its record count and the datasets holding it."""

PAIRS_SQL = (
    "WITH ed AS (SELECT entity, dataset, count(*) AS n FROM recs GROUP BY entity, dataset) "
    "SELECT a.dataset || '|' || b.dataset AS pair, count(*) AS entities "
    "FROM ed a JOIN ed b ON a.entity = b.entity AND a.dataset <= b.dataset "
    "WHERE a.dataset <> b.dataset OR a.n >= 2 GROUP BY pair ORDER BY pair"
)
"""Entities holding records of both datasets of a pair (two records of one, for a == b)."""
