"""A person's identifier held by two entities puts the pair on the worklist.

Every identifier here is invented.
"""

from __future__ import annotations

import pyarrow as pa

from seamline.reconcile.features import id_feature
from seamline.reconcile.prepare import Prepared
from seamline.reconcile.shared_ids import PERSONAL_SHARE, shared_identifier_pairs


def _prepared(ids: dict[str, list[str | None]]) -> Prepared:
    n = len(next(iter(ids.values())))
    table = pa.table(
        {
            "rid": pa.array(range(n), pa.int64()),
            **{id_feature(a): pa.array(v, pa.string()) for a, v in ids.items()},
        }
    )
    return Prepared(table, [], {}, {}, [], identifiers=list(ids))


def test_a_persons_identifier_in_two_entities_is_a_pair_to_review() -> None:
    people = int(2 / (1 - PERSONAL_SHARE))  # enough that one shared value is rare
    # Records 0..people-1: one person each. Record `people` repeats person 7's number in
    # another entity (a duplicate registration the model kept apart), and record
    # `people + 1` is a second record of person 7's own entity.
    national = [f"N{i:05d}" for i in range(people)] + ["N00007", "N00007", None]
    employer = [f"E{i % 3}" for i in range(people + 3)]  # shared by nature
    entity = [f"e{i}" for i in range(people)] + ["dup", "e7", "e0"]
    p = _prepared({"national_id": national, "employer_ein": employer})
    pairs = shared_identifier_pairs(p, pa.array(entity, pa.string()))
    assert pairs == [("national_id", 7, people)]


def test_an_identifier_many_entities_share_is_no_persons() -> None:
    entity = pa.array(["a", "b", "c", "d"], pa.string())
    p = _prepared({"address_id": ["AD1", "AD1", "AD2", "AD2"]})
    assert shared_identifier_pairs(p, entity) == []
    p = _prepared({"address_id": [None, None, None, None]})
    assert shared_identifier_pairs(p, entity) == []
