"""Probabilistic linkage with Splink (Fellegi-Sunter) on its DuckDB backend.

Names are compared on the Latin name keys from :mod:`seamline.reconcile.prepare`
(DuckDB's string distances count bytes, so Cyrillic would be scored wrongly). The
u probabilities come from random sampling, the m probabilities from EM over two
blocking passes (birth date; the three name parts), and the family-name key gets
term-frequency adjustments.

Only pairs where at least one record lacks a validated deterministic identifier are
scored: pairs that share one are linked already, and pairs whose validated
identifiers differ are different people by definition.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.engine import SPILL_DIR, adopt
from seamline.errors import SeamlineError
from seamline.reconcile.spec import ReconcileSpec

FEATURES = (
    "f_family",
    "f_given",
    "f_patronymic",
    "f_birth_date",
    "f_sex",
    "f_tax_number",
)


_SCORED_FIELDS: Any = [
    ("left", pa.int64()),
    ("right", pa.int64()),
    ("probability", pa.float64()),
]
SCORED = pa.schema(_SCORED_FIELDS)
"""Scored pairs: record indexes (``rid``) and the match probability."""


def _comparisons() -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def name(col: str, other: str) -> Any:
        return cl.CustomComparison(
            output_column_name=col,
            comparison_levels=[
                cll.NullLevel(col),
                cll.ExactMatchLevel(col).configure(tf_adjustment_column=col)
                if col == "f_family"
                else cll.ExactMatchLevel(col),
                cll.CustomLevel(
                    f"{col}_l = {other}_r", label_for_charts="swapped with the other name part"
                ),
                cll.JaroWinklerLevel(col, 0.92),
                cll.JaroWinklerLevel(col, 0.80),
                cll.ElseLevel(),
            ],
        )

    birth = cl.CustomComparison(
        output_column_name="f_birth_date",
        comparison_levels=[
            cll.NullLevel("f_birth_date"),
            cll.ExactMatchLevel("f_birth_date"),
            cll.DamerauLevenshteinLevel("f_birth_date", 1),
            cll.CustomLevel(
                "substr(f_birth_date_l, 1, 4) = substr(f_birth_date_r, 1, 4)",
                label_for_charts="same year",
            ),
            cll.ElseLevel(),
        ],
    )
    return [
        name("f_family", "f_given"),
        name("f_given", "f_family"),
        cl.JaroWinklerAtThresholds("f_patronymic", [0.92]),
        birth,
        cl.ExactMatch("f_sex"),
        cl.ExactMatch("f_tax_number"),
    ]


def _only_unresolved(rule: str, det: list[str]) -> str:
    """Restrict a blocking rule to pairs the deterministic pass left open."""
    open_ = " and ".join(f"(l.{c} is null or r.{c} is null)" for c in det)
    return f"({rule}) and {open_}" if open_ else rule


BLOCKING_KEYS = ("f_family", "f_given", "f_birth_date")
"""The columns the prediction blocking rules join on."""
_YEAR = "substr(l.f_birth_date, 1, 4) = substr(r.f_birth_date, 1, 4)"
_PREDICT_RULES = (
    ("f_birth_date", "f_birth_date", "true"),
    ("f_family", "f_family", f"l.f_given = r.f_given and {_YEAR}"),
    ("f_family", "f_given", "l.f_given = r.f_family"),
    ("f_family", "f_family", f"l.f_patronymic = r.f_patronymic and {_YEAR}"),
    ("f_given", "f_given", f"l.f_patronymic = r.f_patronymic and {_YEAR}"),
    ("f_family", "f_family", "l.f_given = r.f_given and l.f_patronymic = r.f_patronymic"),
)
"""(left key, right key, further condition): same birth date; same family and given name
and birth year; the two names swapped; same family name, patronymic and birth year; same
given name, patronymic and birth year; the three name parts (a mistyped birth year).

No rule joins on one or two name parts alone: name frequencies are long-tailed and do
not thin out as a register grows, so such a block grows with the square of the
population. At 1,000,000 people per dataset, family and given name made 25 million open
pairs and family name and birth year 14 million (of 47 million in all, against 10
million for these rules), for 3 more true pairs out of 103,203."""
_UNDATED_RULE = ("u_family", "f_family", "l.f_given = r.f_given")
"""A record without a birth date meets the records with its family and given name
(``u_family``: the family-name key of records lacking a birth date). The birth date
rules cannot see it, and its family and given name alone would make the quadratic block
above; joining only the undated records keeps the join small."""


def _open(col: str) -> str:
    return f"o_{col.removeprefix('f_')}"


def predict_rules(det: list[str]) -> list[str]:
    """The prediction blocking rules, each restricted to pairs with an open record.

    Pairs of two records holding validated identifiers are decided already (linked when
    equal, apart when not). Rather than generate them all and filter (at 200,000 people
    per dataset the rules made 31 million pairs of which 3.7 million were open), each
    rule is written twice, joining an open record's key (``o_*``: the key, or null for a
    record with a validated identifier) to any record's key, once for each side, so the
    engine's hash join only yields open pairs. Splink's dedupe keeps each pair once.
    With several identifiers a record is open when it lacks any of them, and the exact
    per-identifier condition is added. The undated rule joins few records; it is written
    for both sides with the open condition as a filter.
    """
    rules: list[str] = []
    for left, right, more in _PREDICT_RULES:
        if not det:
            rules.append(f"l.{left} = r.{right} and {more}")
            continue
        for rule in (
            f"l.{_open(left)} = r.{right} and {more}",
            f"l.{left} = r.{_open(right)} and {more}",
        ):
            rules.append(_only_unresolved(rule, det) if len(det) > 1 else rule)
    undated, key, more = _UNDATED_RULE
    for rule in (f"l.{undated} = r.{key} and {more}", f"l.{key} = r.{undated} and {more}"):
        rules.append(_only_unresolved(rule, det))
    return rules


def _with_open_keys(data: pa.Table, det: list[str]) -> pa.Table:
    """Add ``o_<key>`` (the blocking key of records without a validated identifier) and
    ``u_family`` (the family-name key of records without a birth date)."""
    undated = pc.is_null(data.column("f_birth_date"))
    data = data.append_column(
        _UNDATED_RULE[0],
        pc.if_else(undated, data.column("f_family"), pa.scalar(None, pa.string())),
    )
    if not det:
        return data
    closed = pc.is_valid(data.column(det[0]))
    for col in det[1:]:
        closed = pc.and_kleene(closed, pc.is_valid(data.column(col)))
    for key in BLOCKING_KEYS:
        data = data.append_column(
            _open(key), pc.if_else(closed, pa.scalar(None, pa.string()), data.column(key))
        )
    return data


def _has_open(table: pa.Table, det: list[str]) -> bool:
    """Whether some record lacks one of the validated identifiers."""
    return any(table.column(c).null_count for c in det)


MIN_RECORDS = 50
"""Fewer records than this cannot train a Fellegi-Sunter model; only deterministic links."""


def score_pairs(table: pa.Table, spec: ReconcileSpec) -> pa.Table:
    """Pairs scored at or above the review threshold, by match probability.

    With fewer than :data:`MIN_RECORDS` records there is nothing to estimate m and u
    from, so no probabilistic link is made (the run's log says so).
    """
    if table.num_rows < MIN_RECORDS:
        logging.getLogger(__name__).warning(
            "only %d records: probabilistic linkage skipped, deterministic links only",
            table.num_rows,
        )
        return SCORED.empty_table()
    det = [f"f_det_{d}" for d in spec.deterministic]
    if det and not _has_open(table, det):
        # Every record holds every validated identifier (one registry linked alone, say):
        # all pairs are decided, and EM would have no pair to learn from.
        logging.getLogger(__name__).info(
            "every record holds a validated identifier: no pair left to score"
        )
        return SCORED.empty_table()
    from splink import DuckDBAPI, Linker, SettingsCreator

    data = _with_open_keys(
        table.select(["rid", *FEATURES, *det]).rename_columns(["unique_id", *FEATURES, *det]), det
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[{"blocking_rule": r} for r in predict_rules(det)],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    adopt(db_api.duckdb_con, SPILL_DIR)
    # Splink reports untrainable levels as warnings on its logger; they are expected
    # here (EM blocked on birth date never sees a birth-date typo) and not for users.
    logging.getLogger("splink").setLevel(logging.ERROR)
    linker = Linker(db_api.register(data), settings, log_level=None)
    try:
        return _train_and_predict(linker, spec, det)
    except Exception as exc:  # Splink's own errors: say what failed, not a traceback
        raise SeamlineError(
            f"the probabilistic linkage model could not be estimated on {table.num_rows:,} "
            f"records: {exc}",
            hint="check the harmonized names and birth dates, or raise the data volume",
        ) from exc


def _train_and_predict(linker: Any, spec: ReconcileSpec, det: list[str]) -> pa.Table:
    training = linker.training
    if det:
        training.estimate_probability_two_random_records_match(
            [f"l.{det[0]} = r.{det[0]}"], recall=0.9
        )
    # One pass over the sampled pairs: Splink's default chunks it ten ways (plus a probe)
    # to stop early once every level is seen 100 times, which the rare levels (swapped
    # names) never are, so it ran eleven queries per comparison for the same counts.
    training.estimate_u_using_random_sampling(
        max_pairs=spec.u_max_pairs, seed=spec.seed, num_chunks=1, min_count_per_level=None
    )
    # m by EM on the pairs the model will score (those with a record lacking a validated
    # identifier): pairs of two identified records are decided without it, and at
    # 200,000 people per dataset they are 88 % of the 2.6 million same-birth-date pairs.
    training.estimate_parameters_using_expectation_maximisation(
        _only_unresolved("l.f_birth_date = r.f_birth_date", det)
    )
    # The second pass estimates what the first cannot (birth date). Blocking on the three
    # name parts rather than two: at 200,000 people per dataset family + given name gives
    # 8.6 million pairs (an hour-glass of common names) and cost 57 s; the three give
    # 0.3 million, still mixing true matches with namesakes, at the same F1.
    # Open pairs only, as above: at 1,000,000 people per dataset the three name parts
    # give 4.6 million pairs, 0.5 million of them open.
    training.estimate_parameters_using_expectation_maximisation(
        _only_unresolved(
            "l.f_family = r.f_family and l.f_given = r.f_given and l.f_patronymic = r.f_patronymic",
            det,
        )
    )
    predicted = linker.inference.predict(threshold_match_probability=spec.thresholds.review)
    predictions: pa.Table = predicted.as_pyarrow_table()
    return pa.table(
        [
            pc.cast(predictions.column("unique_id_l"), pa.int64()),
            pc.cast(predictions.column("unique_id_r"), pa.int64()),
            pc.cast(predictions.column("match_probability"), pa.float64()),
        ],
        schema=SCORED,
    )
