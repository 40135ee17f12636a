"""The exchange serves any entity an agreement names: Business golden records under an
agreement whose provider dataset holds Business records, in a workspace without Person
data."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from business_kit import write_business_workspace
from seamline.exchange import ExchangeConfig, add_client
from seamline.exchange.app import create_app
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.store import Store
from seamline.workspace import load_workspace

TODAY = dt.date(2026, 6, 1)
AGREED = ["legal_identifier", "legal_name", "registration_date"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any, str]]:
    root = tmp_path_factory.mktemp("business-api") / "ws"
    truth = write_business_workspace(root, n=120, seed=11)
    (root / "systems" / "bank.yaml").write_text(
        yaml.safe_dump(
            {"id": "bank", "name": "Invented Bank", "agency": "tax-office", "interface": "api"}
        )
    )
    seam = {
        "id": "register-to-bank",
        "provider": "companies",
        "consumer": "bank",
        "owner": {"name": "Invented Owner", "agency": "registrar"},
        "agreement": {
            "reference": "DSA-B-1",
            "purpose": "know-your-customer",
            "legal_basis": "Invented Act, art. 3",
            "attributes": AGREED,
            "starts": "2026-01-01",
        },
    }
    (root / "seams").mkdir()
    (root / "seams" / "register-to-bank.yaml").write_text(yaml.safe_dump(seam))
    ws = load_workspace(root)
    with Store.open(f"sqlite:///{root.parent}/store.db") as store:
        summary = run_pipeline(
            ws, store, stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()]
        )
        assert [s.status for s in summary.stages] == ["ok", "ok", "ok"]
        keys = {name: add_client(store, name, name)[1] for name in ("bank", "vat")}
        cfg = ExchangeConfig(
            key_path=root.parent / "keys" / "audit.pem", today=TODAY, auth_cache_seconds=0.0
        )
        with TestClient(create_app(ws, store, cfg), raise_server_exceptions=False) as client:
            yield client, truth, keys["bank"]


def _headers(key: str, purpose: str = "know-your-customer") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Seamline-Purpose": purpose}


def test_a_business_is_served_under_its_agreement(served: tuple[TestClient, Any, str]) -> None:
    client, truth, key = served
    company = truth[3]
    r = client.get(f"/v1/entities/Business/reg_no:{company.reg_no}", headers=_headers(key))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["entity"] == "Business" and body["id"].startswith("business-")
    assert set(body["attributes"]) == set(AGREED)
    assert body["attributes"]["legal_identifier"] == company.reg_no
    assert body["attributes"]["legal_name"].startswith(company.name)
    # The bulk export carries every golden record, the agreement's attributes only.
    r = client.get("/v1/entities/Business", headers=_headers(key))
    assert r.status_code == 200, r.text
    lines = [json.loads(x) for x in r.text.splitlines() if x]
    assert len(lines) == len(truth)
    assert all(set(x["attributes"]) == set(AGREED) for x in lines)
    assert client.get("/readyz").status_code == 200
    # The OpenAPI document declares the route as the server takes it.
    doc = client.get("/openapi.json", headers=_headers(key)).json()
    params = doc["paths"]["/v1/entities/{entity}/{ref}"]["get"]["parameters"]
    assert "X-Seamline-Purpose" in {p["name"] for p in params}
    pattern = next(p for p in params if p["name"] == "ref")["schema"]["pattern"]
    assert re.match(pattern, f"reg_no:{company.reg_no}")


def test_refusals_name_the_entity(served: tuple[TestClient, Any, str]) -> None:
    client, truth, key = served
    ref = f"reg_no:{truth[0].reg_no}"
    wrong = client.get(f"/v1/entities/Business/{ref}", headers=_headers(key, "marketing"))
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_purpose"
    # No agreement of the bank covers Person or Address data.
    none = client.get(f"/v1/entities/Address/{ref}", headers=_headers(key))
    assert none.status_code == 403, none.text
    assert "no data-sharing agreement for Address data" in none.json()["error"]["message"]
    unknown = client.get(f"/v1/entities/Spaceship/{ref}", headers=_headers(key))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_entity"
    missing = client.get("/v1/entities/Business/reg_no:00000000", headers=_headers(key))
    assert missing.status_code == 404, missing.text
    assert missing.json()["error"]["code"] == "record_not_found"
    persons = client.get(f"/v1/persons/{ref}", headers=_headers(key))
    assert persons.status_code == 403
    assert "Person data" in persons.json()["error"]["message"]
