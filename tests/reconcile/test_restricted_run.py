"""A run restricted to some datasets reconciles with the harmonized files that exist."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from seamline.demo import generate_demo
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, StageResult, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.store import Store
from seamline.workspace import load_workspace


def _reconcile_stage(stages: list[StageResult]) -> StageResult:
    return next(s for s in stages if s.stage == "reconcile")


def _datasets(golden: Path) -> set[str]:
    rows: list[str] = pq.read_table(golden, columns=["datasets"]).column(0).to_pylist()
    return {d for row in rows for d in row.split(";")}


def test_restricted_runs_use_what_was_harmonized(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=150, seed=5)
    ws = load_workspace(root)
    stages = [ConnectStage(), HarmonizeStage(), ReconcileStage()]
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        # Nothing of the Person entity harmonized yet: the spec is skipped, not failed.
        only_addresses = run_pipeline(ws, store, datasets=["addresses"], stages=stages)
        rec = _reconcile_stage(only_addresses.stages)
        assert rec.status == "ok" and only_addresses.exit_code == 0
        assert rec.details == []
        assert any("none of its datasets" in m and "skipped" in m for m in rec.messages)

        first = run_pipeline(ws, store, datasets=["addresses", "civil_persons"], stages=stages)
        rec = _reconcile_stage(first.stages)
        assert rec.status == "ok" and first.exit_code == 0, rec.messages
        assert rec.details[0]["records"] > 0
        left_out = [m for m in rec.messages if "left out" in m]
        assert len(left_out) == 1
        assert "social_cases" in left_out[0] and "tax_payers" in left_out[0]
        golden = Path(rec.reports["person golden records"])
        assert _datasets(golden) == {"civil_persons"}
        run = store.list_runs(stage="reconcile", limit=1)[0]
        assert run.status == "ok" and "left out" in (run.message or "")

        # A later run of one more dataset reuses civil_persons' harmonized file.
        second = run_pipeline(ws, store, datasets=["tax_payers"], stages=stages)
        rec = _reconcile_stage(second.stages)
        assert rec.status == "ok", rec.messages
        assert any("earlier runs' harmonized data of civil_persons" in m for m in rec.messages)
        assert any("left out social_cases" in m for m in rec.messages)
        assert _datasets(golden) == {"civil_persons", "tax_payers"}
