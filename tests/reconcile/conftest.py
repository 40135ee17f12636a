"""A small demo workspace, landed and harmonized once per module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from seamline.demo import generate_demo
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.store import Store
from seamline.workspace import Workspace, load_workspace

PEOPLE = 700


@dataclass
class Demo:
    ws: Workspace
    store: Store
    root: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("reconcile") / "ws"
    generate_demo(root, people=PEOPLE, seed=23)
    ws = load_workspace(root)
    with Store.open(f"sqlite:///{root.parent}/store.db") as store:
        summary = run_pipeline(ws, store, stages=[ConnectStage(), HarmonizeStage()])
        assert [s.status for s in summary.stages] == ["ok", "ok"]
        yield Demo(ws, store, root)
