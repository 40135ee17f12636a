"""The store's personal columns at rest: sealed with the data key on SQLite and PostgreSQL,
read back in clear with the key, a clear error without it, re-encrypted by a rotation."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from atrest_kit import BLOCK, ENV, DemoRun, new_key
from sqlalchemy import select, text
from storescan import in_clear, personal_values, postgres_cells, sqlite_cells

from seamline.cli import main
from seamline.crypto.keys import DataKeyError
from seamline.crypto.values import PREFIX, ValueCipher
from seamline.demo import generate_demo
from seamline.exchange.audit import Event, append_now
from seamline.exchange.keys import load_or_create_key, public_text
from seamline.exchange.tracker import accesses
from seamline.exchange.verify import verify_audit
from seamline.pipeline import run_pipeline
from seamline.reconcile.decisions import active_decisions, record_decision
from seamline.reconcile.worklist import load_worklist
from seamline.store import Store
from seamline.store.migrate import create_store_engine, upgrade_engine
from seamline.store.models import Discrepancy, Profile
from seamline.store.sealing import reseal, sealed_columns
from seamline.workspace import load_workspace

OLD_ENV = "SEAMLINE_OLD_DATA_KEY"
SEALED = {(t.name, c.name) for t, cols in sealed_columns() for c in cols}


def _key(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text else None


def _sqlite(demo: DemoRun) -> Path:
    return Path(demo.load().store_url(env={}).removeprefix("sqlite:///"))


def _store(demo: DemoRun, key: str | None = None) -> Any:
    ws = demo.load(key)
    return Store.open(ws.store_url(env={}), key=ws.data_key)


def _worklist(demo: DemoRun, key: str | None = None) -> list[dict[str, Any]]:
    with _store(demo, key) as store:
        return load_worklist(store)


def _lookups(store: Store, pins: list[str]) -> list[Event]:
    """Audit events as the exchange writes them for served and failed lookups."""
    return [
        Event("tax", "tax", "person.lookup", f"person:national_id:{pin}", "tax-registration",
              "ok" if i % 2 else "not_found",
              {"identifier": f"national_id:{pin}", "resource": f"person:national_id:{pin}",
               "subjects": [f"person-{i:04x}"]})
        for i, pin in enumerate(pins)
    ]  # fmt: skip


def test_the_sealed_columns_are_the_personal_ones() -> None:
    assert {
        ("discrepancies", "observed"),
        ("discrepancies", "chosen"),
        ("discrepancies", "reason"),
        ("decisions", "subject"),
        ("decisions", "value"),
        ("decisions", "reason"),
        ("audit_events", "details"),
        ("audit_events", "resource"),
        ("profiles", "stats"),
    } == SEALED


def test_a_sealed_value_opens_only_with_its_key_and_in_its_column() -> None:
    key = base64.b64decode(new_key())
    cipher = ValueCipher(key)
    sealed = cipher.seal("Таштанова", "decisions.value")
    assert sealed.startswith(f"{PREFIX}{cipher.key_id}:") and "Таштанова" not in sealed
    assert sealed != cipher.seal("Таштанова", "decisions.value")  # a fresh nonce each time
    assert cipher.open(sealed, "decisions.value") == "Таштанова"
    with pytest.raises(DataKeyError, match=r"does not open a value of discrepancies\.chosen"):
        cipher.open(sealed, "discrepancies.chosen")  # moved to another column
    with pytest.raises(DataKeyError, match="was the key rotated"):
        ValueCipher(base64.b64decode(new_key())).open(sealed, "decisions.value")
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(DataKeyError):
        cipher.open(tampered, "decisions.value")


def test_an_encrypted_store_holds_no_personal_value_in_clear(encrypted_demo: DemoRun) -> None:
    cells = sqlite_cells(_sqlite(encrypted_demo))
    assert in_clear(cells, encrypted_demo.root) == {}
    assert len(cells[("discrepancies", "observed")]) >= 20
    assert len(cells[("profiles", "stats")]) >= 20
    for where in SEALED:
        assert all(v.lstrip('"').startswith(PREFIX) for v in cells[where]), where


def test_the_same_store_in_clear_shows_them(plain_demo: DemoRun) -> None:
    """The scan above can fail: the store of the run without a key holds every kind."""
    hits = in_clear(sqlite_cells(_sqlite(plain_demo)), plain_demo.root)
    assert set(hits) <= SEALED, set(hits) - SEALED
    for kind in ("identifiers", "names", "birth dates"):
        assert hits[("discrepancies", "observed")][kind] > 0, kind


def test_with_the_key_the_store_reads_as_in_clear(
    encrypted_demo: DemoRun, plain_demo: DemoRun
) -> None:
    """The worklist and the profiles of the encrypted run are those of the run in clear."""

    def profiles(demo: DemoRun) -> dict[tuple[str, str], Any]:
        with _store(demo) as store, store.session() as s:
            return {(p.dataset, p.field): p.stats for p in s.scalars(select(Profile))}

    def key(r: dict[str, Any]) -> tuple[str, str]:
        return (r["entity_id"], r["attribute"] or "")

    enc, plain = _worklist(encrypted_demo), _worklist(plain_demo)
    assert len(enc) > 5
    assert sorted(enc, key=key) == sorted(plain, key=key)
    assert profiles(encrypted_demo) == profiles(plain_demo)
    pins = personal_values(encrypted_demo.root)["identifiers"]
    assert any(pin in r["values"] for r in enc for pin in pins)  # the values, in clear


def test_a_wrong_or_missing_key_is_a_clear_error(encrypted_demo: DemoRun, tmp_path: Path) -> None:
    url = encrypted_demo.load().store_url(env={})
    with (
        pytest.raises(DataKeyError, match=r"does not open the store .*; was the key rotated"),
        Store.open(url, key=_key(new_key())),
    ):
        pass
    with (
        pytest.raises(DataKeyError, match="is encrypted, but this workspace sets no data key"),
        Store.open(url),
    ):
        pass


def test_a_wrong_key_on_the_command_line_names_the_store(
    encrypted_demo: DemoRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV, new_key())
    with pytest.raises(SystemExit) as exited:
        main(["reconcile", "worklist", str(encrypted_demo.root)])
    assert exited.value.code == 3
    said = " ".join(capsys.readouterr().err.split())
    assert "the data key does not open the store sqlite:///" in said
    assert "was the key rotated?" in said and "Traceback" not in said


def test_a_store_in_clear_is_refused_until_encrypted_from_plain(
    plain_demo: DemoRun, tmp_path: Path
) -> None:
    demo = plain_demo.copy(tmp_path / "ws")
    before = _worklist(demo)
    with (demo.root / "seamline.yaml").open("a", encoding="utf-8") as fh:
        fh.write(BLOCK)
    demo.key = new_key()
    with (
        pytest.raises(DataKeyError, match="holds personal values in clear") as caught,
        _store(demo),
    ):
        pass
    assert "--from-plain" in str(caught.value)
    engine = create_store_engine(demo.load().store_url(env={}))
    try:
        done = reseal(engine, None, _key(demo.key))
    finally:
        engine.dispose()
    assert not done.failed and done.rewritten["discrepancies"] >= len(before) > 5
    assert done.rewritten["profiles"] > 20
    assert in_clear(sqlite_cells(_sqlite(demo)), demo.root) == {}
    assert _worklist(demo) == before


def test_rotation_reencrypts_the_store_and_the_audit_chain_still_verifies(
    encrypted_demo: DemoRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = encrypted_demo.copy(tmp_path / "ws")
    pins = sorted(personal_values(demo.root)["identifiers"])[:6]
    signing = load_or_create_key(tmp_path / "audit.pem")
    with _store(demo) as store:
        append_now(store, signing, _lookups(store, pins))
        record_decision(store, "reject_link", f"tax_payers:{pins[0]}|civil_persons:1",
                        actor="aigul.toktogulova", reason=f"not {pins[1]}")  # fmt: skip
        assert verify_audit(store, public_key=public_text(signing)).ok
    assert in_clear(sqlite_cells(_sqlite(demo)), demo.root) == {}
    before = _worklist(demo)
    old, new = demo.key, new_key()
    monkeypatch.setenv(OLD_ENV, str(old))
    monkeypatch.setenv(ENV, new)
    with pytest.raises(SystemExit) as exited:
        main(["keys", "rotate", str(demo.root), "--old-key-env", OLD_ENV])
    assert exited.value.code in (0, None)
    said = " ".join(capsys.readouterr().err.split())
    assert "rows re-encrypted to the new key" in said and "0 tables failed" in said
    with pytest.raises(DataKeyError, match="does not open the store"), _store(demo, old):
        pass
    assert _worklist(demo, new) == before
    with _store(demo, new) as store:
        result = verify_audit(store, public_key=public_text(signing))
        assert result.ok and result.events == len(pins), str(result)
        assert [a["event_id"] for a in accesses(store, "person-0001")] == [2]
        assert active_decisions(store).rejected == {("civil_persons:1", f"tax_payers:{pins[0]}")}
    assert in_clear(sqlite_cells(_sqlite(demo)), demo.root) == {}
    # Run again (as after an interruption): nothing left to do.
    with pytest.raises(SystemExit):
        main(["keys", "rotate", str(demo.root), "--old-key-env", OLD_ENV])
    said = " ".join(capsys.readouterr().err.split())
    assert "0 rows re-encrypted to the new key (none)" in said


def test_on_postgresql_nothing_personal_is_in_clear(postgres_url: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=300, seed=11)
    with (root / "seamline.yaml").open("a", encoding="utf-8") as fh:
        fh.write(BLOCK)
    key = new_key()
    ws = load_workspace(root, env={ENV: key})
    signing = load_or_create_key(tmp_path / "audit.pem")
    pins = sorted(personal_values(root)["identifiers"])[:4]
    with Store.open(postgres_url, key=ws.data_key) as store:
        summary = run_pipeline(ws, store)
        assert {s.status for s in summary.stages} == {"ok"}, summary.stages
        append_now(store, signing, _lookups(store, pins))
        worklist = load_worklist(store)
        with store.session() as s:
            assert s.scalar(select(Discrepancy.observed).limit(1))["values"]
    cells = postgres_cells(postgres_url)
    assert len(cells[("discrepancies", "observed")]) >= 20
    assert in_clear(cells, root) == {}
    assert any(pin in r["values"] for r in worklist for pin in personal_values(root)["identifiers"])
    with (
        pytest.raises(DataKeyError, match="does not open the store"),
        Store.open(postgres_url, key=_key(new_key())),
    ):
        pass
    new = new_key()
    engine = create_store_engine(postgres_url)
    try:
        done = reseal(engine, _key(key), _key(new))
    finally:
        engine.dispose()
    assert not done.failed and done.rows > len(worklist)
    with Store.open(postgres_url, key=_key(new)) as store:
        assert load_worklist(store) == worklist
        assert verify_audit(store, public_key=public_text(signing)).ok
    assert in_clear(postgres_cells(postgres_url), root) == {}


def test_an_existing_store_upgrades_and_without_a_key_is_written_as_before(
    store_url: str,
) -> None:
    """A store at the revision before the store key: upgraded in place, its rows read as
    they were, and new rows written in clear exactly as before (no key, no sealing)."""
    engine = create_store_engine(store_url)
    try:
        upgrade_engine(engine, "0005d")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO decisions (kind, subject, attribute, value, actor, reason, "
                    "created_at, active) VALUES ('reject_link', 'a:1|b:2', NULL, NULL, 'x', "
                    "'why', CURRENT_TIMESTAMP, TRUE)"
                )
            )
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        assert not store.encrypted
        assert active_decisions(store).rejected == {("a:1", "b:2")}
        record_decision(store, "force_link", "b:2|a:1", actor="x", reason="after all")
        assert active_decisions(store).forced == {("a:1", "b:2")}
        with store.session() as s:
            s.add(Profile(run_id=_a_run(store), dataset="d", field="f", stats={"top": ["Ы"]}))
        with store.engine.connect() as conn:
            raw = conn.execute(text("SELECT subject, reason FROM decisions ORDER BY id")).all()
            stats = conn.execute(text("SELECT stats FROM profiles")).scalar_one()
    assert [tuple(r) for r in raw] == [("a:1|b:2", "why"), ("a:1|b:2", "after all")]
    assert (json.loads(stats) if isinstance(stats, str) else stats) == {"top": ["Ы"]}


def _a_run(store: Store) -> int:
    return store.start_run("inventory", workspace="w")


def test_the_ui_shows_the_worklist_in_clear_and_seals_a_stewards_decision(
    encrypted_demo: DemoRun, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from seamline.ui import add_user, create_ui_app

    demo = encrypted_demo.copy(tmp_path / "ws")
    ws = demo.load()
    add_user(ws, "aigul.toktogulova", "correct horse battery", "steward")
    with _store(demo) as store:
        row = next(r for r in load_worklist(store) if r["kind"] == "conflict")
        app = create_ui_app(ws, store, today=dt.date(2026, 6, 1))
        with TestClient(app) as client:
            page = client.get("/login")
            form = {"csrf": _csrf(page.text), "username": "aigul.toktogulova",
                    "password": "correct horse battery"}  # fmt: skip
            assert client.post("/login", data=form, follow_redirects=False).status_code == 303
            page = client.get("/worklist")
            assert page.status_code == 200
            value = row["values"].split("; ")[-1].split("=", 1)[1]
            assert html.escape(value) in page.text and html.escape(row["chosen"]) in page.text
            reason = "confirmed with the district office, 12203202300139"
            resp = client.post(
                "/worklist/decide",
                data={"csrf": _csrf(page.text), "kind": "accept_value",
                      "entity_id": row["entity_id"], "attribute": row["attribute"],
                      "value": value, "reason": reason},
                follow_redirects=False,
            )  # fmt: skip
            assert resp.status_code == 303
        accepted = active_decisions(store).values[(row["entity_id"], row["attribute"])]
        assert (accepted.value, accepted.reason) == (value, reason)
    cells = sqlite_cells(_sqlite(demo))
    assert not any(reason in v for vs in cells.values() for v in vs)
    assert not any("12203202300139" in v for vs in cells.values() for v in vs)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_the_review_packet_says_what_is_encrypted(
    encrypted_demo: DemoRun, plain_demo: DemoRun
) -> None:
    from seamline.seams.review import build_packet, packet_digest, render_packet

    def packet(demo: DemoRun) -> tuple[str, str]:
        ws = demo.load()
        seam = sorted(ws.seams)[0]
        with _store(demo) as store:
            html = render_packet(build_packet(ws, store, seam))
        return html, packet_digest(ws, ws.seams[seam])

    enc, enc_digest = packet(encrypted_demo)
    plain, plain_digest = packet(plain_demo)
    assert "encrypted: the data folder" in enc and "not encrypted" not in enc
    assert "spill files are not" in enc
    assert "not encrypted: seamline writes deliveries" in plain
    assert enc_digest != plain_digest  # an approval of the one is not one of the other
