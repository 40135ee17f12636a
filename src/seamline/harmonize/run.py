"""Run a dataset's harmonize plan on the engine and summarise its flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from seamline.connector import RECORD_NO, SOURCE_POS
from seamline.crypto.parquet import ParquetFiles
from seamline.engine import Engine
from seamline.errors import SourceError
from seamline.harmonize.plan import LANDING, UNMAPPED, HarmonizePlan, compile_dataset
from seamline.harmonize.prepass import BATCH_ROWS, Progress, on_engine, stream
from seamline.normalize import NormalizerRegistry
from seamline.workspace.datafolder import state_path
from seamline.workspace.loader import Workspace

EXAMPLES = 5
MEMORY_LIMIT = "512MB"
"""The engine's memory while harmonizing: the ordered Parquet writer buffers less (at
2.5 million rows the peak fell from about 1.25 GB to 0.9 GB, at no cost in CPU time)."""


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
    """The dataset's current landing state (see :func:`seamline.sources.deliveries.current_state`)."""
    return state_path(ws.data_dir, dataset_id)


def plan_for(
    ws: Workspace, dataset_id: str, registry: NormalizerRegistry | None = None
) -> HarmonizePlan:
    path = landing_path(ws, dataset_id)
    if not path.is_file():
        raise SourceError(
            f"nothing landed for {dataset_id} at {path}",
            hint=f"run `seamline run {ws.root}` (or `seamline read {dataset_id}`) first",
        )
    return compile_dataset(
        ws, dataset_id, landed_schema=ws.parquet.read_schema(path), registry=registry
    )


def harmonize_dataset(
    ws: Workspace,
    dataset_id: str,
    *,
    registry: NormalizerRegistry | None = None,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
    memory_limit: str = MEMORY_LIMIT,
) -> HarmonizeResult:
    """Write ``harmonized/<dataset>.parquet``; every landed row is there, none is dropped.

    The landing zone streams through the Arrow pre-pass (if the plan has Arrow steps)
    into the SQL plan and on to the Parquet file, batch by batch; ``progress`` is
    called with the number of rows of each batch done. The engine keeps to
    ``memory_limit`` (spilling to ``<data>/tmp`` if a large code list's join must sort).
    """
    plan = plan_for(ws, dataset_id, registry)
    source = landing_path(ws, dataset_id)
    files = ws.parquet
    landed = files.num_rows(source)
    out_dir = ws.data_dir / "harmonized"
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{dataset_id}.parquet"
    with ws.engine(memory_limit=memory_limit) as engine:
        if plan.arrow and engine.in_process:
            reader = stream(files, source, plan, batch_rows=batch_rows, progress=progress)
            engine.register_batches(LANDING, reader)
        elif plan.arrow:  # on the executors, next to the rows
            on_engine(engine, files, source, plan)
        else:
            files.view(engine, LANDING, source)
        for name, table in plan.code_tables.items():
            engine.register_arrow(name, table)
        with files.replacing(final) as partial:
            # A file, or where the engine is a cluster a directory of part files its
            # executors wrote; in landing order either way.
            files.copy(engine, plan.query, partial, order=RECORD_NO)
            if progress is not None and not (plan.arrow and engine.in_process):
                progress(landed)
            written = files.num_rows(partial)
            if written != landed:  # the plan has no filter; this guards the promise
                raise SourceError(
                    f"harmonizing {dataset_id} wrote {written} rows for {landed} landed"
                )
        flags = _flags(engine, files, plan, final)
    return HarmonizeResult(dataset_id, written, final, flags, plan)


def _flags(engine: Engine, files: ParquetFiles, plan: HarmonizePlan, path: Path) -> list[FlagCount]:
    """Count each field's flags, with example positions (never values of personal fields).

    The engine aggregates the written file column by column; only counts, a few
    positions and the local values of unmapped codes come back to Python.
    """
    files.view(engine, "harmonized", path)
    found: list[FlagCount] = []
    for f in plan.fields:
        flag = exp.column(f"{f.attribute}__flag", quoted=True)
        for name, count in _grouped(
            engine, flag, exp.Not(this=exp.Is(this=flag, expression=exp.Null()))
        ):
            match = exp.EQ(this=flag.copy(), expression=exp.Literal.string(name))
            examples = (
                exp.select(exp.column(SOURCE_POS)).from_("harmonized").where(match).limit(EXAMPLES)
            )
            positions = [str(row[0]) for row in engine.rows(examples)]
            entry = FlagCount(f.attribute, f.column, name, count, positions)
            if name == UNMAPPED:
                orig = exp.column(f"{f.attribute}__orig", quoted=True)
                entry.values = _grouped(engine, orig, match.copy(), limit=20)
            found.append(entry)
    return found


def _grouped(
    engine: Engine, column: exp.Expr, where: exp.Expr, limit: int | None = None
) -> list[tuple[str, int]]:
    """Non-null values of ``column`` among rows matching ``where``, most frequent first."""
    count = exp.Count(this=exp.Star())
    query = (
        exp.select(exp.cast(column, "VARCHAR").as_("v"), count.as_("n"))
        .from_("harmonized")
        .where(exp.and_(where, exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null()))))
        .group_by(exp.column("v"))
        .order_by(exp.Ordered(this=exp.column("n"), desc=True), exp.column("v"))
    )
    if limit is not None:
        query = query.limit(limit)
    return [(str(v), int(n)) for v, n in engine.rows(query)]


def explain(ws: Workspace, dataset_id: str) -> str:
    """The dataset's plan, its SQL in the dialect of the engine it runs on."""
    if ws.project.engine == "spark":
        from seamline.engine.spark_engine import SparkEngine

        return plan_for(ws, dataset_id).explain(SparkEngine.render)
    return plan_for(ws, dataset_id).explain()


__all__ = ["HarmonizeResult", "explain", "harmonize_dataset"]
