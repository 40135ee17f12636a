"""The OpenAPI 3.1 document: one Person schema per agreement, holding only its attributes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs as jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from seamline.store.models import AuditEvent

H = Callable[..., dict[str, str]]
TAX = "Person_DSA-2026-014"
SOCIAL = "Person_DSA-2026-021"
TAX_ATTRS = ["national_id", "family_name", "given_name", "patronymic", "birth_date",
             "death_date", "status"]  # fmt: skip
SOCIAL_ATTRS = ["national_id", "family_name", "given_name", "birth_date", "death_date", "status"]


@pytest.fixture(scope="module")
def document(client: TestClient, demo: Any) -> dict[str, Any]:
    r = client.get("/openapi.json", headers={"X-API-Key": demo.keys["tax"]})
    assert r.status_code == 200
    return dict(r.json())


def test_one_schema_per_agreement_with_only_its_attributes(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    assert sorted(n for n in schemas if n.startswith("Person_")) == [TAX, SOCIAL]
    for name, attrs in ((TAX, TAX_ATTRS), (SOCIAL, SOCIAL_ATTRS)):
        inner = schemas[name]["properties"]["attributes"]
        assert list(inner["properties"]) == attrs
        assert inner["required"] == attrs and inner["additionalProperties"] is False
        assert "tax_number" not in inner["properties"]
    assert schemas[TAX]["x-seamline-agreement"]["purpose"] == "tax-registration"
    assert schemas["Person"]["anyOf"] == [
        {"$ref": f"#/components/schemas/{TAX}"},
        {"$ref": f"#/components/schemas/{SOCIAL}"},
    ]
    lookup = document["paths"]["/v1/persons/{ref}"]["get"]["responses"]["200"]
    assert lookup["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Person"
    }
    search = document["paths"]["/v1/persons"]["get"]["responses"]["200"]
    assert search["content"]["application/json"]["schema"]["$ref"].endswith("/PersonPage")


def test_answers_match_their_own_agreements_schema_only(
    demo: Any, client: TestClient, headers: H, document: dict[str, Any]
) -> None:
    schemas = document["components"]["schemas"]
    pin = demo.people[0]["national_id"]
    tax = client.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["tax"])).json()
    social = client.get(
        f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["social"], "benefit-eligibility")
    ).json()
    jsonschema.validate(schemas[TAX], tax)
    jsonschema.validate(schemas[SOCIAL], social)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(schemas[SOCIAL], tax)  # the tax answer has patronymic
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(schemas[TAX], social)  # the social answer lacks it


def test_per_agreement_document_for_its_consumer_only(
    demo: Any, client: TestClient, headers: H
) -> None:
    url = "/v1/agreements/DSA-2026-014/openapi.json"
    r = client.get(url, headers=headers(demo.keys["tax"], None))
    assert r.status_code == 200, r.text
    doc = r.json()
    schemas = doc["components"]["schemas"]
    assert schemas["Person"] == {"$ref": f"#/components/schemas/{TAX}"}
    assert SOCIAL not in schemas and "DSA-2026-014" in doc["info"]["title"]
    assert "/v1/persons/{ref}" in doc["paths"]
    with demo.store.session() as s:
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert ev is not None and ev.action == "agreement.openapi" and ev.outcome == "ok"
    # another system's agreement, an unknown one, no key: refused, and audited
    r = client.get(url, headers=headers(demo.keys["social"], None))
    assert r.status_code == 404 and r.json()["error"]["code"] == "agreement_not_found"
    r = client.get("/v1/agreements/DSA-0/openapi.json", headers=headers(demo.keys["tax"]))
    assert r.status_code == 404
    assert client.get(url).status_code == 401
