"""A derived dataset served under an agreement, its rows limited to the consumer's own: in
the billing scenario each agency's portal reads its own invoices only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from seamline.demo import generate_demo
from seamline.derive import DeriveStage
from seamline.exchange import ExchangeConfig, add_client, verify_audit
from seamline.exchange.app import create_app
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.store import Store
from seamline.store.models import AuditEvent
from seamline.workspace import check_workspace, load_workspace

TODAY = dt.date(2026, 6, 1)
PURPOSE = "billing-review"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Store, Any]]:
    root = tmp_path_factory.mktemp("billing-api") / "ws"
    generate_demo(root, people=400, seed=5, scenario="billing")
    ws = load_workspace(root, env={})
    with Store.open(f"sqlite:///{root.parent}/store.db") as store:
        summary = run_pipeline(ws, store, stages=[ConnectStage(), HarmonizeStage(), DeriveStage()])
        assert [s.status for s in summary.stages] == ["ok", "ok", "ok"], summary.stages
        keys = {s: add_client(store, s, s)[1] for s in ("portal-a01", "portal-a02", "bank-x")}
        cfg = ExchangeConfig(
            key_path=root.parent / "keys" / "audit.pem", today=TODAY, auth_cache_seconds=0.0
        )
        with TestClient(create_app(ws, store, cfg), raise_server_exceptions=False) as client:
            yield client, store, (ws, keys)


def _headers(key: str, purpose: str = PURPOSE) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Seamline-Purpose": purpose}


def _last(store: Store, n: int) -> list[AuditEvent]:
    with store.session() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(n)))[::-1]


def test_an_agency_reads_only_its_own_invoices(served: tuple[TestClient, Store, Any]) -> None:
    client, _store, (ws, keys) = served
    table = ws.parquet.read_table(ws.data_dir / "derived" / "invoices.parquet")
    every = table.to_pylist()
    own = sorted(r["invoice_id"] for r in every if r["agency_id"] == "agency-01")
    assert own and len(own) < len(every)
    r = client.get("/v1/datasets/invoices", headers=_headers(keys["portal-a01"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agreement"] == "SSN-INV-01" and body["count"] == len(own)
    assert sorted(x["invoice_id"] for x in body["rows"]) == own
    assert {x["agency_id"] for x in body["rows"]} == {"agency-01"}
    # The agreement's attributes only, amounts exact to the cent.
    assert set(body["rows"][0]) == {"invoice_id", "agency_id", "period", "total", "lines"}
    truth = {r["invoice_id"]: r["total"] for r in every}
    assert all(str(truth[x["invoice_id"]]) == x["total"] for x in body["rows"])
    # Another agency's portal gets its own rows, none of agency-01's.
    other = client.get("/v1/datasets/invoices", headers=_headers(keys["portal-a02"])).json()
    assert other["rows"] and {x["agency_id"] for x in other["rows"]} == {"agency-02"}
    # The OpenAPI document declares the route as the server takes it.
    doc = client.get("/openapi.json", headers=_headers(keys["portal-a01"])).json()
    params = doc["paths"]["/v1/datasets/{ident}"]["get"]["parameters"]
    assert "X-Seamline-Purpose" in {p["name"] for p in params}
    pattern = next(p for p in params if p["name"] == "ident")["schema"]["pattern"]
    assert re.match(pattern, "invoices") and not re.match(pattern, "../x")


def test_refusals_are_refused_and_audited(served: tuple[TestClient, Store, Any]) -> None:
    client, _store, (_ws, keys) = served
    a01 = keys["portal-a01"]
    # No agreement of agency-01's portal covers the payment links.
    r = client.get("/v1/datasets/payment_links", headers=_headers(a01))
    assert r.status_code == 403 and r.json()["error"]["code"] == "no_agreement", r.text
    assert "'payment_links'" in r.json()["error"]["message"]
    # A system without any grant, a wrong purpose, no purpose.
    r = client.get("/v1/datasets/invoices", headers=_headers(keys["bank-x"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "no_agreement"
    r = client.get("/v1/datasets/invoices", headers=_headers(a01, "marketing"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_purpose"
    r = client.get("/v1/datasets/invoices", headers={"Authorization": f"Bearer {a01}"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "purpose_required"
    r = client.get("/v1/datasets/invoices", headers={"X-Seamline-Purpose": PURPOSE})
    assert r.status_code == 401
    # An unknown dataset, and a harmonized (not derived) dataset's id: 404.
    for ident in ("no_such_thing", "billing_a01", "Invoices"):
        r = client.get(f"/v1/datasets/{ident}", headers=_headers(a01))
        assert r.status_code == 404, (ident, r.text)
        assert r.json()["error"]["code"] == "unknown_dataset"
    # A path is no dataset id: no route matches it.
    assert client.get("/v1/datasets/..%2Fsecrets", headers=_headers(a01)).status_code == 404


def test_every_request_is_audited(served: tuple[TestClient, Store, Any]) -> None:
    client, store, (_ws, keys) = served
    a01 = keys["portal-a01"]
    statuses = [
        client.get("/v1/datasets/invoices", headers=_headers(a01)).status_code,
        client.get("/v1/datasets/payment_links", headers=_headers(a01)).status_code,
        client.get("/v1/datasets/nope", headers=_headers(a01)).status_code,
    ]
    assert statuses == [200, 403, 404]
    ok, refused, unknown = _last(store, 3)
    assert ok.outcome == "ok" and ok.client == "portal-a01" and ok.purpose == PURPOSE
    assert ok.details["resource"] == "dataset:invoices"
    assert ok.details["rows"] == [{"column": "agency_id", "equals": "agency-01"}]
    assert ok.details["attributes"] == ["invoice_id", "agency_id", "period", "total", "lines"]
    assert refused.outcome == "refused" and refused.details["code"] == "no_agreement"
    assert unknown.outcome == "refused" and unknown.details["code"] == "unknown_dataset"
    assert verify_audit(store).ok


def test_validate_names_a_row_column_the_dataset_lacks(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=300, seed=2, scenario="billing")
    seam = root / "seams" / "own-invoices-a03.yaml"
    text = seam.read_text().replace("column: agency_id", "column: agency")
    seam.write_text(text.replace("lines]", "lines, colour]"))
    _ws, issues = check_workspace(root)
    messages = [str(i) for i in issues]
    assert any("unknown column of derived dataset invoices 'agency'" in m for m in messages)
    assert any("'colour'" in m for m in messages), messages
    assert all("own-invoices-a03" in i.path for i in issues), messages


def test_validate_refuses_rows_on_a_plain_dataset_and_a_contract_on_a_derived_one(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=300, seed=2, scenario="billing")
    billing = root / "seams" / "own-billing-a04.yaml"
    billing.write_text(
        billing.read_text().replace(
            "  starts:", "  rows: {column: agency_id, equals: agency-04}\n  starts:"
        )
    )
    invoices = root / "seams" / "own-invoices-a05.yaml"
    invoices.write_text(
        invoices.read_text() + "contract: {rules: [{attribute: total, check: not_null}]}\n"
    )
    _ws, issues = check_workspace(root)
    found = {(Path(i.path).name, i.message) for i in issues}
    assert found == {
        ("own-billing-a04.yaml", "a row restriction applies to a derived provider only"),
        (
            "own-invoices-a05.yaml",
            "a seam over the derived dataset invoices has no contract of its own",
        ),
    }, found
