"""Run a dataset's harmonize plan on the engine and summarise its flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seamline.engine import Engine
from seamline.errors import SourceError
from seamline.harmonize.plan import UNMAPPED, HarmonizePlan, Udf, compile_dataset
from seamline.normalize import NormalizerRegistry
from seamline.sources.base import SOURCE_POS
from seamline.workspace.loader import Workspace

EXAMPLES = 5


@dataclass
class FlagCount:
    attribute: str
    column: str
    flag: str
    count: int
    positions: list[str]
    values: list[tuple[str, int]] = field(default_factory=list)
    """Only for unmapped codes (not personal): the local values with counts."""


@dataclass
class HarmonizeResult:
    dataset: str
    rows: int
    path: Path
    flags: list[FlagCount]
    plan: HarmonizePlan

    @property
    def flagged_values(self) -> int:
        return sum(f.count for f in self.flags)


def landing_path(ws: Workspace, dataset_id: str) -> Path:
    return ws.data_dir / "landing" / f"{dataset_id}.parquet"


def plan_for(
    ws: Workspace, dataset_id: str, registry: NormalizerRegistry | None = None
) -> HarmonizePlan:
    path = landing_path(ws, dataset_id)
    if not path.is_file():
        raise SourceError(
            f"nothing landed for {dataset_id} at {path}",
            hint=f"run `seamline run {ws.root}` (or `seamline read {dataset_id}`) first",
        )
    return compile_dataset(ws, dataset_id, landed_schema=pq.read_schema(path), registry=registry)


MEMO_LIMIT = 500_000
"""Distinct values a memoized step remembers across batches before it starts afresh."""


def _udf_function(udf: Udf) -> Any:
    """The step as the engine calls it: one Arrow batch in, a {value, flag} struct out.

    The engine hands over small batches (a few thousand rows). Steps that run Python
    per distinct value (``memoize``) remember their results across batches, so a value
    repeated over millions of rows (an address, a name) is worked out once per run.
    """
    memo: dict[Any, tuple[Any, Any]] = {}

    def plain(values: pa.Array[Any]) -> tuple[pa.Array[Any], pa.Array[Any]]:
        result = udf.step.arrow(values)
        out = result.values
        if out.type != udf.value_type:
            out = out.cast(udf.value_type)
        return out, result.flags.cast(pa.string())

    def memoized(values: pa.Array[Any]) -> tuple[pa.Array[Any], pa.Array[Any]]:
        encoded: Any = pc.dictionary_encode(values)
        uniques = encoded.dictionary.to_pylist()
        unseen = [u for u in uniques if u not in memo]
        if unseen:
            if len(memo) + len(unseen) > MEMO_LIMIT:
                memo.clear()
            out, flags = plain(pa.array(unseen, type=values.type))
            memo.update(
                zip(unseen, zip(out.to_pylist(), flags.to_pylist(), strict=True), strict=True)
            )
        found = [memo[u] for u in uniques]
        dict_out = pa.array([f[0] for f in found], type=udf.value_type)
        dict_flags = pa.array([f[1] for f in found], type=pa.string())
        indices = encoded.indices
        return dict_out.take(indices), dict_flags.take(indices)

    def call(values: pa.Array[Any]) -> pa.StructArray:
        out, flags = memoized(values) if udf.step.memoize else plain(values)
        return pa.StructArray.from_arrays([out, flags], names=["value", "flag"])

    return call


def harmonize_dataset(
    ws: Workspace, dataset_id: str, *, registry: NormalizerRegistry | None = None
) -> HarmonizeResult:
    """Write ``harmonized/<dataset>.parquet``; every landed row is there, none is dropped."""
    plan = plan_for(ws, dataset_id, registry)
    out_dir = ws.data_dir / "harmonized"
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{dataset_id}.parquet"
    partial = final.with_suffix(".parquet.partial")
    with Engine() as engine:
        engine.parquet_view("landing", landing_path(ws, dataset_id))
        for name, table in plan.code_tables.items():
            engine.register_arrow(name, table)
        for udf in plan.udfs:
            engine.register_udf(udf.name, _udf_function(udf), udf.parameter, udf.value_type)
        engine.copy_to_parquet(plan.query, partial)
        landed = int(engine.rows("SELECT count(*) FROM landing")[0][0])
    written = pq.ParquetFile(partial).metadata.num_rows
    if written != landed:  # the plan has no filter; this guards the promise
        partial.unlink(missing_ok=True)
        raise SourceError(f"harmonizing {dataset_id} wrote {written} rows for {landed} landed")
    os.replace(partial, final)
    return HarmonizeResult(dataset_id, written, final, _flags(plan, final), plan)


def _flags(plan: HarmonizePlan, path: Path) -> list[FlagCount]:
    """Count each field's flags, with example positions (never values of personal fields)."""
    found: list[FlagCount] = []
    columns = [SOURCE_POS]
    for f in plan.fields:
        columns += [f"{f.attribute}__flag", f"{f.attribute}__orig"]
    table = pq.read_table(path, columns=columns)
    for f in plan.fields:
        flags = table.column(f"{f.attribute}__flag")
        if flags.null_count == len(flags):
            continue
        counts = _counts(flags)
        for flag, count in counts:
            mask = pc.equal(flags, pa.scalar(flag))
            positions = table.column(SOURCE_POS).filter(mask).slice(0, EXAMPLES).to_pylist()
            entry = FlagCount(f.attribute, f.column, flag, count, [str(p) for p in positions])
            if flag == UNMAPPED:
                entry.values = _counts(table.column(f"{f.attribute}__orig").filter(mask))[:20]
            found.append(entry)
    return found


def _counts(values: pa.ChunkedArray[Any]) -> list[tuple[str, int]]:
    """Non-null values with their counts, most frequent first."""
    grouped = pa.table({"v": values}).group_by("v").aggregate([("v", "count")]).to_pydict()
    pairs = [
        (str(v), int(n))
        for v, n in zip(grouped["v"], grouped["v_count"], strict=True)
        if v is not None
    ]
    return sorted(pairs, key=lambda x: (-x[1], x[0]))


def explain(ws: Workspace, dataset_id: str) -> str:
    return plan_for(ws, dataset_id).explain()


__all__ = ["HarmonizeResult", "explain", "harmonize_dataset"]
