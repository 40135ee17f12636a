"""The audit chain: one event per request, verification, and every kind of tampering."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from seamline.exchange import export_audit, verify_audit, verify_bundle
from seamline.exchange.audit import AuditWriter, Event, append_now
from seamline.exchange.keys import load_or_create_key, public_text
from seamline.store import Store
from seamline.store.models import AuditEvent, AuditSignature

H = Callable[..., dict[str, str]]


def _count(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_every_request_is_one_event(demo: Any, client: TestClient, headers: H) -> None:
    pin = demo.people[3]["national_id"]
    before = _count(demo.store)
    calls = [
        (f"/v1/persons/kg_pin:{pin}", headers(demo.keys["tax"])),
        (f"/v1/persons/kg_pin:{pin}", headers(demo.keys["tax"], "nope")),
        (f"/v1/persons/kg_pin:{pin}", {}),
        ("/v1/persons/kg_pin:12", headers(demo.keys["tax"])),
        ("/v1/unknown", headers(demo.keys["tax"])),
        ("/v1/persons?page=0", headers(demo.keys["tax"])),
    ]
    statuses = [client.get(url, headers=h).status_code for url, h in calls]
    assert statuses == [200, 403, 401, 400, 404, 422]
    client.get("/healthz")  # not audited: no data, no caller
    assert _count(demo.store) == before + len(calls)
    with demo.store.session() as s:
        last = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(6)))[::-1]
    assert [e.outcome for e in last] == ["ok"] + ["refused"] * 5
    assert last[0].client == "tax" and last[0].purpose == "tax-registration"
    assert last[0].details["attributes"] and last[0].details["subjects"]
    assert last[1].details["code"] == "wrong_purpose"
    assert last[2].actor == "anonymous"
    assert verify_audit(demo.store).ok


def test_end_user_and_xroad_headers_are_logged(demo: Any, client: TestClient, headers: H) -> None:
    pin = demo.people[4]["national_id"]
    h = headers(
        demo.keys["tax"],
        **{"X-Road-Client": "KG/GOV/70000001/tax-db", "X-Road-UserId": "KG-inspector-17",
           "X-Road-Issue": "case 2026/118"},
    )  # fmt: skip
    assert client.get(f"/v1/persons/kg_pin:{pin}", headers=h).status_code == 200
    with demo.store.session() as s:
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert ev is not None
        # The actor is the client that authenticated, never a header's claim; X-Road
        # headers are kept as evidence only and name no end user.
        assert ev.actor == "tax" and ev.client == "tax"
        assert "end_user_claimed" not in ev.details
        assert ev.details["xroad_evidence"] == {
            "client": "KG/GOV/70000001/tax-db", "userid": "KG-inspector-17", "issue": "case 2026/118"
        }  # fmt: skip


def test_a_claimed_end_user_is_recorded_apart_from_the_client(
    demo: Any, client: TestClient, headers: H
) -> None:
    pin = demo.people[5]["national_id"]
    h = headers(demo.keys["tax"], **{"X-Seamline-User": "admin"})
    assert client.get(f"/v1/persons/kg_pin:{pin}", headers=h).status_code == 200
    with demo.store.session() as s:
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert ev is not None
        assert ev.actor == "tax"  # a caller cannot make the log say "admin" did it
        assert ev.details["end_user_claimed"] == "admin"
    assert verify_audit(demo.store).ok


def test_no_answer_when_the_audit_cannot_be_written(demo: Any, headers: H) -> None:
    pin = demo.people[0]["national_id"]
    with TestClient(demo.app()) as c:
        writer = c.app.state.exchange.writer  # type: ignore[attr-defined]

        def broken(rows: list[Any]) -> None:
            raise OSError("disk full")

        writer._insert = broken
        r = c.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["tax"]))
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "audit_unavailable"
        assert pin not in r.text


# --- tampering -----------------------------------------------------------------------


@pytest.fixture
def chain(tmp_path: Path) -> Any:
    key = load_or_create_key(tmp_path / "k.pem")
    with Store.open(f"sqlite:///{tmp_path}/audit.db") as store:
        events = [
            Event("Aigul Toktogulova", "tax", "person.lookup", f"person:p{i}", "tax-registration",
                  "ok", {"subjects": [f"p{i}"], "n": i})
            for i in range(1, 13)
        ]  # fmt: skip
        append_now(store, key, events)
        yield store, key


def test_intact_chain_verifies(chain: Any) -> None:
    store, key = chain
    result = verify_audit(store, public_key=public_text(key))
    assert result.ok and result.events == 12 and result.checkpoints >= 1


def test_altered_event_is_named(chain: Any) -> None:
    store, _ = chain
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 5).values(purpose="marketing"))
    result = verify_audit(store)
    assert not result.ok and result.first_broken == 5
    assert "altered" in str(result.reason)


def test_deleted_event_is_named(chain: Any) -> None:
    store, _ = chain
    with store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 7))
    result = verify_audit(store)
    assert not result.ok and result.first_broken == 7


def test_reordered_events_are_named(chain: Any) -> None:
    store, _ = chain
    cols = ["at", "actor", "client", "action", "resource", "purpose", "outcome", "details",
            "prev_hash", "hash"]  # fmt: skip
    with store.session() as s:
        a, b = s.get(AuditEvent, 4), s.get(AuditEvent, 5)
        assert a is not None and b is not None
        va, vb = ({c: getattr(x, c) for c in cols} for x in (a, b))
        for c in cols:
            setattr(a, c, vb[c])
            setattr(b, c, va[c])
    result = verify_audit(store)
    assert not result.ok and result.first_broken == 4


def test_truncated_tail_is_detected(chain: Any) -> None:
    store, _ = chain
    with store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id > 9))
    result = verify_audit(store)
    assert not result.ok and "truncated" in str(result.reason)


def test_forged_checkpoint_is_detected(chain: Any, tmp_path: Path) -> None:
    store, key = chain
    other = load_or_create_key(tmp_path / "other.pem")
    assert verify_audit(store, public_key=public_text(key)).ok
    result = verify_audit(store, public_key=public_text(other))
    assert not result.ok and "unknown key" in str(result.reason)
    with store.session() as s:
        s.execute(update(AuditSignature).values(signature="AAAA"))
    result = verify_audit(store)
    assert not result.ok and "signature is invalid" in str(result.reason)


def test_rehashed_chain_still_fails_the_signed_checkpoint(chain: Any) -> None:
    """Rewriting an event and recomputing every later hash breaks the signed head."""
    from seamline.exchange.audit import chain_hash, row_dict

    store, _ = chain
    with store.session() as s:
        rows = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        rows[2].purpose = "marketing"
        prev = rows[1].hash
        for r in rows[2:]:
            r.prev_hash = prev
            r.hash = prev = chain_hash(prev, row_dict(r))
    result = verify_audit(store)
    assert not result.ok and "checkpoint" in str(result.reason)


def test_writer_batches_and_signs_periodically(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    with Store.open(f"sqlite:///{tmp_path}/a.db") as store:
        writer = AuditWriter(store, key, max_batch=20, checkpoint_events=50, checkpoint_seconds=60)
        writer.start()
        futures = [
            writer.submit(Event("x", "c", "person.lookup", None, "p", "ok", {"i": i}))
            for i in range(200)
        ]
        ids = [f.result(10) for f in futures]
        writer.stop()
        assert ids == list(range(1, 201))
        result = verify_audit(store)
        assert result.ok and result.events == 200 and result.checkpoints >= 2


def test_export_bundle_verifies_offline_and_detects_edits(chain: Any, tmp_path: Path) -> None:
    store, key = chain
    path = tmp_path / "bundle.json"
    n = export_audit(store, None, dt.datetime.now(dt.UTC) + dt.timedelta(days=1), path, key)
    assert n == 12
    assert verify_bundle(path, public_key=public_text(key)).ok
    data = json.loads(path.read_text())
    data["body"]["events"][3]["outcome"] = "refused"
    path.write_text(json.dumps(data))
    result = verify_bundle(path)
    assert not result.ok and "signature" in str(result.reason)
    data["signature"] = ""
    path.write_text("not json")
    assert not verify_bundle(path).ok


def test_signing_key_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.pem"
    key = load_or_create_key(path)
    assert path.stat().st_mode & 0o077 == 0
    assert public_text(load_or_create_key(path)) == public_text(key)


_KEYS = st.sampled_from(["id", "outcome", "details", "a", "z"]) | st.text(max_size=8)
_VALUES = st.recursive(
    st.none() | st.integers() | st.text(max_size=12) | st.sampled_from([',"id":0,"outcome":']),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=8,
)


@given(
    details=st.dictionaries(_KEYS, _VALUES, max_size=5),
    text=st.text(max_size=20) | st.sampled_from([',"details":', ',"id":0,"outcome":"ok"']),
    eid=st.integers(min_value=1, max_value=10**12),
)
def test_canonical_halves_splice_to_the_canonical_text(
    details: dict[str, Any], text: str, eid: int
) -> None:
    from seamline.exchange.auditformat import canonical, canonical_halves, canonical_parts

    event = {
        "at": dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC), "actor": text, "client": None,
        "action": "person.lookup", "resource": text or None, "purpose": "tax-registration",
        "outcome": "ok", "details": details,
    }  # fmt: skip
    head, tail = canonical_halves(event)
    assert head + str(eid) + tail == canonical({**event, "id": eid})
    details_json = canonical_parts(event)[2]
    assert json.loads(details_json) == details
    assert details_json == json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_inline_commit_mode_writes_one_event_per_request(demo: Any, headers: H) -> None:
    pin = demo.people[1]["national_id"]
    with demo.store.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    with TestClient(demo.app(audit_inline=True)) as c:
        codes = [
            c.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["tax"])).status_code
            for _ in range(5)
        ]
        codes.append(c.get("/v1/persons/kg_pin:1", headers=headers("sl_x_y")).status_code)
    assert codes == [200] * 5 + [401]
    with demo.store.session() as s:
        after = s.scalar(select(func.count()).select_from(AuditEvent))
    assert after == before + 6
    assert verify_audit(demo.store).ok
