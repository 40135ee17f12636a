"""Probabilistic linkage with Splink (Fellegi-Sunter), on the workspace's engine.

Splink runs on the backend the engine gives (:meth:`Engine.linkage`: its DuckDB
backend on the embedded engine, its Spark backend on Spark); the model, the rules and
the thresholds are the same on both, built here in DuckDB's words.

The model is generated from what the data holds (:mod:`seamline.reconcile.model`):
comparisons for the features the linked datasets share, blocking rules counted on the
engine and kept within a pair budget (:mod:`seamline.reconcile.blocking`), u by random
sampling, m by EM over training rules taken from the counted rules. Where the data
cannot support a model (too few records, fewer than two comparable attributes, no
blocking rule with pairs) no pair is scored and one sentence says why.

Only pairs where a record lacks a validated deterministic identifier are scored: pairs
that share one are linked already, and pairs whose validated identifiers differ are
different people by definition.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.crypto.parquet import PLAIN, ParquetFiles
from seamline.engine import Linkage
from seamline.errors import SeamlineError
from seamline.reconcile import charts, generic, overrides
from seamline.reconcile.blocking import (
    Counted,
    choose,
    only_unresolved,
    rule_sqls,
    training_rules,
    with_keys,
)
from seamline.reconcile.counting import (
    EXACT_RECORDS,
    ONE_PASS_MAX_PAIRS,
    BlockedPairs,
    SplinkCounter,
    pair_bound,
)
from seamline.reconcile.model import (
    Available,
    available,
    candidate_rules,
    comparisons,
    feature_columns,
)
from seamline.reconcile.overrides import apply_comparisons
from seamline.reconcile.spec import ReconcileSpec

_SCORED_FIELDS: Any = [
    ("left", pa.int64()),
    ("right", pa.int64()),
    ("probability", pa.float64()),
]
SCORED = pa.schema(_SCORED_FIELDS)
"""Scored pairs: record indexes (``rid``) and the match probability."""

U_CHUNKS = 4
"""Chunks of the u sampling (Splink's ``num_chunks``; its default is 10)."""
MIN_RECORDS = 50
"""Fewer records than this cannot train a Fellegi-Sunter model; only deterministic links."""

_log = logging.getLogger(__name__)


@dataclass
class Scored:
    """The scored pairs, why none were scored (if so), and the model used."""

    pairs: pa.Table
    note: str | None = None
    rules: list[Counted] = field(default_factory=list)
    """Every candidate blocking rule with its pair count and whether it was kept."""
    training: list[str] = field(default_factory=list)
    """The blocking rules the EM passes trained on."""
    model: dict[str, Any] = field(default_factory=dict)
    """Splink's settings with the trained parameters (``save_model_to_json``)."""
    features: list[str] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)
    """Splink's match-weights chart and waterfalls of a few pairs, without values
    (:mod:`seamline.reconcile.charts`)."""
    chart_seconds: tuple[float, float] = (0.0, 0.0)
    """Of the time in :func:`score_pairs`, the charts' wall and CPU seconds (report
    work, not linkage)."""


def _refuse(note: str, **more: Any) -> Scored:
    _log.warning("%s", note)
    return Scored(SCORED.empty_table(), note, **more)


def score_pairs(
    table: pa.Table,
    spec: ReconcileSpec,
    identifiers: list[str] | None = None,
    unique: list[str] | None = None,
    plan: generic.Plan | None = None,
    *,
    files: ParquetFiles = PLAIN,
    linkage: Linkage | None = None,
) -> Scored:
    """Pairs scored at or above the review threshold, by match probability, in
    (left, right) order.

    ``identifiers``: feature columns of identifiers compared as evidence (``f_id_*``);
    ``unique``: columns of validated identifiers whose differing values forbid a link
    (``f_det_*``): only pairs where a record lacks one are scored; ``plan``: the
    features of an entity without person names (:mod:`.generic`), None for the person
    model; ``linkage``: Splink's backend (by default DuckDB's, spilling where ``files``
    say).
    """
    ids = list(identifiers or [])
    n = table.num_rows
    if n < MIN_RECORDS:
        return _refuse(
            f"only {n} records: too few to estimate a linkage model (it needs "
            f"{MIN_RECORDS}), so only shared identifiers link them"
        )
    det = [c for c in unique or [] if c in table.column_names]
    if det and not any(table.column(c).null_count for c in det):
        # Every record holds every validated identifier (one registry linked alone, say):
        # all pairs are decided, and EM would have no pair to learn from.
        _log.info("every record holds a validated identifier: no pair left to score")
        return Scored(SCORED.empty_table())
    datasets = pc.count_distinct(table.column("dataset")).as_py()
    if plan is None:
        av = available(table, feature_columns(ids), datasets)
    else:
        own = [c for c in plan.columns() if plan.kinds.get(c) != "identifier" or c in ids]
        av = available(table, own, datasets)
    features = plan.feature_of if plan is not None else None
    known, ids = ids, [c for c in ids if av.has(c)]
    if linkage is None:
        with files.engine() as embedded:
            linkage = embedded.linkage()
    generated = (
        comparisons(av, ids, linkage.condition)
        if plan is None
        else generic.comparisons(plan, av, linkage.condition)
    )
    comps, notes = apply_comparisons(spec, generated, av, known, features)
    if len(comps) < 2:
        return _refuse(_too_few(comps, plan, av))
    if spec.blocking is not None:
        candidates = overrides.rules(spec, spec.blocking, known, "blocking", av, features)
    elif plan is not None:
        candidates = generic.candidate_rules(plan, av)
    else:
        candidates = candidate_rules(av, ids)
    if not candidates:
        return _refuse("no attribute the records share can form a blocking rule")
    from splink import Linker, SettingsCreator
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    data = with_keys(
        table.select(["rid", "dataset", *av.columns, *det]).rename_columns(
            ["unique_id", "dataset", *av.columns, *det]
        ),
        candidates,
        det,
    )
    db_api = linkage.api
    # Splink reports untrainable levels as warnings on its logger; they are expected
    # here (EM blocked on birth date never sees a birth-date typo) and not for users.
    logging.getLogger("splink").setLevel(logging.ERROR)
    frame = db_api.register(linkage.table(data))
    counter: Any = SplinkCounter(frame, count_comparisons_from_blocking_rules)
    # The rules' pairs are distinct pairs of records: all of them bound their number.
    if n <= EXACT_RECORDS and (
        n * (n - 1) // 2 <= ONE_PASS_MAX_PAIRS or pair_bound(data, candidates) <= ONE_PASS_MAX_PAIRS
    ):
        counter = BlockedPairs(frame, av.columns[0])
    try:
        counted = choose(
            counter,
            candidates,
            det,
            n,
            spec.pair_budget,
            keep_all=spec.blocking is not None,
        )
    except Exception as exc:  # Splink's own errors: say what failed, not a traceback
        raise SeamlineError(
            f"the blocking rules could not be counted on {n:,} records: {exc}"
        ) from exc
    kept = [c.rule for c in counted if c.kept]
    if not kept:
        return _refuse(
            "no blocking rule on the shared attributes yields candidate pairs within "
            f"{spec.pair_budget:g} pairs per record, so no probabilistic link is made",
            rules=counted,
        )
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=list(comps.values()),
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": sql} for r in kept for sql in rule_sqls(r, det)
        ],
        probability_two_random_records_match=min(0.5, 1.0 / n),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    # Splink's settings validation only logs warnings (a column a rule names is missing),
    # below the level set above, and parses every rule and level to do so.
    linker: Any = Linker(frame, settings, log_level=None, validate_settings=False)
    trained: list[str] = []
    try:
        _prior(linker, av.columns, det, ids)
        # Four chunks, not Splink's ten: each comparison stops as soon as every level
        # was seen 100 times (after the probe of a fortieth of the pairs, or a chunk),
        # and one whose level only matching pairs reach (an equal birth date, an equal
        # identifier) never stops early, so it paid a query per chunk for all of them.
        # On FEBRL 3 this takes 0.7-0.8x the CPU of ten chunks and of one.
        linker.training.estimate_u_using_random_sampling(
            max_pairs=spec.u_max_pairs, seed=spec.seed, num_chunks=U_CHUNKS
        )
        # EM on the pairs the model will score (those with a record lacking a
        # validated identifier); two passes on rules with different columns, so that
        # each comparison is estimated in one of them. A rule whose open pairs are too
        # few to train on is passed over for the next.
        em_rules = (
            overrides.rules(spec, spec.training, known, "training", av, features)
            if spec.training is not None
            else training_rules(counted, n, spec.pair_budget)
        )
        counts = {c.rule: c.pairs for c in counted}
        for rule in em_rules:
            if len(trained) == 2:
                break
            sql = only_unresolved(rule.sql(), det)
            # A failed pass can leave the linker's settings half-changed (Splink drops the
            # blocked comparisons while it trains): start again from the model before it.
            before = linker.misc.save_model_to_json()
            try:
                big = counts.get(rule, 0) > spec.em_max_pairs
                linker.training.estimate_parameters_using_expectation_maximisation(
                    sql, max_pairs=spec.em_max_pairs if big else None
                )
            except Exception as exc:  # too few pairs, or a level never seen
                _log.info("EM on %s skipped: %s", rule.label(), exc)
                linker = Linker(frame, before, log_level=None, validate_settings=False)
                continue
            trained.append(rule.label())
        if not trained:
            return _refuse(
                "no training rule gave pairs to estimate the model from, "
                "so no probabilistic link is made",
                rules=counted,
            )
        if isinstance(counter, BlockedPairs) and counter.blocked is not None:
            # The kept rules make exactly the pairs of the last count: score those.
            linker.table_management.register_blocked_pairs_for_predict(counter.blocked)
        predicted = linker.inference.predict(threshold_match_probability=spec.thresholds.review)
        predictions: pa.Table = predicted.as_pyarrow_table()
        model = linker.misc.save_model_to_json()
        # In pair order: the engines return rows in orders of their own, and the links
        # are applied by falling probability, ties in this order.
        pairs = pa.table(
            [
                pc.cast(predictions.column("unique_id_l"), pa.int64()),
                pc.cast(predictions.column("unique_id_r"), pa.int64()),
                pc.cast(predictions.column("match_probability"), pa.float64()),
            ],
            schema=SCORED,
        ).sort_by([("left", "ascending"), ("right", "ascending")])
    except Exception as exc:  # Splink's own errors: say what failed, not a traceback
        raise SeamlineError(
            f"the probabilistic linkage model could not be estimated on {n:,} records: {exc}",
            hint="check the harmonized names and birth dates, or raise the data volume",
        ) from exc
    started = (time.perf_counter(), time.process_time())
    drawn = _charts(linker, data, pairs, spec, notes)
    chart_seconds = (time.perf_counter() - started[0], time.process_time() - started[1])
    note = "; ".join(notes) if notes else None
    keys = set(plan.blocks.values()) if plan is not None else set()
    compared = [c for c in av.columns if c not in keys]  # not blocking keys alone
    return Scored(pairs, note, counted, trained, model, compared, drawn, chart_seconds)


def _too_few(comps: dict[str, Any], plan: generic.Plan | None, av: Available) -> str:
    """One sentence: which attributes the datasets share, and which they would need to."""
    if plan is None or not plan.feature_of:
        found = ", ".join(c.removeprefix("f_") for c in av.columns) or "none"
        return (
            f"the records share fewer than two comparable attributes (found: {found}), "
            "so no probabilistic link is made"
        )
    found = ", ".join(_name(c) for c in comps) or "none"
    lacking = sorted(a for a, c in plan.feature_of.items() if not av.has(c))
    missing = (
        f"; {', '.join(lacking)} are not held by two datasets with two distinct values"
        if lacking
        else ""
    )
    return (
        f"the records share fewer than two comparable attributes (found: {found}{missing}), "
        "so no probabilistic link is made"
    )


def _name(col: str) -> str:
    return col.removeprefix("f_id_").removeprefix("f_")


def _charts(
    linker: Any, data: pa.Table, pairs: pa.Table, spec: ReconcileSpec, notes: list[str]
) -> dict[str, Any]:
    """Splink's match-weights chart and a few waterfalls for the report; a chart that
    cannot be drawn leaves the links as they are and adds a note."""
    try:
        picks = charts.example_pairs(pairs, spec.thresholds.auto_link)
        return {
            "match_weights": charts.match_weights(linker),
            "waterfalls": charts.waterfalls(linker, data, pairs, picks),
        }
    except Exception as exc:  # report work: the linkage stands without it
        notes.append(f"Splink's charts of the model could not be drawn ({exc})")
        return {}


def _prior(linker: Any, features: list[str], det: list[str], ids: list[str]) -> None:
    """The probability that two random records match, from rules that admit few false
    matches: equal validated identifiers (recall 0.9), else equal evidence identifiers
    or equal family name, given name and birth date (recall 0.6). Where no rule finds a
    pair the settings' 1/records stands (about one match per record)."""
    if det:
        rules, recall = [f"l.{c} = r.{c}" for c in det], 0.9
    else:
        rules = [f"l.{c} = r.{c}" for c in ids]
        names = [c for c in ("f_family", "f_given", "f_birth_date") if c in features]
        if len(names) == 3:
            rules.append(" and ".join(f"l.{c} = r.{c}" for c in names))
        recall = 0.6
    if not rules:
        return
    settings = linker._settings_obj
    before = settings._probability_two_random_records_match
    try:
        linker.training.estimate_probability_two_random_records_match(rules, recall=recall)
    except ValueError as exc:  # more pairs than the recall allows
        _log.info("the prior could not be estimated from deterministic rules: %s", exc)
    prior = settings._probability_two_random_records_match
    if not (0 < prior < 1):
        settings._probability_two_random_records_match = before
