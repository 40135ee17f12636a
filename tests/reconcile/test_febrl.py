"""Public labelled data: FEBRL 1-3 written as a user's workspace, run through
``seamline run``, the links scored against the true duplicate pairs.

FEBRL 4 is kept out of the tests and benchmarks on purpose: it is the independent check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from febrl import person, write
from linkage_kit import f1, seamline_run


@pytest.mark.parametrize(("n", "floor"), [(1, 0.995), (2, 0.995), (3, 0.995)])
def test_febrl_links_the_true_duplicates(n: int, floor: float, tmp_path: Path) -> None:
    out = seamline_run(write(tmp_path / f"febrl{n}", n))
    assert out.exit_code == 0, out.output
    score = f1(out.entity_of, person)
    assert score["f1"] >= floor, score
