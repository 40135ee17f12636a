"""A small demo workspace reconciled once per module, clients and an API test client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from seamline.demo import generate_demo
from seamline.exchange import ExchangeConfig, add_client
from seamline.exchange.app import create_app
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.store import Store
from seamline.workspace import Workspace, load_workspace

PEOPLE = 400
TODAY = dt.date(2026, 6, 1)


@dataclass
class Demo:
    ws: Workspace
    store: Store
    root: Path
    keys: dict[str, str]
    people: list[dict[str, Any]]
    key_path: Path

    def app(self, **config: Any) -> Any:
        cfg = ExchangeConfig(
            key_path=self.key_path, today=config.pop("today", TODAY), auth_cache_seconds=0.0
        )
        for k, v in config.items():
            setattr(cfg, k, v)
        return create_app(self.ws, self.store, cfg)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("exchange") / "ws"
    generate_demo(root, people=PEOPLE, seed=11)
    ws = load_workspace(root)
    with Store.open(f"sqlite:///{root.parent}/store.db") as store:
        summary = run_pipeline(
            ws, store, stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()]
        )
        assert [s.status for s in summary.stages] == ["ok", "ok", "ok"]
        keys = {
            name: add_client(store, name, system)[1]
            for name, system in [
                ("tax", "tax-db"),
                ("social", "social-case-system"),
                ("addresses", "address-register"),
                ("portal", "citizen-portal"),
            ]
        }
        table = pq.read_table(ws.data_dir / "reference" / "person.parquet")
        people = [p for p in table.to_pylist() if p["national_id"] and p["family_name"]]
        yield Demo(ws, store, root, keys, people, root.parent / "keys" / "audit.pem")


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(demo.app(), raise_server_exceptions=False) as c:
        yield c


def make_headers(
    key: str, purpose: str | None = "tax-registration", **extra: str
) -> dict[str, str]:
    out = {"Authorization": f"Bearer {key}"}
    if purpose is not None:
        out["X-Seamline-Purpose"] = purpose
    out.update(extra)
    return out


@pytest.fixture
def headers() -> Callable[..., dict[str, str]]:
    """``headers(key, purpose="tax-registration", **extra)``: request headers."""
    return make_headers
