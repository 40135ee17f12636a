"""The demo run twice, on DuckDB and on Spark: what the Spark tests of this folder share.

``demo_pair`` writes one demo (of any scenario) and a copy of it whose ``seamline.yaml``
says ``engine: spark``; ``run_demo`` runs connect, inventory, harmonize, check and
reconcile (or the stages it is given) on one of them with a PostgreSQL store, and keeps
what the tests compare.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.demo import generate_demo
from seamline.demo.generate import Scenario
from seamline.engine.spark_engine import spark_session, stop_session
from seamline.harmonize.stage import HarmonizeStage
from seamline.inventory.stage import InventoryStage
from seamline.pipeline import ConnectStage, RunSummary, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.seams.stage import CheckStage
from seamline.stagebase import Stage
from seamline.store import Store
from seamline.store.models import CheckResult, Discrepancy
from seamline.workspace import load_workspace

CONF = {
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "4",
    # A few hundred rows: compiling each query's code and re-planning it cost more than
    # they save (inventory took about 30 % longer with them on a busy 2-core machine).
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.ui.enabled": "false",
}


def session_fixture(master: str, conf: Mapping[str, str]) -> Any:
    """A module-scoped fixture holding the process's one Spark session on ``master`` with
    ``conf`` for a test module (starting one takes seconds), stopped after it."""

    @pytest.fixture(scope="module")
    def spark(java_runtime: None) -> Iterator[None]:
        spark_session(master, conf)
        yield
        stop_session()

    return spark


def spark_yaml(master: str, conf: Mapping[str, str]) -> str:
    """The ``engine: spark`` block of ``seamline.yaml`` for ``master`` and ``conf``."""
    return f"engine: spark\nspark:\n  master: {master}\n  conf:\n" + "".join(
        f"    {k}: {v}\n" for k, v in conf.items()
    )


@dataclass
class Run:
    root: Path
    summary: RunSummary
    checks: list[tuple[Any, ...]]
    discrepancies: list[tuple[Any, ...]]
    seconds: float

    def stage(self, name: str) -> Any:
        return next(s for s in self.summary.stages if s.stage == name)


def run_demo(
    root: Path, url: str, *, inventory: bool = True, stages: Sequence[Stage] | None = None
) -> Run:
    """connect, inventory (unless told not to), harmonize, check and reconcile on the
    workspace at ``root``, or ``stages``."""
    ws = load_workspace(root, env={"SEAMLINE_STORE": url})
    started = time.perf_counter()
    with Store.open(url) as store:
        if stages is None:
            chosen = [ConnectStage(), InventoryStage(), HarmonizeStage(), CheckStage()]
            if not inventory:
                chosen = [s for s in chosen if not isinstance(s, InventoryStage)]
            stages = [*chosen, ReconcileStage()]
        summary = run_pipeline(ws, store, stages=stages)
        with store.session() as s:
            # Freshness is the data's age when checked: it differs between any two runs.
            checks = sorted(
                (
                    r.seam,
                    r.rule,
                    r.attribute or "",
                    r.status,
                    None if r.rule == "freshness" else r.observed,
                )
                for r in s.query(CheckResult).all()
            )
            discrepancies = sorted(
                (
                    d.entity_type,
                    d.entity_id,
                    d.attribute,
                    d.classification,
                    json.dumps(d.observed, sort_keys=True),
                    d.chosen,
                    d.reason,
                )
                for d in s.query(Discrepancy).all()
            )
    return Run(root, summary, checks, discrepancies, time.perf_counter() - started)


def demo_pair(
    base: Path,
    spark_block: str,
    *,
    people: int,
    edit: Callable[[Path], None] | None = None,
    scenario: Scenario = "civil",
) -> tuple[Path, Path]:
    """``base/duck`` (the demo of ``scenario``, changed by ``edit``) and ``base/spark``,
    its copy on Spark."""
    generate_demo(base / "duck", people=people, seed=7, scenario=scenario)
    if edit is not None:
        edit(base / "duck")
    shutil.copytree(base / "duck", base / "spark")
    project = base / "spark" / "seamline.yaml"
    text = project.read_text(encoding="utf-8")
    assert "engine: duckdb\n" in text
    project.write_text(text.replace("engine: duckdb\n", spark_block), encoding="utf-8")
    return base / "duck", base / "spark"


def print_times(*runs: Run) -> None:
    for run in runs:
        stages = ", ".join(f"{s.stage} {s.seconds:.1f}" for s in run.summary.stages)
        print(f"\n{run.root.name}: {run.seconds:.1f} s ({stages})")


def table(root: Path, *parts: str) -> pa.Table:
    """A data file of the data folder (a file or a directory of part files, read through
    the door), in landing order where it has one."""
    result = PLAIN.read_table(root.joinpath(".seamline", "data", *parts))
    return result.sort_by("_record_no") if "_record_no" in result.column_names else result


def harmonized_names(root: Path) -> list[str]:
    """Everything in the harmonized folder (no leftover of a write either)."""
    return sorted(p.name for p in (root / ".seamline" / "data" / "harmonized").iterdir())


def profiles(root: Path) -> list[dict[str, Any]]:
    """The inventory report's figures per dataset."""
    report = json.loads(
        (root / ".seamline" / "data" / "reports" / "inventory.json").read_text(encoding="utf-8")
    )
    return [{"id": d["id"], "rows": d["rows"], "fields": d["fields"]} for d in report["datasets"]]


def assert_harmonized_equal(
    duck: Run, on_spark: Run, *, datasets: int = 4, partitions: int = 2
) -> None:
    """Both runs harmonized the same ``datasets`` datasets into the same rows in the same
    order, column by column, with the same schema and the same per-dataset details.

    DuckDB wrote each dataset as one file; Spark's executors wrote each as a directory of
    part files (nothing was collected to the driver), sorted globally by ``_record_no``
    so that the parts, read through the door in name order, give the rows in order.
    ``partitions``: the shuffle partitions the Spark run had (with one, each dataset is
    one part).
    """
    names = harmonized_names(duck.root)
    assert names == harmonized_names(on_spark.root)
    assert len(names) == datasets and all(n.endswith(".parquet") for n in names), names
    several = []
    for name in names:
        a_path, b_path = (
            r.root / ".seamline" / "data" / "harmonized" / name for r in (duck, on_spark)
        )
        assert a_path.is_file(), a_path
        parts = PLAIN.parts(b_path)
        assert b_path.is_dir(), f"{name}: the Spark run did not write a directory of part files"
        assert parts and all(p.name.startswith("part-") for p in parts), list(b_path.iterdir())
        several.append(len(parts) > 1)
        a, b = PLAIN.read_table(a_path), PLAIN.read_table(b_path)  # as written, unsorted
        assert b.schema.equals(a.schema), f"{name}:\n{a.schema}\n---\n{b.schema}"
        assert a.num_rows == b.num_rows > 0
        record_nos = b["_record_no"].to_pylist()
        assert all(x < y for x, y in pairwise(record_nos)), name
        for column in a.column_names:
            assert b[column].to_pylist() == a[column].to_pylist(), f"{name}.{column}"
    if partitions > 1:  # the order across parts was put to the test: some took several
        assert any(several), "every dataset was written as one part"
    assert duck.stage("harmonize").details == on_spark.stage("harmonize").details
