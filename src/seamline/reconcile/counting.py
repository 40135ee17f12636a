"""The candidate blocking rules' pairs, counted in the shape :func:`blocking.choose` calls.

Both counters give the pairs Splink's blocking makes, each rule counted for the pairs
the rules before it do not make:

- :class:`SplinkCounter` calls ``count_comparisons_from_blocking_rules``: it counts
  without keeping a pair, on a sample of records beyond 50,000 records.
- :class:`BlockedPairs` runs Splink's own blocking for prediction
  (``compute_blocked_pairs_for_predict``) once, on a linker holding the rules, and counts
  its pairs per rule. The rules left after counting make exactly the pairs of the last
  count (a rule adding none changes nothing), so the model scores that table
  (``register_blocked_pairs_for_predict``) instead of blocking again. It keeps the pairs,
  so it is used only where key frequencies bound those of every candidate together
  (:func:`pair_bound`); on FEBRL it takes a fifth of the time of Splink's counting,
  which describes and parses every rule again.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from seamline.reconcile.model import Rule

ONE_PASS_MAX_PAIRS = 5_000_000
"""At most this many pairs (bounded from key frequencies) are blocked in one pass."""
EXACT_RECORDS = 50_000
"""Up to this many records the pairs are counted exactly (beyond, on a sample)."""


def pair_bound(data: pa.Table, rules: list[Rule]) -> int:
    """An upper bound of the pairs the rules make: per rule, the ordered pairs of records
    whose left and right key values are equal (nulls never equal), summed."""

    def sizes(cols: list[str]) -> pa.Table:
        keep = pc.is_valid(data.column(cols[0]))
        for c in cols[1:]:
            keep = pc.and_(keep, pc.is_valid(data.column(c)))
        keys = data.select(cols).filter(keep).rename_columns([f"k{i}" for i in range(len(cols))])
        return keys.group_by(keys.column_names).aggregate([([], "count_all")])

    total = 0
    for rule in rules:
        left = [a for a, _ in rule.keys]
        right = [b for _, b in rule.keys]
        if left == right:  # the same key on both sides: each block's size squared
            n = pc.cast(sizes(left).column("count_all"), pa.int64())
            products = pc.multiply(n, n)
        else:
            joined = sizes(left).join(
                sizes(right),
                [f"k{i}" for i in range(len(left))],
                join_type="inner",
                right_suffix="_r",
            )
            products = pc.multiply(
                pc.cast(joined.column("count_all"), pa.int64()),
                pc.cast(joined.column("count_all_r"), pa.int64()),
            )
        total += int(pc.sum(products).as_py() or 0) * (2 if rule.mirror else 1)
    return total


class SplinkCounter:
    """Splink's pair counting on one registered frame."""

    def __init__(self, frame: Any, count: Any) -> None:
        self.frame, self.count = frame, count
        self.blocking_analysis = self

    def count_comparisons_from_blocking_rules(
        self, rules: list[str], *, record_sample_proportion: float
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.count(
            self.frame,
            blocking_rules=rules,
            link_type="dedupe_only",
            unique_id_column_name="unique_id",
            record_sample_proportion=record_sample_proportion,
        )
        return out


class BlockedPairs:
    """Splink's blocking for prediction, run once and counted per rule; ``blocked`` is
    the table of the last count, for the model to score."""

    def __init__(self, frame: Any, feature: str) -> None:
        self.frame, self.feature = frame, feature
        self.blocking_analysis = self
        self.blocked: Any = None

    def count_comparisons_from_blocking_rules(
        self, rules: list[str], *, record_sample_proportion: float
    ) -> list[dict[str, Any]]:
        del record_sample_proportion  # exact: used up to EXACT_RECORDS only
        import splink.comparison_library as cl
        from splink import Linker, SettingsCreator

        # The comparisons play no part in blocking: one cheap one keeps the linker small.
        settings = SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="unique_id",
            comparisons=[cl.ExactMatch(self.feature)],
            blocking_rules_to_generate_predictions=[{"blocking_rule": r} for r in rules],
        )
        linker: Any = Linker(self.frame, settings, log_level=None, validate_settings=False)
        self.blocked = linker.inference.compute_blocked_pairs_for_predict()
        # Counted where the pairs are (DuckDB or Spark), in Splink's dialect of it.
        counts = (
            exp.select("match_key", exp.alias_(exp.Count(this=exp.Star()), "n"))
            .from_(exp.to_table(self.blocked.physical_name))
            .group_by("match_key")
        )
        dialect = linker._db_api.sql_dialect.sqlglot_dialect
        rows = linker.misc.query_sql(counts.sql(dialect=dialect)).as_record_list()
        by_key = {int(r["match_key"]): int(r["n"]) for r in rows}
        return [{"marginal_comparison_count": by_key.get(i, 0)} for i in range(len(rules))]
