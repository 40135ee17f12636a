"""A small demo workspace taken through every stage once, with UI accounts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from uidemo import PASSWORD, TODAY

from seamline.demo import generate_demo
from seamline.exchange import add_client
from seamline.harmonize.stage import HarmonizeStage
from seamline.inventory.stage import InventoryStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.seams.stage import CheckStage
from seamline.store import Store
from seamline.ui import add_user, create_ui_app
from seamline.workspace import Workspace, load_workspace

USERS = {
    "aigul.toktogulova": "steward",
    "bakyt.sadykov": "owner",
    "nurlan.viewer": "viewer",
    "gulnara.auditor": "auditor",
    "admin.root": "admin",
}


@dataclass
class UiDemo:
    ws: Workspace
    store: Store
    root: Path
    api_key: str
    password: str = PASSWORD

    @property
    def key_path(self) -> Path:
        """The audit signing key every exchange app on this store uses (one log, one key)."""
        return self.root.parent / "keys" / "audit.pem"


@pytest.fixture(scope="session")
def ui_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiDemo]:
    root = tmp_path_factory.mktemp("ui") / "ws"
    generate_demo(root, people=200, seed=11)
    ws = load_workspace(root, env={})
    with Store.open(f"sqlite:///{root.parent}/store.db") as store:
        stages = [ConnectStage(), InventoryStage(), HarmonizeStage(), CheckStage()]
        summary = run_pipeline(ws, store, stages=[*stages, ReconcileStage()])
        assert [s.status for s in summary.stages] == ["ok"] * 5
        for name, role in USERS.items():
            add_user(ws, name, PASSWORD, role)
        _, key = add_client(store, "tax", "tax-db")
        yield UiDemo(ws, store, root, key)


@pytest.fixture
def client(ui_demo: UiDemo) -> Iterator[TestClient]:
    app = create_ui_app(ui_demo.ws, ui_demo.store, today=TODAY)
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c
