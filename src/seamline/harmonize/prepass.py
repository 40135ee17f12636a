"""The Arrow pre-pass: a plan's non-SQL steps over large batches streamed from landing.

The landing zone is read in record batches of :data:`BATCH_ROWS` rows (only the columns
the plan reads). For each :class:`~seamline.harmonize.plan.ArrowChain` the batch's
column, as text, goes through the chain's steps and comes out as one struct column
``{value, flag}``; the batch then flows on into the SQL plan, which the engine runs
while the next batch is prepared. Memory stays at a few batches whatever the size of
the landing zone.

Steps are functions of one value, so each chain works out every *distinct* input once:
a :class:`DistinctMemo` keeps the results across batches (a value repeated over
millions of rows, a date, a name, an address, is computed once per run). Where nearly
every value is new (identifiers), the memo notices and steps aside for that chain.

On an engine that runs elsewhere (Spark), the same :class:`Prepass` is shipped to the
executors instead and runs on each partition of the landing zone there
(:func:`on_engine`), with memos per partition.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as _pc
from sqlglot import exp

from seamline.connector import RECORD_NO, SOURCE_POS
from seamline.crypto.parquet import ParquetFiles
from seamline.engine import Engine
from seamline.harmonize.plan import LANDING, ArrowChain, HarmonizePlan
from seamline.normalize.base import combine_flags

# pyarrow-stubs' overloads reject ``pa.Array[Any]`` arguments; results are checked by tests.
pc: Any = _pc

PREPASS_SOURCE = "prepass_landing"
"""The reader engine's view over the landing file."""

BATCH_ROWS = 65_536
"""Rows per streamed batch: large enough that Arrow kernels, not Python, dominate, and
small enough to keep the run's memory low (at 2.5 million rows 131,072 peaked at about
950 MB, this at 700 MB, for the same time within the runs' spread)."""
MEMO_LIMIT = 500_000
"""Distinct values a chain remembers across batches before it starts afresh."""
MEMO_TRIAL_ROWS = 3 * BATCH_ROWS
"""Rows after which a chain that computed more than half its values stops memoizing."""

Progress = Callable[[int], None]


def run_chain(chain: ArrowChain, values: pa.Array[Any]) -> tuple[pa.Array[Any], pa.Array[Any]]:
    """The chain's steps in order over text values; a value flagged early keeps its flag."""
    flags: pa.Array[Any] = pa.nulls(len(values), pa.string())
    current = values
    for step in chain.steps:
        result = step.arrow(current)
        current = result.values
        flags = combine_flags(flags, result.flags.cast(pa.string()))
    if current.type != chain.value_type:
        current = current.cast(chain.value_type)
    return current, flags


class DistinctMemo:
    """A chain run once per distinct value, with its results kept across batches."""

    def __init__(self, chain: ArrowChain, *, limit: int = MEMO_LIMIT) -> None:
        self.chain = chain
        self.limit = limit
        self.keys: pa.Array[Any] = pa.array([], pa.string())
        self.values: pa.Array[Any] = pa.array([], chain.value_type)
        self.flags: pa.Array[Any] = pa.array([], pa.string())
        self.rows = 0
        self.computed = 0
        self.active = True
        # Python-per-value steps always gain from remembering; vectorized ones only
        # where values repeat.
        self.always = any(step.memoize for step in chain.steps)

    def __call__(self, values: pa.Array[Any]) -> tuple[pa.Array[Any], pa.Array[Any]]:
        if not self.active:
            return run_chain(self.chain, values)
        uniques = pc.unique(values)
        if len(self.keys):
            known = pc.is_valid(pc.index_in(uniques, value_set=self.keys))
            new = pc.filter(uniques, pc.invert(known))
        else:
            new = uniques
        if len(new):
            out, flags = run_chain(self.chain, new)
            if len(self.keys) + len(new) > self.limit:
                self.keys, self.values, self.flags = new, out, flags
            else:
                self.keys = pa.concat_arrays([self.keys, new])
                self.values = pa.concat_arrays([self.values, out])
                self.flags = pa.concat_arrays([self.flags, flags])
        self.rows += len(values)
        self.computed += len(new)
        where = pc.index_in(values, value_set=self.keys)
        result = pc.take(self.values, where), pc.take(self.flags, where)
        if not self.always and self._not_paying():
            self.active = False  # nearly every value is new: remembering costs, not pays
            self.keys = pa.array([], pa.string())
            self.values = pa.array([], self.chain.value_type)
            self.flags = pa.array([], pa.string())
        return result

    def _not_paying(self) -> bool:
        """Whether so few values repeat that looking them up costs more than it saves."""
        if self.computed * 10 > self.rows * 9:  # 90 % new: an identifier, a timestamp
            return True
        return self.rows >= MEMO_TRIAL_ROWS and self.computed * 2 > self.rows


@dataclass
class Prepass:
    """The chains over record batches: the function both engines run the pre-pass with.

    Batches come in with the kept columns and one text column per chain; they go out
    with the kept columns and one struct column ``{value, flag}`` per chain. A module-level
    class of picklable parts (the chains' steps are normalizers with their options), so
    Spark can ship it to its executors; each call (a stream, or a partition on Spark)
    remembers distinct values in memos of its own.
    """

    chains: list[ArrowChain]
    keep: list[str]
    texts: list[str]

    def added(self) -> pa.Schema:
        """The struct columns the chains add."""
        return pa.schema(
            pa.field(c.name, pa.struct([("value", c.value_type), ("flag", pa.string())]))
            for c in self.chains
        )

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        memos = [DistinctMemo(chain) for chain in self.chains]
        for batch in batches:
            yield self.apply(batch, memos)

    def apply(
        self, batch: pa.RecordBatch, memos: list[DistinctMemo], schema: pa.Schema | None = None
    ) -> pa.RecordBatch:
        """One batch through the chains (with the memos of the stream it belongs to), as
        ``schema`` when given."""
        arrays = [batch.column(c) for c in self.keep]
        for memo, text in zip(memos, self.texts, strict=True):
            values = batch.column(text)
            if values.type != pa.string():  # Spark hands text over as large_string
                values = values.cast(pa.string())
            value, flag = memo(values)
            arrays.append(pa.StructArray.from_arrays([value, flag], names=["value", "flag"]))
        if schema is not None:
            return pa.RecordBatch.from_arrays(arrays, schema=schema)
        return pa.RecordBatch.from_arrays(arrays, names=[*self.keep, *self.added().names])


def prepass_query(
    files: ParquetFiles, path: Path, plan: HarmonizePlan
) -> tuple[exp.Select, Prepass]:
    """The query over :data:`PREPASS_SOURCE` that feeds the pre-pass, and the pre-pass.

    The query selects the landing zone's columns the plan reads and each chain's input
    as ``CAST(column AS VARCHAR)``, exactly like the plan would.
    """
    landed = files.read_schema(path)
    wanted = [RECORD_NO, SOURCE_POS, *dict.fromkeys(f.column for f in plan.fields)]
    columns = [c for c in wanted if c in landed.names]
    texts = [f"_text_{n}" for n in range(len(plan.arrow))]
    query = exp.select(
        *(exp.column(c, quoted=True) for c in columns),
        *(
            exp.alias_(exp.cast(exp.column(chain.column, quoted=True), "VARCHAR"), t, quoted=True)
            for chain, t in zip(plan.arrow, texts, strict=True)
        ),
    ).from_(exp.to_table(PREPASS_SOURCE, quoted=True))
    return query, Prepass(list(plan.arrow), columns, texts)


def stream(
    files: ParquetFiles,
    path: Path,
    plan: HarmonizePlan,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> pa.RecordBatchReader:
    """The landing zone's columns the plan reads, plus one struct column per Arrow chain.

    A reader engine of its own streams the landing zone in batches (see
    :func:`prepass_query`); the chains' struct columns replace the text before each
    batch moves on.
    """
    landed = files.read_schema(path)
    query, prepass = prepass_query(files, path, plan)
    schema = pa.schema([*(landed.field(c) for c in prepass.keep), *prepass.added()])
    memos = [DistinctMemo(chain) for chain in plan.arrow]

    def batches() -> Iterator[pa.RecordBatch]:
        with files.engine(threads=1) as reader_engine:
            files.view(reader_engine, PREPASS_SOURCE, path)
            for batch in reader_engine.batches(query, batch_rows):
                yield prepass.apply(batch, memos, schema)
                if progress is not None:
                    progress(batch.num_rows)

    return pa.RecordBatchReader.from_batches(schema, ahead(batches()))


def on_engine(engine: Engine, files: ParquetFiles, path: Path, plan: HarmonizePlan) -> None:
    """The pre-pass where the engine runs (Spark's executors), as the view ``LANDING``."""
    query, prepass = prepass_query(files, path, plan)
    files.view(engine, PREPASS_SOURCE, path)
    engine.map_batches(LANDING, query, prepass, prepass.keep, prepass.added())


_DONE = object()


def ahead(items: Iterator[pa.RecordBatch], depth: int = 2) -> Iterator[pa.RecordBatch]:
    """``items``, produced on a thread of their own up to ``depth`` batches ahead.

    The pre-pass is Arrow kernels and numpy, which release the GIL: on a thread of its
    own it prepares the next batches while the engine runs the plan over this one and
    the writer encodes the last (at 2.5 million rows, 9.2 s went to 7.6 s). An error in
    the producer is raised here, in the consumer; a consumer that stops early stops the
    producer at its next batch.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        """Hand ``item`` over unless the consumer has stopped (then False)."""
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            offer(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the producer's own resources (an engine) on its own thread

    thread = threading.Thread(target=produce, name="seamline-prepass", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


__all__ = ["BATCH_ROWS", "DistinctMemo", "Prepass", "ahead", "on_engine", "run_chain", "stream"]
