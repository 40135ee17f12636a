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
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

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


@dataclass(frozen=True)
class ScoredPair:
    left: int
    right: int
    probability: float


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


MIN_RECORDS = 50
"""Fewer records than this cannot train a Fellegi-Sunter model; only deterministic links."""


def score_pairs(table: pa.Table, spec: ReconcileSpec) -> list[ScoredPair]:
    """Pairs scored at or above the review threshold, by match probability.

    With fewer than :data:`MIN_RECORDS` records there is nothing to estimate m and u
    from, so no probabilistic link is made (the run's log says so).
    """
    if table.num_rows < MIN_RECORDS:
        logging.getLogger(__name__).warning(
            "only %d records: probabilistic linkage skipped, deterministic links only",
            table.num_rows,
        )
        return []
    from splink import DuckDBAPI, Linker, SettingsCreator

    det = [f"f_det_{d}" for d in spec.deterministic]
    data = table.select(["rid", *FEATURES, *det]).rename_columns(["unique_id", *FEATURES, *det])
    predict_rules = [
        "l.f_birth_date = r.f_birth_date",
        "l.f_family = r.f_family and l.f_given = r.f_given",
        "l.f_family = r.f_given and l.f_given = r.f_family",
        "l.f_family = r.f_family and substr(l.f_birth_date, 1, 4) = substr(r.f_birth_date, 1, 4)",
        "l.f_given = r.f_given and l.f_patronymic = r.f_patronymic",
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": _only_unresolved(r, det)} for r in predict_rules
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
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


def _train_and_predict(linker: Any, spec: ReconcileSpec, det: list[str]) -> list[ScoredPair]:
    training = linker.training
    if det:
        training.estimate_probability_two_random_records_match(
            [f"l.{det[0]} = r.{det[0]}"], recall=0.9
        )
    training.estimate_u_using_random_sampling(max_pairs=spec.u_max_pairs, seed=spec.seed)
    training.estimate_parameters_using_expectation_maximisation("l.f_birth_date = r.f_birth_date")
    # The second pass estimates what the first cannot (birth date). Blocking on the three
    # name parts rather than two: at 200,000 people per dataset family + given name gives
    # 8.6 million pairs (an hour-glass of common names) and cost 57 s; the three give
    # 0.3 million, still mixing true matches with namesakes, at the same F1.
    training.estimate_parameters_using_expectation_maximisation(
        "l.f_family = r.f_family and l.f_given = r.f_given and l.f_patronymic = r.f_patronymic"
    )
    predicted = linker.inference.predict(threshold_match_probability=spec.thresholds.review)
    predictions: pa.Table = predicted.as_pyarrow_table()
    lefts: list[Any] = predictions.column("unique_id_l").to_pylist()
    rights: list[Any] = predictions.column("unique_id_r").to_pylist()
    probs: list[Any] = predictions.column("match_probability").to_pylist()
    return [
        ScoredPair(int(a), int(b), float(p)) for a, b, p in zip(lefts, rights, probs, strict=True)
    ]
