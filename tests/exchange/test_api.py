"""Lookups, search, provenance and the agreement rules, through FastAPI's TestClient."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from seamline.exchange import add_client, revoke_client, rotate_client

H = Callable[..., dict[str, str]]
TAX_ATTRS = {"national_id", "family_name", "given_name", "patronymic", "birth_date",
             "death_date", "status"}  # fmt: skip
SOCIAL_ATTRS = {"national_id", "family_name", "given_name", "birth_date", "death_date", "status"}


def test_lookup_returns_only_the_agreements_attributes(
    demo: Any, client: TestClient, headers: H
) -> None:
    person = demo.people[0]
    r = client.get(f"/v1/persons/kg_pin:{person['national_id']}", headers=headers(demo.keys["tax"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == person["entity_id"]
    assert set(body["attributes"]) == TAX_ATTRS
    assert body["attributes"]["family_name"] == person["family_name"]
    assert "tax_number" not in body["attributes"] and "sex" not in body["attributes"]
    r = client.get(
        f"/v1/persons/kg_pin:{person['national_id']}",
        headers=headers(demo.keys["social"], "benefit-eligibility"),
    )
    assert r.status_code == 200
    assert set(r.json()["attributes"]) == SOCIAL_ATTRS  # no patronymic for the social fund


def test_lookup_with_separators(demo: Any, client: TestClient, headers: H) -> None:
    person = next(p for p in demo.people if p["tax_number"])
    pin = person["national_id"]
    spaced = f"{pin[:1]} {pin[1:9]}-{pin[9:]}"
    r = client.get(f"/v1/persons/kg_pin:{spaced}", headers=headers(demo.keys["tax"]))
    assert r.status_code == 200 and r.json()["id"] == person["entity_id"]


def test_search_pages_through_matches(demo: Any, client: TestClient, headers: H) -> None:
    family = demo.people[0]["family_name"]
    want = sorted(p["entity_id"] for p in demo.people if p["family_name"] == family)
    got: list[str] = []
    page: int | None = 1
    while page is not None:
        r = client.get(
            "/v1/persons",
            params={"family_name": family.lower(), "size": 2, "page": page},
            headers=headers(demo.keys["tax"]),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(want) and len(body["items"]) <= 2
        got += [i["id"] for i in body["items"]]
        page = body["next_page"]
    assert sorted(got) == want
    born = demo.people[0]["birth_date"]
    r = client.get(
        "/v1/persons",
        params={"family_name": family, "birth_date": born},
        headers=headers(demo.keys["tax"]),
    )
    assert {i["attributes"]["birth_date"] for i in r.json()["items"]} == {born}


def test_provenance_of_an_agreed_attribute(demo: Any, client: TestClient, headers: H) -> None:
    person = demo.people[0]
    url = f"/v1/persons/kg_pin:{person['national_id']}/provenance/family_name"
    r = client.get(url, headers=headers(demo.keys["tax"]))
    assert r.status_code == 200
    body = r.json()
    assert body["value"] == person["family_name"]
    # civil_persons is the seam's provider (personal, not special): named; the source
    # record only by an opaque reference, never its key.
    if person["family_name__dataset"] == "civil_persons":
        assert body["dataset"] == "civil_persons" and body["dataset_withheld"] is False
    assert body["record"].startswith("rec_")
    assert body["record"] != person["family_name__record"]
    url = f"/v1/persons/kg_pin:{person['national_id']}/provenance/tax_number"
    r = client.get(url, headers=headers(demo.keys["tax"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "attribute_not_agreed"


@pytest.mark.parametrize(
    ("client_name", "purpose", "code"),
    [
        ("addresses", "tax-registration", "no_agreement"),
        ("portal", "tax-registration", "no_agreement"),
        ("tax", "benefit-eligibility", "wrong_purpose"),
        ("social", "tax-registration", "wrong_purpose"),
    ],
)
def test_refused_without_a_matching_agreement(
    demo: Any, client: TestClient, headers: H, client_name: str, purpose: str, code: str
) -> None:
    pin = demo.people[0]["national_id"]
    r = client.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys[client_name], purpose))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == code
    assert "attributes" not in r.text and pin not in r.text


def test_expired_and_not_started_agreements(demo: Any, headers: H) -> None:
    pin = demo.people[0]["national_id"]
    with TestClient(demo.app(today=dt.date(2028, 3, 1))) as c:
        r = c.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["tax"]))
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "agreement_expired"
        assert "2027-12-31" in r.json()["error"]["message"]
        # the social fund's agreement has no end date: still served
        r = c.get(
            f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["social"], "benefit-eligibility")
        )
        assert r.status_code == 200
    with TestClient(demo.app(today=dt.date(2025, 6, 1))) as c:
        r = c.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["tax"]))
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "agreement_not_started"


def test_auth_bad_rotated_and_revoked_keys(demo: Any, client: TestClient, headers: H) -> None:
    pin = demo.people[1]["national_id"]
    url = f"/v1/persons/kg_pin:{pin}"
    _, key = add_client(demo.store, "tax-rotating", "tax-db")
    assert client.get(url, headers=headers(key)).status_code == 200
    assert (
        client.get(
            url, headers={"X-API-Key": key, "X-Seamline-Purpose": "tax-registration"}
        ).status_code
        == 200
    )
    assert (
        client.get(url, headers=headers(key[:-1] + ("A" if key[-1] != "A" else "B"))).status_code
        == 401
    )
    _, new = rotate_client(demo.store, "tax-rotating")
    r = client.get(url, headers=headers(key))
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    assert client.get(url, headers=headers(new)).status_code == 200
    revoke_client(demo.store, "tax-rotating")
    assert client.get(url, headers=headers(new)).status_code == 401


def test_logs_carry_no_personal_data(
    demo: Any, client: TestClient, headers: H, caplog: pytest.LogCaptureFixture
) -> None:
    person = demo.people[2]
    with caplog.at_level(logging.INFO, logger="seamline.exchange"):
        client.get(f"/v1/persons/kg_pin:{person['national_id']}", headers=headers(demo.keys["tax"]))
        client.get("/v1/persons", params={"family_name": person["family_name"]},
                   headers=headers(demo.keys["tax"]))  # fmt: skip
        client.get(f"/v1/persons/kg_pin:{person['national_id']}", headers=headers("sl_bad_key"))
    text = caplog.text
    assert "/v1/persons/{ref}" in text  # the route template is logged...
    for secret in (person["national_id"], person["family_name"], demo.keys["tax"], "sl_bad_key"):
        assert secret not in text  # ...never the identifier, a name or a key


def test_health_ready_metrics(client: TestClient, demo: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["audit"] is True
    text = client.get("/metrics", headers={"X-API-Key": demo.keys["tax"]}).text
    assert "seamline_exchange_requests_total" in text
    assert "seamline_exchange_audit_commit_seconds_bucket" in text


def test_rate_limit(demo: Any, headers: H) -> None:
    pin = demo.people[0]["national_id"]
    with TestClient(demo.app(rate_limit=0.001, rate_burst=3)) as c:
        codes = [
            c.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["tax"])).status_code
            for _ in range(5)
        ]
    assert codes == [200, 200, 200, 429, 429]


def test_search_by_a_name_in_another_script_finds_the_golden_value(
    demo: Any, client: TestClient, headers: H
) -> None:
    """``family_name=Асанова`` finds ``ASANOVA``: the name keys reconcile links them by."""
    with (demo.root / "_truth" / "people.csv").open(encoding="utf-8", newline="") as fh:
        cyrillic = {r["pin"]: r["family_name"] for r in csv.DictReader(fh)}

    def latin(name: str) -> bool:
        return all(not ch.isalpha() or ch.isascii() for ch in name)

    person = next(
        p
        for p in demo.people
        if latin(p["family_name"]) and not latin(cyrillic.get(p["national_id"], "a"))
    )
    asked = cyrillic[person["national_id"]]
    r = client.get(
        "/v1/persons", params={"family_name": asked, "size": 100}, headers=headers(demo.keys["tax"])
    )
    assert r.status_code == 200, r.text
    found = {i["id"]: i["attributes"]["family_name"] for i in r.json()["items"]}
    assert person["entity_id"] in found
    # Only the same name: every Latin hit is one spelling of it, case aside.
    assert {n.casefold() for n in found.values() if latin(n)} == {person["family_name"].casefold()}
    # Within one script the spelling must agree: a Latin variant finds no Latin value.
    variant = person["family_name"].replace("V", "W").replace("v", "w")
    if variant != person["family_name"]:
        r = client.get(
            "/v1/persons", params={"family_name": variant}, headers=headers(demo.keys["tax"])
        )
        assert not [i for i in r.json()["items"] if latin(i["attributes"]["family_name"])]
