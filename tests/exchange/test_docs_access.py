"""The API's description and metrics need a key unless opened (issue #18, threat 7)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from seamline.store.models import AuditEvent

PATHS = ["/openapi.json", "/docs", "/redoc", "/metrics"]


@pytest.mark.parametrize("path", PATHS)
def test_without_a_key_nothing_is_listed(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert set(r.json()) == {"error"}
    assert "DSA-2026" not in r.text
    assert "legal" not in r.text and "seamline_exchange_requests" not in r.text


@pytest.mark.parametrize("path", PATHS)
def test_a_client_reads_them_and_the_read_is_audited(
    client: TestClient, demo: Any, path: str
) -> None:
    r = client.get(path, headers={"X-API-Key": demo.keys["addresses"]})
    assert r.status_code == 200
    with demo.store.session() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert last.client == "addresses" and last.resource == path
    assert last.action in ("docs.openapi", "docs.read", "metrics.read")


def test_the_flags_open_them(demo: Any) -> None:
    with TestClient(demo.app(open_docs=True, open_metrics=True)) as c:
        for path in PATHS:
            assert c.get(path).status_code == 200, path
    with TestClient(demo.app(open_docs=True)) as c:
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/metrics").status_code == 401


def test_the_document_declares_its_security_and_the_purpose_header(
    client: TestClient, demo: Any
) -> None:
    doc = client.get("/openapi.json", headers={"X-API-Key": demo.keys["tax"]}).json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["bearer"]["scheme"] == "bearer"
    assert "mutualTLS" not in schemes  # no client CA configured
    assert doc["security"] == [{"apiKey": []}, {"bearer": []}]
    lookup = doc["paths"]["/v1/persons/{ref}"]["get"]
    params = {p["name"]: p for p in lookup["parameters"]}
    assert params["X-Seamline-Purpose"]["in"] == "header"
    assert params["X-Seamline-Purpose"]["required"] is True
    pattern = params["ref"]["schema"]["pattern"]
    assert "kg_pin" in pattern
    with TestClient(demo.app(mutual_tls=True)) as c:
        doc = c.get("/openapi.json", headers={"X-API-Key": demo.keys["tax"]}).json()
    assert doc["components"]["securitySchemes"]["mutualTLS"]["type"] == "mutualTLS"
    assert {"mutualTLS": []} in doc["security"]


def test_the_ref_pattern_refuses_what_the_server_refuses(client: TestClient, demo: Any) -> None:
    import re

    doc = client.get("/openapi.json", headers={"X-API-Key": demo.keys["tax"]}).json()
    param = next(
        p for p in doc["paths"]["/v1/persons/{ref}"]["get"]["parameters"] if p["name"] == "ref"
    )
    pattern = re.compile(param["schema"]["pattern"])
    pin = demo.people[0]["national_id"]
    assert pattern.search(f"kg_pin:{pin}")
    for bad in ("0", "kg_pin:", "nope:123", "kg_pin:" + "1" * 65):
        assert not pattern.search(bad), bad
        r = client.get(
            f"/v1/persons/{bad}",
            headers={"X-API-Key": demo.keys["tax"], "X-Seamline-Purpose": "tax-registration"},
        )
        assert r.status_code == 400, (bad, r.status_code)
