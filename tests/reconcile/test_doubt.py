"""Golden values no record confirms beyond doubt go on the worklist (``doubtful``).

Every name, address and number here is invented.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from seamline.reconcile.compare import compare
from seamline.reconcile.decisions import AcceptedValue, Decisions
from seamline.reconcile.doubt import (
    COMMON_FACTOR,
    COMMON_MIN,
    contradicted,
    doubtful,
    rare_spellings,
)
from seamline.reconcile.prepare import Prepared
from seamline.reconcile.spec import ReconcileSpec
from seamline.reconcile.worklist import KINDS


def test_a_rare_spelling_one_letter_from_a_common_one_is_found() -> None:
    common = ["okonkwo"] * 40 + ["halvorsen"] * 40 + ["lindqvist"] * 3
    rare = ["okonkow", "halvorssen", "hlvorsen", "lindqvst", "okonkwo", "tamsin"]
    keys: list[str | None] = [*common, *rare, None]
    entity = list(range(len(keys)))
    found = rare_spellings(keys, entity)
    # Moved, added and dropped letters against names seen for 40 entities; a name seen
    # for 3 is not common enough to doubt its neighbour, and a name far from all is fine.
    assert found == {"okonkow": 41, "halvorssen": 40, "hlvorsen": 40}


def test_spellings_are_counted_per_entity_and_against_the_factor() -> None:
    n = COMMON_MIN * 2
    # One person's ten records repeating a slip are one entity: still rare.
    keys = ["brennan"] * n + ["brenan"] * 10
    entity = list(range(n)) + [n] * 10
    assert rare_spellings(keys, entity) == {"brenan": n}
    # Two spellings both in common use are variants, not slips.
    many = n // COMMON_FACTOR + 1
    keys = ["brennan"] * n + ["brenan"] * many
    assert rare_spellings(keys, list(range(len(keys)))) == {}


def test_a_golden_value_only_doubted_records_support_is_doubtful() -> None:
    # Records: entity 0 has one doubted record; entity 1 a doubted and a clean one with
    # the same key; entity 2 a doubted record but its value came from a clean one.
    entity = np.array([0, 1, 1, 2, 2])
    keys = np.array([5, 6, 6, 7, 8])
    present = np.ones(5, dtype=bool)
    reasons = {0: "a flagged it x", 1: "a flagged it x", 3: "a flagged it x"}
    chosen = np.array([0, 1, 4])
    everyone = np.ones(3, dtype=bool)
    assert doubtful(entity, keys, present, reasons, chosen, everyone) == {0: "a flagged it x"}
    # An entity listed already (or decided) is not looked at again.
    assert doubtful(entity, keys, present, reasons, chosen, np.array([False, True, True])) == {}


def test_a_name_part_no_full_name_holds_is_contradicted() -> None:
    entity = np.array([0, 0, 1, 1, 2, 3, 3])
    chosen = [
        frozenset({"van", "der", "berg"}),
        frozenset({"mora"}),
        frozenset({"ito"}),
        frozenset({"lund"}),
    ]
    words: list[frozenset[str] | None] = [
        None,
        frozenset({"pieter", "van", "der", "berg"}),
        None,
        frozenset({"ana", "moura"}),
        frozenset({"ito", "ken"}),
        frozenset({"eva", "lnud"}),  # a slip in one full name, the other has the word:
        frozenset({"eva", "lund"}),  # a full_name conflict, not a doubt about the part
    ]
    datasets = ["a", "bank", "a", "bank", "bank", "bank", "bank"]
    found = contradicted(entity, chosen, words, datasets, np.ones(4, dtype=bool))
    assert found == {1: "the full name in bank does not contain it"}
    assert contradicted(entity, chosen, words, datasets, np.zeros(4, dtype=bool)) == {}


def _prepared(units: list[str | None], flags: list[str | None], datasets: list[str]) -> Prepared:
    n = len(units)
    table = pa.table(
        {
            "rid": pa.array(range(n), pa.int64()),
            "dataset": datasets,
            "record_no": list(range(1, n + 1)),
            "uid": [f"{d}:{i}" for i, d in enumerate(datasets)],
            "recency": pa.nulls(n, pa.string()),
            "unit": pa.array(units, pa.string()),
            "unit__orig": pa.array(units, pa.string()),
            "unit__flag": pa.array(flags, pa.string()),
        }
    )
    return Prepared(table, ["unit"], {"unit": ["claims", "mva"]}, {"unit": ["mva"]}, [])


def _run(p: Prepared, entities: list[str], decisions: Decisions | None = None) -> Any:
    return compare(p, ReconcileSpec(), entities, decisions or Decisions())


def test_compare_lists_a_unit_whose_designator_no_record_knows() -> None:
    flag = "unit_designator_unknown"
    p = _prepared(
        ["# 3", "# 3", "# 7", "APT 7", "# 9", "# 9"],
        [flag, flag, flag, None, flag, None],
        ["claims", "claims", "claims", "mva", "claims", "claims"],
    )
    got = _run(p, ["e1", "e1", "e2", "e2", "e3", "e3"])
    rows = {r["entity_id"]: r for r in got.discrepancies}
    # e1: both records say "# 3", neither knows the designator -> doubtful, on the list.
    assert rows["e1"]["classification"] == "doubtful"
    assert rows["e1"]["reason"] == "agreed: all 2 records agree, but claims flagged it " + flag
    assert rows["e1"]["observed"]["impact"] > 0
    # e2: the records disagree -> a conflict, as before; e3: "# 9" from a record the
    # normalizer did not doubt (a workspace's own reading) -> published.
    assert rows["e2"]["classification"] == "conflict"
    assert "e3" not in rows
    assert got.counts["unit"]["doubtful"] == 1
    assert "doubtful" in KINDS


def test_a_stewards_decision_settles_a_doubtful_value() -> None:
    p = _prepared(["# 3"], ["unit_designator_unknown"], ["claims"])
    assert [r["classification"] for r in _run(p, ["e1"]).discrepancies] == ["doubtful"]
    decided = Decisions(values={("e1", "unit"): AcceptedValue(1, "APT 3", "R. Vance", "called")})
    got = _run(p, ["e1"], decided)
    assert got.discrepancies == [] and got.choices["unit"].values() == ["APT 3"]


def test_compare_lists_a_rare_misspelling_from_a_single_record() -> None:
    n = COMMON_MIN * COMMON_FACTOR
    names = ["Okonkwo"] * n + ["Okonkow", "Halloran"]
    table = pa.table(
        {
            "rid": pa.array(range(len(names)), pa.int64()),
            "dataset": ["wages"] * len(names),
            "record_no": list(range(1, len(names) + 1)),
            "uid": [f"wages:{i}" for i in range(len(names))],
            "recency": pa.nulls(len(names), pa.string()),
            "family_name": pa.array(names, pa.string()),
            "family_name__orig": pa.array(names, pa.string()),
            "family_name__flag": pa.nulls(len(names), pa.string()),
        }
    )
    p = Prepared(table, ["family_name"], {"family_name": ["wages"]}, {}, [])
    got = _run(p, [f"e{i:04d}" for i in range(len(names))])
    (row,) = got.discrepancies
    assert row["entity_id"] == f"e{n:04d}" and row["chosen"] == "Okonkow"
    assert row["reason"].endswith(
        f"its spelling is seen for 1 entity, one letter away from one seen for {n}"
    )
