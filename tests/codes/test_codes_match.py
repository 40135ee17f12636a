"""Harmonize and `codes suggest` match local values to a code list by one definition."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from seamline.codes.seen import values_seen
from seamline.codes.suggest import suggest
from seamline.engine import DuckDBEngine
from seamline.harmonize import harmonize_dataset
from seamline.workspace import load_workspace
from seamline.workspace.crosswalk import match_key, match_key_sql
from seamline.workspace.models import LocalMatch
from seamline.workspace.template import write_example

ROWS = (
    "pin,family_name,given_name,birth_date,marital\n"
    "1,A,B,12.03.1987,M\n"
    "2,A,B,12.03.1987, m \n"
    "3,A,B,12.03.1987,MARRIED\n"
    "4,A,B,12.03.1987,Widowed\n"
    "5,A,B,12.03.1987,x\n"
    "6,A,B,12.03.1987,X\n"
    "7,A,B,12.03.1987,div\n"
    "8,A,B,12.03.1987,\n"
)


def _workspace(tmp_path: Path, exact: bool) -> Path:
    root = tmp_path / "ws"
    write_example(root)
    (root / "data" / "persons.csv").write_text(ROWS, encoding="utf-8")
    if exact:
        path = root / "codelists" / "marital_status.yaml"
        text = path.read_text(encoding="utf-8").replace(
            "    column: marital\n", "    column: marital\n    match: exact\n"
        )
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("exact", [False, True], ids=["ignore_case", "exact"])
def test_suggest_lists_exactly_what_harmonize_leaves_unmapped(tmp_path: Path, exact: bool) -> None:
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.store import Store

    root = _workspace(tmp_path, exact)
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        run_pipeline(ws, store, stages=[ConnectStage()])
    done = harmonize_dataset(ws, "civil_persons")
    rows = pq.read_table(done.path).to_pylist()
    unmapped = {r["marital_status__orig"] for r in rows if r["marital_status__flag"]}
    mapped = {r["marital_status__orig"]: r["marital_status"] for r in rows}
    seen = values_seen(ws, "civil_persons", "marital")
    listed = suggest(ws, "marital_status", "civil_persons", "marital", seen)
    mode: LocalMatch = "exact" if exact else "ignore_case"
    assert {match_key(s.local, mode) for s in listed} == {match_key(v, mode) for v in unmapped}
    assert sum(s.count for s in listed) == sum(1 for r in rows if r["marital_status__flag"])
    if exact:
        assert unmapped == {" m ", "MARRIED", "Widowed", "x", "X", "div"}
    else:
        assert mapped[" m "] == mapped["M"] == mapped["MARRIED"] == "married"
        assert mapped["Widowed"] == "widowed"
        assert unmapped == {"x", "X", "div"}
        # x and X are one value to harmonize: one suggestion, counted twice
        assert sorted((s.local, s.count) for s in listed) == [("X", 2), ("div", 1)] or sorted(
            (s.local, s.count) for s in listed
        ) == [("div", 1), ("x", 2)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="aAbBzZ яЯёЁөӨ ÉéßÇç-_1\t", max_size=8), min_size=1, max_size=20))
def test_the_python_and_sql_keys_agree(values: list[str]) -> None:
    table = pa.table({"i": list(range(len(values))), "v": pa.array(values, pa.string())})
    with DuckDBEngine() as eng:
        eng.register_arrow("t", table)
        modes: tuple[LocalMatch, ...] = ("ignore_case", "exact")
        for mode in modes:
            key = match_key_sql(exp.column("v"), mode)
            got = eng.arrow(exp.select(exp.alias_(key, "k")).from_("t").order_by("i"))
            assert got.column("k").to_pylist() == [match_key(v, mode) for v in values]
