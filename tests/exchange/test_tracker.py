"""The data tracker shows a person who read their data, and nothing about anyone else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

H = Callable[..., dict[str, str]]


def test_tracker_lists_only_that_persons_accesses(
    demo: Any, client: TestClient, headers: H
) -> None:
    a, b = demo.people[10], demo.people[11]
    tax, social = demo.keys["tax"], demo.keys["social"]
    for _ in range(2):
        client.get(f"/v1/persons/kg_pin:{a['national_id']}", headers=headers(tax))
    client.get(f"/v1/persons/kg_pin:{b['national_id']}", headers=headers(tax))
    client.get(
        f"/v1/persons/kg_pin:{a['national_id']}",
        headers=headers(social, "benefit-eligibility", **{"X-Seamline-User": "KG-officer-3"}),
    )
    client.get(f"/v1/persons/kg_pin:{a['national_id']}", headers=headers(tax, "nope"))  # refused
    r = client.get(
        f"/v1/tracker/kg_pin:{a['national_id']}", headers=headers(demo.keys["portal"], None)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == a["entity_id"]
    seen = body["accesses"]
    assert len(seen) == 3  # two tax lookups, one social fund lookup; the refusal read nothing
    assert {x["client"] for x in seen} == {"tax", "social"}
    assert {x["agreement"] for x in seen} == {"DSA-2026-014", "DSA-2026-021"}
    assert any(x["end_user"] == "KG-officer-3" for x in seen)
    assert not any(x["end_user_verified"] for x in seen)  # claimed by the client only
    assert all("family_name" in x["attributes"] for x in seen)
    assert b["entity_id"] not in r.text and b["national_id"] not in r.text


def test_tracker_is_for_the_portal_only(demo: Any, client: TestClient, headers: H) -> None:
    pin = demo.people[10]["national_id"]
    r = client.get(f"/v1/tracker/kg_pin:{pin}", headers=headers(demo.keys["tax"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_a_tracker_client"
