"""The anchor outside the store: tampering by someone who can rewrite the whole store.

Each case runs on SQLite and on the real PostgreSQL. The attacker has full write access
to the store (events and stored checkpoints) but not to the anchor file; the verifier
holds only the public key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select, update

from seamline.exchange.anchor import Anchor
from seamline.exchange.audit import Event, append_now, chain_hash, row_dict
from seamline.exchange.keys import load_or_create_key, public_text
from seamline.exchange.verify import VerifyResult, Window, verify_audit
from seamline.store import Store
from seamline.store.models import AuditEvent, AuditSignature

COLS = ["at", "actor", "client", "action", "resource", "purpose", "outcome", "details",
        "prev_hash", "hash"]  # fmt: skip


def events(n: int, start: int = 0) -> list[Event]:
    return [
        Event("Aigul Toktogulova", "tax", "person.lookup", f"person:p{i}", "tax-registration",
              "ok", {"subjects": [f"p{i}"], "n": i})
        for i in range(start, start + n)
    ]  # fmt: skip


@dataclass
class Log:
    store: Store
    key: Ed25519PrivateKey
    anchor: Anchor

    def verify(self, **kw: Any) -> VerifyResult:
        kw.setdefault("anchor", self.anchor.path)
        return verify_audit(self.store, public_keys=[public_text(self.key)], **kw)

    def store_only(self) -> VerifyResult:
        """What verify said before the anchor: the store's own checkpoints only."""
        return verify_audit(self.store, public_key=public_text(self.key), window=None)


@pytest.fixture
def log(store_url: str, tmp_path: Path) -> Iterator[Log]:
    key = load_or_create_key(tmp_path / "keys" / "audit.pem")
    anchor = Anchor(tmp_path / "worm" / "audit-anchor.jsonl")
    with Store.open(store_url) as store:
        for start in (0, 10, 20):  # three batches, each anchored when its writer stops
            append_now(store, key, events(10, start), anchor)
        yield Log(store, key, anchor)


def _edit(log: Log) -> None:
    with log.store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 15).values(purpose="marketing"))


def _delete(log: Log) -> None:
    with log.store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 12))


def _reorder(log: Log) -> None:
    with log.store.session() as s:
        a, b = s.get(AuditEvent, 4), s.get(AuditEvent, 5)
        assert a is not None and b is not None
        va, vb = ({c: getattr(x, c) for c in COLS} for x in (a, b))
        for c in COLS:
            setattr(a, c, vb[c])
            setattr(b, c, va[c])


def _truncate(log: Log) -> None:
    with log.store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id > 25))


def _truncate_and_drop_checkpoints(log: Log) -> None:
    with log.store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id > 15))
        s.execute(delete(AuditSignature).where(AuditSignature.last_event_id > 15))


def _rechain_and_drop_checkpoints(log: Log) -> None:
    with log.store.session() as s:
        rows = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        rows[4].purpose = "marketing"
        prev = rows[3].hash
        for r in rows[4:]:
            r.prev_hash = prev
            r.hash = prev = chain_hash(prev, row_dict(r))
        s.execute(delete(AuditSignature))


TAMPER: dict[str, tuple[Callable[[Log], None], int, bool]] = {
    # name: (tampering, first event named, does the store alone still catch it?)
    "edit": (_edit, 15, True),
    "delete": (_delete, 12, True),
    "reorder": (_reorder, 4, True),
    "truncate": (_truncate, 30, True),
    "truncate+drop-checkpoints": (_truncate_and_drop_checkpoints, 20, False),
    "rechain+drop-checkpoints": (_rechain_and_drop_checkpoints, 10, False),
}


def test_intact_log_verifies_with_the_public_key_and_the_anchor(log: Log) -> None:
    result = log.verify()
    assert result.ok, str(result)
    assert (result.events, result.anchored, result.unsigned_tail) == (30, 3, 0)
    assert result.last_anchored == 30


@pytest.mark.parametrize("how", list(TAMPER))
def test_tampering_is_detected(log: Log, how: str) -> None:
    tamper, first, store_alone_catches = TAMPER[how]
    tamper(log)
    result = log.verify()
    assert not result.ok, f"{how}: {result}"
    assert result.first_broken == first, f"{how}: {result}"
    # the two attacks by someone who rewrites the store's checkpoints too fool the store
    # alone; only the anchor catches them
    assert log.store_only().ok is not store_alone_catches, how


def test_a_log_with_no_anchored_checkpoint_is_refused(store_url: str, tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    anchor = tmp_path / "anchor.jsonl"
    anchor.touch()
    with Store.open(store_url) as store:
        append_now(store, key, events(5))  # signed in the store, never anchored
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
        result = verify_audit(store, public_keys=[public_text(key)], anchor=anchor, now=later)
        assert not result.ok and result.unsigned_tail == 5 and result.anchored == 0
        assert "5 events after the last anchored checkpoint (event 0)" in str(result.reason)
        # and without a checkpoint anywhere, the store alone refuses it too
        with store.session() as s:
            s.execute(delete(AuditSignature))
        result = verify_audit(store, now=later)
        assert not result.ok and result.unsigned_tail == 5


def test_unsigned_tail_is_reported_then_recovered_at_the_next_start(
    store_url: str, tmp_path: Path
) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    anchor = Anchor(tmp_path / "anchor.jsonl")
    pub = [public_text(key)]
    with Store.open(store_url) as store:
        append_now(store, key, events(10), anchor)
        append_now(store, key, events(7, 10))  # a server killed before it anchored these
        result = verify_audit(store, public_keys=pub, anchor=anchor.path)
        assert result.ok and result.unsigned_tail == 7 and result.last_anchored == 10
        assert "unsigned tail: 7 events" in str(result)
        tight = verify_audit(store, public_keys=pub, anchor=anchor.path, window=Window(events=5))
        assert not tight.ok and tight.first_broken == 11
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)
        stale = verify_audit(store, public_keys=pub, anchor=anchor.path, now=later)
        assert not stale.ok and "more than the window" in str(stale.reason)
        # the next server start anchors them, marked as recovered
        append_now(store, key, events(2, 17), anchor)
        result = verify_audit(store, public_keys=pub, anchor=anchor.path, now=later)
        assert result.ok and result.unsigned_tail == 0 and result.events == 19, str(result)
        assert "events 11-17 were anchored only when a server restarted" in str(result)


def test_a_forged_anchor_line_is_refused(log: Log, tmp_path: Path) -> None:
    mallory = load_or_create_key(tmp_path / "mallory.pem")
    Anchor(log.anchor.path).checkpoint(mallory, 30, "0" * 64)
    result = log.verify()
    assert not result.ok and "neither trusted nor introduced" in str(result.reason)
    with log.anchor.path.open("a") as f:
        f.write('{"format": "seamline-audit-anchor/1", "kind": "checkp')
    assert "not JSON" in " ".join(log.verify().problems)
