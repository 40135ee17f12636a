"""The Arrow pre-pass: chains per distinct value, remembered across batches, in order."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from seamline.crypto.parquet import PLAIN
from seamline.engine import DuckDBEngine
from seamline.harmonize import prepass
from seamline.harmonize.plan import ArrowChain, FieldPlan, HarmonizePlan
from seamline.harmonize.prepass import DistinctMemo, run_chain, stream
from seamline.normalize import Normalizer, StepOptions, StepResult
from seamline.normalize.dates import DateNormalizer, DateOptions
from seamline.normalize.names import NameNormalizer, NameOptions
from seamline.sources.base import RECORD_NO, SOURCE_POS


class CountingOptions(StepOptions):
    pass


class Counting(Normalizer):
    """Upper case, flags ``x``; counts the values it is handed (to see the memo work)."""

    key: ClassVar[str] = "counting"
    options_model: ClassVar[type[StepOptions]] = CountingOptions

    def __init__(self, memoize: bool = False) -> None:
        super().__init__(CountingOptions())
        self.seen = 0
        self.memo_wanted = memoize

    @property
    def memoize(self) -> bool:  # type: ignore[override]
        return self.memo_wanted

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        self.seen += len(values)
        items = values.to_pylist()
        out = [None if v is None else v.upper() for v in items]
        flags = ["is_x" if v == "x" else None for v in items]
        return StepResult(pa.array(out, pa.string()), pa.array(flags, pa.string()))


def chain(*steps: Normalizer, value_type: pa.DataType | None = None) -> ArrowChain:
    return ArrowChain("c", "_arrow_0", list(steps), value_type or pa.string())


def test_each_distinct_value_is_computed_once_across_batches() -> None:
    step = Counting()
    memo = DistinctMemo(chain(step))
    first = pa.array(["a", "b", "a", None, "x"])
    second = pa.array(["b", "x", "c", None])
    v1, f1 = memo(first)
    v2, f2 = memo(second)
    assert v1.to_pylist() == ["A", "B", "A", None, "X"]
    assert f1.to_pylist() == [None, None, None, None, "is_x"]
    assert v2.to_pylist() == ["B", "X", "C", None]
    assert f2.to_pylist() == [None, "is_x", None, None]
    assert step.seen == 4 + 1  # a, b, null, x; then only c


def test_memo_starts_afresh_at_its_limit_and_stays_correct() -> None:
    step = Counting()
    memo = DistinctMemo(chain(step), limit=3)
    for batch in (["a", "b"], ["c", "d"], ["a", "e"]):
        values, _ = memo(pa.array(batch))
        assert values.to_pylist() == [v.upper() for v in batch]
    assert len(memo.keys) <= 3


def test_memo_steps_aside_where_nearly_every_value_is_new() -> None:
    step = Counting()
    memo = DistinctMemo(chain(step))
    memo(pa.array([str(i) for i in range(100)]))
    assert not memo.active  # all new: an identifier column
    values, _ = memo(pa.array(["y", "y"]))
    assert values.to_pylist() == ["Y", "Y"]
    python_step = Counting(memoize=True)
    always = DistinctMemo(chain(python_step))
    always(pa.array([str(i) for i in range(100)]))
    assert always.active  # Python per value: remembering always pays


def test_chain_keeps_the_first_flag_and_casts_to_its_type() -> None:
    date = DateNormalizer(DateOptions(formats=["DD.MM.YYYY"]))
    values, flags = run_chain(
        chain(Counting(), date, value_type=pa.date32()), pa.array(["x", "01.02.2003", None])
    )
    assert values.to_pylist() == [None, dt.date(2003, 2, 1), None]
    assert flags.to_pylist() == ["is_x", None, None]


@pytest.mark.parametrize("rows_per_batch", [1, 2, 1000])
def test_stream_keeps_rows_in_order_and_reports_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows_per_batch: int
) -> None:
    path = tmp_path / "landing.parquet"
    landed = pa.table(
        {
            RECORD_NO: pa.array([1, 2, 3, 4, 5], pa.int64()),
            SOURCE_POS: ["line 2", "line 3", "line 4", "line 5", "line 6"],
            "c": pa.array([1.0, None, 2.5, 1.0, 12345678901234.0]),
            "unused": ["u"] * 5,
        }
    )
    pq.write_table(landed, path)
    step = Counting()
    plan = HarmonizePlan(
        "d", query=None, fields=[FieldPlan(0, "c", "a", [step])], arrow=[chain(step)]
    )  # type: ignore[arg-type]
    seen: list[int] = []
    monkeypatch.setattr(prepass, "MEMO_TRIAL_ROWS", 10**9)
    table = stream(PLAIN, path, plan, batch_rows=rows_per_batch, progress=seen.append).read_all()
    assert table.column_names == [RECORD_NO, SOURCE_POS, "c", "_arrow_0"]
    assert table.column(RECORD_NO).to_pylist() == [1, 2, 3, 4, 5]
    # floats as the engine writes them with CAST(... AS VARCHAR)
    assert [r["value"] for r in table.column("_arrow_0").to_pylist()] == [
        "1.0",
        None,
        "2.5",
        "1.0",
        "12345678901234.0",
    ]
    assert sum(seen) == 5


def _numbered(n: int, log: list[str]) -> Any:
    try:
        for i in range(n):
            yield pa.record_batch({"i": pa.array([i])})
        log.append("finished")
    finally:
        log.append("closed")


def test_ahead_keeps_order_and_closes_the_source() -> None:
    log: list[str] = []
    got = [b.column(0)[0].as_py() for b in prepass.ahead(_numbered(50, log), depth=2)]
    assert got == list(range(50))
    assert log == ["finished", "closed"]


def test_ahead_raises_the_producers_error_in_the_consumer() -> None:
    def failing() -> Any:
        yield pa.record_batch({"i": pa.array([1])})
        raise ValueError("row 2 of the landing zone is broken")

    batches = prepass.ahead(failing())
    assert next(batches).num_rows == 1
    with pytest.raises(ValueError, match="row 2 of the landing zone"):
        next(batches)


def test_ahead_stops_the_producer_when_the_consumer_stops() -> None:
    log: list[str] = []
    batches = prepass.ahead(_numbered(1_000, log), depth=2)
    assert next(batches).num_rows == 1
    batches.close()  # the consumer gives up after one batch: the producer must not run on
    assert log == ["closed"]


def test_the_prepass_pickles_and_gives_on_an_engine_what_the_stream_gives(
    tmp_path: Path,
) -> None:
    """Spark ships the pre-pass to its executors pickled; there it runs through
    ``Engine.map_batches``. Run so (here on DuckDB), it gives the stream's rows."""
    path = tmp_path / "landing.parquet"
    pq.write_table(
        pa.table(
            {
                RECORD_NO: pa.array([1, 2, 3, 4], pa.int64()),
                SOURCE_POS: ["line 2", "line 3", "line 4", "line 5"],
                "born": ["2001-02-03", "bad", None, "2001-02-03"],
                "name": ["  ASANOVA  aigul ", "", "Dr. Bakyt Sadykov", None],
            }
        ),
        path,
    )
    ws_steps = [
        ("born", DateNormalizer(DateOptions(format="%Y-%m-%d")), pa.date32()),
        ("name", NameNormalizer(NameOptions()), pa.string()),
    ]
    chains = [
        ArrowChain(column, f"_arrow_{i}", [step], value_type)
        for i, (column, step, value_type) in enumerate(ws_steps)
    ]
    fields = [FieldPlan(i, c, c, [s]) for i, (c, s, _) in enumerate(ws_steps)]
    plan = HarmonizePlan("d", query=None, fields=fields, arrow=chains)  # type: ignore[arg-type]
    streamed = stream(PLAIN, path, plan).read_all()
    query, shipped = prepass.prepass_query(PLAIN, path, plan)
    shipped = pickle.loads(pickle.dumps(shipped))  # as Spark ships it (no closures)
    with DuckDBEngine() as engine:
        PLAIN.view(engine, prepass.PREPASS_SOURCE, path)
        engine.map_batches("mapped", query, shipped, shipped.keep, shipped.added())
        mapped = engine.arrow(exp.select("*").from_("mapped"))
    assert mapped.equals(streamed)
    names = mapped.column("_arrow_1").to_pylist()
    assert names[0]["value"] == "Asanova Aigul"
    assert mapped.column("_arrow_0").to_pylist()[1]["flag"] is not None
