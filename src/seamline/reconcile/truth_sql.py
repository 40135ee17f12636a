"""The truth rules and the classification of one attribute as one engine query.

This is :func:`seamline.reconcile.golden.choose` and the classification of
:mod:`seamline.reconcile.compare` written as group-bys joined back on the entity, so
that every entity is decided at once inside the engine instead of in a Python loop per
entity (10^5..10^6 entities × attributes). Only the narrow columns go through the rule
steps; the chosen record (the first kept one by ``ord``) is joined back for its value,
dataset and source key at the end. ``choose`` stays the readable definition;
the tests hold the two to the same results.

Inputs (registered by the caller): ``recs`` (one row per record: ``rid``, ``entity``,
``dataset``, ``uid``, ``recency``, ``ord`` = rank by (dataset, uid, rid), and per
attribute ``v<i>`` value, ``o<i>`` original, ``k<i>`` compare key as an integer code:
equal keys, equal codes) and ``hold``
(``attr``, ``dataset``, ``auth``: which datasets map attribute ``i`` and which are
authoritative for it).

The queries are sqlglot trees. Each piece is written once as constant SQL and parsed;
the parts that vary (a rule step's column and table names, the attribute number) are
put in as tree nodes: identifiers named ``_<slot>`` in a piece are swapped for the
step's identifiers (:func:`_piece`) and ``:attr`` for a number literal. No text is
ever spliced into SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

import sqlglot
from sqlglot import exp

from seamline.reconcile.spec import TruthRule

DIALECT = "duckdb"


@cache
def _parsed(sql: str) -> exp.Expr:
    tree: exp.Expr = sqlglot.parse_one(sql, read=DIALECT)
    return tree


def _piece(sql: str, names: Mapping[str, str] | None = None, attr: int | None = None) -> exp.Expr:
    """A constant SQL piece as a fresh tree, its ``_slot`` identifiers and ``:attr`` filled."""
    names = names or {}

    def fill(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Identifier) and node.this in names:
            return exp.to_identifier(names[node.this])
        if isinstance(node, exp.Placeholder) and node.this == "attr" and attr is not None:
            return exp.Literal.number(attr)
        return node

    return _parsed(sql).transform(fill)


def _select(
    sql: str, names: Mapping[str, str] | None = None, attr: int | None = None
) -> exp.Select:
    tree = _piece(sql, names, attr)
    if not isinstance(tree, exp.Select):
        raise TypeError(f"not a SELECT: {sql}")
    return tree


def _step_names(i: int) -> dict[str, str]:
    """The identifiers of rule step ``i`` (``k<i>`` kept, ``c<i>`` its table, ...)."""
    names = {s: f"{s}{i}" for s in ("k", "c", "x", "a", "b", "m", "f", "g", "n", "t")}
    names |= {"kept": f"kept{i}", "one": f"one{i}", "ds": f"ds{i}"}
    names |= {"prev": f"k{i - 1}", "src": f"c{i - 1}", "kept_prev": f"kept{i - 1}"}
    return {f"_{k}": v for k, v in names.items()}


# Per-entity figures are a GROUP BY joined back on the entity, not a window: hash
# aggregates and joins beat the sorts a window partition costs (about 1.5x here).
_STEPS: dict[TruthRule, tuple[tuple[str, str], ...]] = {
    "authoritative": (
        ("_a", "SELECT entity, bool_or(_prev AND auth) AS _b FROM _src GROUP BY entity"),
        (
            "_c",
            "SELECT s.*, coalesce(s._prev AND (s.auth OR NOT a._b), FALSE) AS _k, "
            "NULL::VARCHAR AS _x FROM _src s JOIN _a a ON a.entity = s.entity",
        ),
    ),
    "most_recent": (
        (
            "_m",
            "SELECT entity, max(CASE WHEN _prev THEN recency END) AS _x FROM _src GROUP BY entity",
        ),
        (
            "_c",
            "SELECT s.*, m._x, coalesce(s._prev AND (m._x IS NULL OR s.recency = m._x), FALSE) "
            "AS _k FROM _src s JOIN _m m ON m.entity = s.entity",
        ),
    ),
    "most_frequent": (
        (
            "_f",
            "SELECT entity, ckey, sum(_prev::INTEGER) AS _n FROM _src GROUP BY entity, ckey",
        ),
        ("_g", "SELECT entity, max(_n) AS _t FROM _f GROUP BY entity"),
        (
            "_c",
            "SELECT s.*, coalesce(s._prev AND f._n = g._t, FALSE) AS _k, g._t::VARCHAR AS _x "
            "FROM _src s JOIN _f f ON f.entity = s.entity AND f.ckey = s.ckey "
            "JOIN _g g ON g.entity = s.entity",
        ),
    ),
}
"""Per rule, the CTEs narrowing ``k<i-1>`` (the kept candidates) to ``k<i>``."""

_REASONS: dict[TruthRule, str] = {
    "authoritative": "_ds || ' is authoritative'",
    "most_recent": "'most recent record (' || substr(_x, 1, 4) || '-' || substr(_x, 5, 2) "
    "|| '-' || substr(_x, 7, 2) || ', ' || _ds || ')'",
    "most_frequent": "_x || ' of ' || _kept_prev || ' records agree'",
}
_DECIDED = "_kept < _kept_prev AND _one"
"""Rule ``i`` decided: it narrowed the candidates to one compare key."""

_ROWS = (
    "SELECT r.rid, r.entity, r.dataset, r.uid, r.recency, r.ord, r._v AS value, "
    "r._o AS orig, r._kk AS ckey, h.auth "
    "FROM recs r JOIN hold h ON h.dataset = r.dataset AND h.attr = :attr"
)
# Only "one distinct" against "several" matters, and min <> max says that without the
# cost of count(DISTINCT); a null original next to a present one counts too.
_STATS = (
    "SELECT entity, count(*) AS n_rows, count(value) AS n_present, "
    "min(ckey) FILTER (WHERE value IS NOT NULL) "
    "<> max(ckey) FILTER (WHERE value IS NOT NULL) AS keys_differ, "
    "min(value) <> max(value) AS values_differ, "
    "coalesce(min(orig) FILTER (WHERE value IS NOT NULL) "
    "<> max(orig) FILTER (WHERE value IS NOT NULL), FALSE) "
    "OR (bool_or(orig IS NULL AND value IS NOT NULL) "
    "AND bool_or(orig IS NOT NULL AND value IS NOT NULL)) AS origs_differ "
    "FROM rows GROUP BY entity"
)
_C0 = (
    "SELECT entity, dataset, recency, ord, ckey, auth, TRUE AS k0 FROM rows WHERE value IS NOT NULL"
)
_PICK = (
    "SELECT entity, count(*) AS kept0, min(ord) FILTER (WHERE _k) AS pick_ord "
    "FROM _c GROUP BY entity"
)
_PER_STEP = (
    "SELECT count_if(_k) AS _kept, "
    "min(ckey) FILTER (WHERE _k) = max(ckey) FILTER (WHERE _k) AS _one, "
    "min(CASE WHEN _k THEN dataset END) AS _ds, any_value(_x) AS _x"
)
_FINAL = (
    "SELECT e.entity, "
    "CASE WHEN s.n_rows < 2 OR s.n_present = 0 OR s.n_rows IS NULL THEN NULL "
    "WHEN s.keys_differ THEN 'conflict' "
    "WHEN s.n_present < s.n_rows THEN 'missing_in' "
    "WHEN s.values_differ OR s.origs_differ THEN 'format_only' ELSE 'equal' END AS cls, "
    "w._v AS value, w.dataset, w.uid AS record, "
    "CASE WHEN p.kept0 IS NULL THEN 'missing' WHEN p.kept0 = 1 THEN 'only_source' "
    "WHEN NOT s.keys_differ THEN 'agreed' ELSE 'tie' END AS rule, "
    "CASE WHEN p.kept0 IS NULL THEN 'no linked record has a value' "
    "WHEN p.kept0 = 1 THEN 'one record' "
    "WHEN NOT s.keys_differ THEN 'all ' || p.kept0 || ' records agree' "
    "ELSE 'no rule decided; first by key' END AS reason "
    "FROM ents e LEFT JOIN stats s ON s.entity = e.entity "
    "LEFT JOIN pick p ON p.entity = e.entity LEFT JOIN recs w ON w.ord = p.pick_ord "
    "ORDER BY e.entity"
)


def _attr_names(attr: int) -> dict[str, str]:
    return {"_v": f"v{attr}", "_o": f"o{attr}", "_kk": f"k{attr}"}


def _add_whens(case: exp.Expr, whens: Sequence[tuple[exp.Expr, exp.Expr]]) -> None:
    """Insert ``WHEN ... THEN ...`` branches after the existing ones of ``case``."""
    if not isinstance(case, exp.Case):
        raise TypeError("not a CASE expression")
    ifs = list(case.args.get("ifs") or [])
    case.set("ifs", [*ifs, *(exp.If(this=c, true=v) for c, v in whens)])


def attribute_sql(attr: int, rules: Sequence[TruthRule]) -> exp.Select:
    """Per entity (sorted): classification, golden value, its dataset, record, rule, reason.

    ``cls`` is null where nothing is compared (fewer than two records of datasets that
    map the attribute, or no value at all); the rest follows ``compare._classify``.
    """
    ctes: list[tuple[str, exp.Expr]] = [
        ("rows", _piece(_ROWS, _attr_names(attr), attr)),
        ("stats", _piece(_STATS)),
        ("c0", _piece(_C0)),
    ]
    for i, rule in enumerate(rules, 1):
        names = _step_names(i)
        ctes.extend((names[slot], _piece(sql, names)) for slot, sql in _STEPS[rule])
    last = _step_names(len(rules))
    pick = _select(_PICK, {"_k": last["_k"], "_c": last["_c"]})
    for i in range(1, len(rules) + 1):
        pick = pick.select(*_select(_PER_STEP, _step_names(i)).expressions, copy=False)
    ctes.append(("pick", pick))
    query = _select(_FINAL, _attr_names(attr))
    whens = [
        (_piece(_DECIDED, _step_names(i)), exp.Literal.string(rule))
        for i, rule in enumerate(rules, 1)
    ]
    reasons = [
        (_piece(_DECIDED, _step_names(i)), _piece(_REASONS[rule], _step_names(i)))
        for i, rule in enumerate(rules, 1)
    ]
    rule_case, reason_case = (e.this for e in query.expressions[5:7])
    _add_whens(rule_case, whens)
    _add_whens(reason_case, reasons)
    for name, tree in ctes:
        query = query.with_(exp.TableAlias(this=exp.to_identifier(name)), as_=tree, copy=False)
    return query


_OBSERVED = (
    "SELECT r.entity, list({'dataset': r.dataset, 'record': r.uid, "
    "'record_no': r.record_no, 'value': r._v, 'original': r._o} "
    "ORDER BY r.rid) AS vals FROM recs r "
    "JOIN hold h ON h.dataset = r.dataset AND h.attr = :attr "
    "JOIN want w ON w.entity = r.entity GROUP BY r.entity ORDER BY r.entity"
)


def observed_sql(attr: int) -> exp.Select:
    """The records behind the chosen (entity, attribute) discrepancies, in record order.

    ``want`` (registered by the caller) lists the entities to expand.
    """
    return _select(_OBSERVED, _attr_names(attr), attr)


RANKED_SQL = _piece("CREATE TEMP TABLE recs AS SELECT * FROM recs_in")
"""``recs``: the records (``recs_in``), with ``ord``, their rank by (dataset, uid, rid),
the order in which ``choose`` breaks ties."""

ENTITIES_SQL = _select(
    "SELECT entity, count(*) AS records, "
    "string_agg(DISTINCT dataset, ';' ORDER BY dataset) AS datasets "
    "FROM recs GROUP BY entity ORDER BY entity"
)
"""One row per entity: its record count and the datasets holding it."""

PAIRS_SQL = _select(
    "WITH ed AS (SELECT entity, dataset, count(*) AS n FROM recs GROUP BY entity, dataset) "
    "SELECT a.dataset || '|' || b.dataset AS pair, count(*) AS entities "
    "FROM ed a JOIN ed b ON a.entity = b.entity AND a.dataset <= b.dataset "
    "WHERE a.dataset <> b.dataset OR a.n >= 2 GROUP BY pair ORDER BY pair"
)
"""Entities holding records of both datasets of a pair (two records of one, for a == b)."""
