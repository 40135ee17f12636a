"""Bulk export: streamed NDJSON and Parquet, the agreement's attributes only, one audit event."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from seamline.exchange import export as export_mod
from seamline.exchange import verify_audit
from seamline.exchange.data import load_people
from seamline.store.models import AuditEvent

H = Callable[..., dict[str, str]]
URL = "/v1/persons:export"
TAX_ATTRS = ["national_id", "family_name", "given_name", "patronymic", "birth_date",
             "death_date", "status"]  # fmt: skip


def _events(demo: Any) -> int:
    with demo.store.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _last(demo: Any) -> AuditEvent:
    with demo.store.session() as s:
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert ev is not None
        return ev


def _reference_ids(demo: Any) -> list[str]:
    return [p.entity_id for p in load_people(demo.ws).people]


def test_ndjson_export_holds_everyone_with_the_agreed_attributes_only(
    demo: Any, client: TestClient, headers: H
) -> None:
    before = _events(demo)
    r = client.get(URL, headers=headers(demo.keys["tax"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert "DSA-2026-014" in r.headers["content-disposition"]
    rows = [json.loads(line) for line in r.text.splitlines()]
    ids = [row["id"] for row in rows]
    assert ids == _reference_ids(demo)
    assert all(list(row["attributes"]) == TAX_ATTRS for row in rows)
    by_id = {row["id"]: row["attributes"] for row in rows}
    for person in demo.people[:20]:
        assert by_id[person["entity_id"]]["national_id"] == person["national_id"]
        assert by_id[person["entity_id"]]["family_name"] == person["family_name"]
    assert "tax_number" not in r.text  # not in the tax service's agreement
    # One event for the whole export: the count and a digest of the ids, not the ids.
    assert _events(demo) == before + 1
    ev = _last(demo)
    assert ev.action == "person.export" and ev.outcome == "ok"
    assert ev.details["subjects_count"] == len(ids)
    want = hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()
    assert ev.details["subjects_digest"] == want
    assert ev.details["attributes"] == TAX_ATTRS and ev.details["format"] == "ndjson"
    assert "subjects" not in ev.details
    assert verify_audit(demo.store).ok


def test_parquet_export_is_typed_and_filtered(demo: Any, client: TestClient, headers: H) -> None:
    r = client.get(
        URL,
        params={"format": "parquet"},
        headers=headers(demo.keys["social"], "benefit-eligibility"),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(r.content))
    assert table.column_names == ["id", "national_id", "family_name", "given_name",
                                  "birth_date", "death_date", "status"]  # fmt: skip
    assert table.column("id").to_pylist() == _reference_ids(demo)
    ref = pq.read_table(demo.ws.data_dir / "reference" / "person.parquet")
    assert table.schema.field("birth_date").type == ref.schema.field("birth_date").type
    assert _last(demo).details["format"] == "parquet"


def test_export_streams_one_chunk_at_a_time(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    index = load_people(demo.ws)
    monkeypatch.setattr(export_mod, "CHUNK", 50)
    attrs = ["national_id", "family_name"]
    parts = export_mod.parquet_chunks(index, index.people, attrs)
    first = next(parts)  # written before the rest of the people are even read
    rest = list(parts)
    assert len(rest) >= len(index.people) // 50 - 1
    whole = first + b"".join(rest)
    assert len(first) < len(whole) / 4
    f = pq.ParquetFile(io.BytesIO(whole))
    assert f.metadata.num_row_groups == -(-len(index.people) // 50)
    assert f.metadata.num_rows == len(index.people)
    lines = list(export_mod.ndjson_chunks(index.people, attrs))
    assert len(lines) == -(-len(index.people) // 50)
    assert sum(chunk.count(b"\n") for chunk in lines) == len(index.people)


@pytest.mark.parametrize(
    ("who", "purpose", "status", "code"),
    [
        ("addresses", "tax-registration", 403, "no_agreement"),
        ("tax", "benefit-eligibility", 403, "wrong_purpose"),
        ("tax", None, 400, "purpose_required"),
        (None, "tax-registration", 401, "missing_credentials"),
    ],
)
def test_export_refused_without_an_agreement(
    demo: Any,
    client: TestClient,
    headers: H,
    who: str | None,
    purpose: str | None,
    status: int,
    code: str,
) -> None:
    before = _events(demo)
    h = headers(demo.keys[who], purpose) if who else {"X-Seamline-Purpose": str(purpose)}
    r = client.get(URL, headers=h)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert demo.people[0]["national_id"] not in r.text
    assert _events(demo) == before + 1
    ev = _last(demo)
    assert ev.outcome == "refused" and ev.details["code"] == code
    assert ev.details["endpoint"] == URL and ev.action in ("person.export", "request")


def test_export_rejects_an_unknown_format(demo: Any, client: TestClient, headers: H) -> None:
    r = client.get(URL, params={"format": "csv"}, headers=headers(demo.keys["tax"]))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_tracker_shows_bulk_exports(demo: Any, client: TestClient, headers: H) -> None:
    client.get(URL, headers=headers(demo.keys["tax"]))
    pin = demo.people[5]["national_id"]
    r = client.get(f"/v1/tracker/kg_pin:{pin}", headers=headers(demo.keys["portal"], None))
    assert r.status_code == 200
    bulk = [a for a in r.json()["accesses"] if a["bulk"]]
    assert bulk and bulk[0]["action"] == "person.export" and bulk[0]["client"] == "tax"
    assert bulk[0]["attributes"] == TAX_ATTRS
