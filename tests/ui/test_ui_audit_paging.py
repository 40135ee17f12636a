"""The audit page's cached chain verification and the paged access log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from uidemo import PASSWORD, TODAY

from seamline.exchange import verify_audit
from seamline.exchange.audit import Event, append_now
from seamline.exchange.chaincache import ChainCache
from seamline.exchange.keys import load_or_create_key
from seamline.store import Store
from seamline.store.models import AuditEvent
from seamline.ui import create_ui_app
from seamline.ui.audit_view import LogFilter, access_log

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def lookups(n: int, start: int = 0) -> list[Event]:
    return [
        Event("Aigul Toktogulova", "tax" if i % 3 else "social", "person.lookup",
              f"person:p{i}", "tax-registration" if i % 3 else "benefits", "ok", {"n": i})
        for i in range(start, start + n)
    ]  # fmt: skip


@pytest.fixture
def log(tmp_path: Path) -> Iterator[tuple[Store, Ed25519PrivateKey]]:
    key = load_or_create_key(tmp_path / "k.pem")
    with Store.open(f"sqlite:///{tmp_path}/audit.db") as store:
        append_now(store, key, lookups(12))
        yield store, key


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_the_chain_is_verified_again_only_when_the_log_grows(log: Any) -> None:
    store, key = log
    cache = ChainCache(clock=Clock())
    first = cache.status(store)
    truth = verify_audit(store)
    assert first.walked == 12 and first.result.ok
    assert (first.result.events, first.result.checkpoints) == (truth.events, truth.checkpoints)
    assert (first.last_event, first.since_full) == (12, 0)

    # Nothing was written: the result is shown again without reading the chain. An event
    # altered in place does not change the latest ids, so this load cannot see it...
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 5).values(purpose="marketing"))
    again = cache.status(store)
    assert again.walked == 0 and again.result.ok and again.result.events == 12

    # ...the log grew: only the three new events (and the new checkpoint) are verified...
    append_now(store, key, lookups(3, start=12))
    grown = cache.status(store)
    assert grown.walked == 3 and grown.since_full == 3 and grown.last_event == 15
    assert grown.result.ok and grown.result.events == 15
    assert grown.result.checkpoints == verify_audit(store).checkpoints

    # ...and a walk from the first event, asked for, finds the altered one.
    full = cache.status(store, full=True)
    assert not full.result.ok and full.result.first_broken == 5 and full.walked == 15
    assert full.since_full == 0


def test_a_break_among_the_new_events_is_found(log: Any) -> None:
    store, key = log
    cache = ChainCache(clock=Clock())
    assert cache.status(store).result.ok
    append_now(store, key, lookups(4, start=12))
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 14).values(client="someone"))
    grown = cache.status(store)
    assert grown.walked == 4
    assert not grown.result.ok and grown.result.first_broken == 14
    assert "altered" in str(grown.result.reason)


def test_a_rewritten_tail_forces_a_walk_from_the_first_event(log: Any) -> None:
    store, key = log
    cache = ChainCache(clock=Clock())
    assert cache.status(store).result.ok
    with store.session() as s:  # cut the last event and write a different one in its place
        s.execute(delete(AuditEvent).where(AuditEvent.id == 12))
    append_now(store, key, lookups(1, start=100))
    after = cache.status(store)
    assert after.walked == 12  # the tip's hash changed: the whole chain was walked
    assert not after.result.ok and "checkpoint" in str(after.result.problems)


def test_the_whole_chain_is_walked_again_after_an_hour(log: Any) -> None:
    store, _ = log
    clock = Clock()
    cache = ChainCache(full_every=dt.timedelta(hours=1), clock=clock)
    cache.status(store)
    clock.now += dt.timedelta(minutes=59)
    assert cache.status(store).walked == 0
    clock.now += dt.timedelta(minutes=2)
    later = cache.status(store)
    assert later.walked == 12 and later.full_at == clock.now


def test_the_access_log_is_paged_by_event_id(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    with Store.open(f"sqlite:///{tmp_path}/paged.db") as store:
        append_now(store, key, lookups(450))
        newest = access_log(store, LogFilter())
        ids = [e["id"] for e in newest.events]
        assert ids == list(range(450, 250, -1))
        assert (newest.total, newest.newer, newest.older) == (450, 0, True)
        second = access_log(store, LogFilter(), before=newest.last_id)
        assert [e["id"] for e in second.events] == list(range(250, 50, -1))
        assert (second.newer, second.older) == (200, True)
        last = access_log(store, LogFilter(), before=second.last_id)
        assert [e["id"] for e in last.events] == list(range(50, 0, -1))
        assert (last.newer, last.older) == (400, False)
        back = access_log(store, LogFilter(), after=last.first_id)
        assert [e["id"] for e in back.events] == list(range(250, 50, -1))
        # new events do not shift a page that is keyed by id
        append_now(store, key, lookups(5, start=450))
        moved = access_log(store, LogFilter(), before=newest.last_id)
        assert moved.events == second.events and moved.newer == 205
        # a filter pages within its own events: client "social" is every third event
        social = access_log(store, LogFilter(client="social"), limit=50)
        assert all(e["client"] == "social" for e in social.events)
        assert social.total == 152 and len(social.events) == 50 and social.older
        older = access_log(store, LogFilter(client="social"), before=social.last_id, limit=50)
        assert older.events[0]["id"] == social.events[-1]["id"] - 3 and older.newer == 50


def test_the_audit_page_links_its_pages_and_keeps_the_filter(ui_demo: Any, tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    with Store.open(f"sqlite:///{tmp_path}/page.db") as store:
        append_now(store, key, lookups(450))
        app = create_ui_app(ui_demo.ws, store, today=TODAY)
        with TestClient(app) as client:
            login = client.get("/login")
            token = CSRF.search(login.text)
            assert token
            client.post(
                "/login",
                data={"csrf": token.group(1), "username": "gulnara.auditor", "password": PASSWORD},
                follow_redirects=False,
            )
            first = client.get("/audit", params={"purpose": "tax-registration"}).text
            assert "300 events match; events 1–200 (newest first) shown" in first
            assert "The audit chain is intact: 450 events" in first
            older = re.search(r'href="/audit\?([^"]+)" rel="next">Older<', first)
            assert older and "purpose=tax-registration" in older.group(1)
            assert 'rel="prev"' not in first  # the newest page has no newer one
            second = client.get("/audit?" + older.group(1).replace("&amp;", "&")).text
            assert "events 201–300 (newest first) shown" in second
            assert 'rel="next"' not in second and 'rel="prev">Newer<' in second
            rows = re.findall(r"<tr><td>(\d+)</td>", second.split('id="log"', 1)[1])
            assert len(rows) == 100 and "benefits" not in second.split('id="log"', 1)[1]
            # the standalone UI writes its own records to a file: the log did not grow,
            # so the chain was not walked again; asking for it walks it again
            csrf = CSRF.search(second)
            assert csrf
            with store.session() as s:
                s.execute(update(AuditEvent).where(AuditEvent.id == 7).values(outcome="error"))
            assert "The audit chain is intact" in client.get("/audit").text
            verified = client.post("/audit/verify", data={"csrf": csrf.group(1)}).text
            assert "The audit chain is BROKEN at event 7" in verified
            refused = client.post("/audit/verify", data={"csrf": "wrong"})
            assert refused.status_code == 403


def test_inside_the_exchange_each_load_verifies_only_what_was_written_since(
    ui_demo: Any, tmp_path: Path
) -> None:
    """Every page view is itself an audit event, so the log grows by one per load: the
    page verifies that one (and whatever the exchange wrote), not the whole chain."""
    from seamline.exchange import ExchangeConfig
    from seamline.exchange.app import create_app
    from seamline.ui import mount_ui

    app = create_app(
        ui_demo.ws, ui_demo.store, ExchangeConfig(key_path=ui_demo.key_path, today=TODAY)
    )
    mount_ui(app, ui_demo.ws, ui_demo.store)
    with TestClient(app) as client:
        login = client.get("/ui/login")
        token = CSRF.search(login.text)
        assert token
        client.post(
            "/ui/login",
            data={"csrf": token.group(1), "username": "admin.root", "password": PASSWORD},
            follow_redirects=False,
        )
        first = client.get("/ui/audit").text
        assert "The audit chain is intact" in first and "written since then" not in first
        second = client.get("/ui/audit").text
        assert "the 1 event written since then was verified as it arrived" in second
        third = client.get("/ui/audit").text
        assert "the 2 events written since then" in third
    assert verify_audit(ui_demo.store).ok
