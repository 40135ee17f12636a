"""Provenance and lookups scoped to the agreement, probed as the social fund's client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from seamline.exchange.provenance import record_ref
from seamline.store.models import AuditEvent

H = Callable[..., dict[str, str]]
PURPOSE = "benefit-eligibility"


def _provenance(client: TestClient, demo: Any, headers: H, pin: str, attr: str) -> Any:
    url = f"/v1/persons/kg_pin:{pin}/provenance/{attr}"
    r = client.get(url, headers=headers(demo.keys["social"], PURPOSE))
    assert r.status_code == 200, r.text
    return r


def test_provenance_never_names_a_source_key(demo: Any, client: TestClient, headers: H) -> None:
    seen: dict[str, str] = {}
    for person in demo.people[:60]:
        for attr in ("national_id", "birth_date"):
            r = _provenance(client, demo, headers, person["national_id"], attr)
            body = r.json()
            raw = person[f"{attr}__record"]
            key = raw.partition(":")[2]
            assert raw not in r.text and key not in r.text, r.text
            assert body["record"].startswith("rec_")
            # stable per record, distinct between records
            assert seen.setdefault(raw, body["record"]) == body["record"]
    assert len(set(seen.values())) == len(seen)


def test_provenance_withholds_datasets_outside_the_agreement(
    demo: Any, client: TestClient, headers: H
) -> None:
    # The social fund's benefit-eligibility seam is served by civil_persons; the tax
    # register and the (special-category) benefit register are not its to learn about.
    by_dataset: dict[str, dict[str, Any]] = {}
    for person in demo.people:
        by_dataset.setdefault(person["national_id__dataset"], person)
    assert "civil_persons" in by_dataset and len(by_dataset) >= 2, sorted(by_dataset)
    for dataset, person in by_dataset.items():
        body = _provenance(client, demo, headers, person["national_id"], "national_id").json()
        if dataset == "civil_persons":
            assert body["dataset"] == "civil_persons" and body["dataset_withheld"] is False
        else:
            assert body["dataset"] is None and body["dataset_withheld"] is True
            assert dataset not in str(body)
        assert body["value"] == person["national_id"]
    # The reference is the keyed hash, recomputable by whoever holds the secret.
    person = by_dataset["civil_persons"]
    body = _provenance(client, demo, headers, person["national_id"], "national_id").json()
    secret = client.app.state.exchange.provenance_secret  # type: ignore[attr-defined]
    assert body["record"] == record_ref(secret, "civil_persons", person["national_id__record"])


def _last_event(demo: Any) -> AuditEvent:
    with demo.store.session() as s:
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert ev is not None
        s.expunge(ev)
        return ev


def test_lookup_by_an_identifier_the_agreement_does_not_grant_is_refused(
    demo: Any, client: TestClient, headers: H
) -> None:
    person = next(p for p in demo.people if p["tax_number"])
    h = headers(demo.keys["social"], PURPOSE)
    answers = []
    for tin in (person["tax_number"], "0000000019"):  # registered, and (likely) not
        for url in (f"/v1/persons/kg_tin:{tin}", f"/v1/persons/kg_tin:{tin}/provenance/status"):
            r = client.get(url, headers=h)
            answers.append((r.status_code, r.json()["error"]["code"]))
            ev = _last_event(demo)
            assert ev.outcome == "refused" and ev.details["code"] == "attribute_not_agreed"
            assert ev.client == "social"
    # the same answer whether the person exists or not: no existence oracle
    assert answers == [(403, "attribute_not_agreed")] * 4
    r = client.get(f"/v1/persons/kg_pin:{person['national_id']}", headers=h)
    assert r.status_code == 200 and r.json()["id"] == person["entity_id"]
