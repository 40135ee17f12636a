"""Checking the audit chain and its signed checkpoints; signed export bundles.

``verify_audit`` walks the events in id order and names the first one that breaks
the chain (altered, deleted, reordered), then checks every checkpoint's signature and
that the event it pins still has the signed hash (a truncated tail loses it).
``export_audit`` writes a JSON bundle (events, the hash before the first one, the
checkpoints in range, all signed) that :func:`verify_bundle` checks without the store.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from seamline.exchange.auditformat import _utc, chain_hash, checkpoint_message, row_dict
from seamline.exchange.keys import public_text, sign, verify_signature
from seamline.store import Store
from seamline.store.models import AuditEvent, AuditSignature

BUNDLE_FORMAT = "seamline-audit-bundle/1"


@dataclass
class VerifyResult:
    ok: bool
    events: int = 0
    checkpoints: int = 0
    first_broken: int | None = None
    """Id of the first event that fails (or the event a failing checkpoint pins)."""
    reason: str | None = None
    last_hash: str | None = None
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain ok: {self.events} events, {self.checkpoints} signed checkpoints"
        return f"audit chain BROKEN at event {self.first_broken}: {self.reason}"


class _Walker:
    """Checks events one after the other; remembers the first break."""

    def __init__(self, prev_hash: str | None, expect_id: int | None) -> None:
        self.prev_hash = prev_hash
        self.expect_id = expect_id
        self.result = VerifyResult(ok=True)
        self.hashes: dict[int, str] = {}

    def fail(self, event_id: int | None, reason: str) -> None:
        self.result.problems.append(f"event {event_id}: {reason}")
        if self.result.ok:
            self.result.ok, self.result.first_broken, self.result.reason = False, event_id, reason

    def step(self, ev: dict[str, Any]) -> None:
        self.result.events += 1
        eid = int(ev["id"])
        if self.expect_id is not None and eid != self.expect_id:
            what = "missing" if eid > self.expect_id else "out of order"
            self.fail(
                self.expect_id if eid > self.expect_id else eid,
                f"event {self.expect_id} is {what} (next stored id is {eid})",
            )
        if ev["prev_hash"] != self.prev_hash:
            self.fail(eid, "its prev_hash does not match the previous event's hash "
                      "(an event before it was deleted, inserted or reordered)")  # fmt: skip
        if chain_hash(ev["prev_hash"], ev) != ev["hash"]:
            self.fail(eid, "its content does not match its hash (the event was altered)")
        self.prev_hash = ev["hash"]
        self.expect_id = eid + 1
        self.hashes[eid] = ev["hash"]
        self.result.last_hash = ev["hash"]

    def checkpoint(self, cp: dict[str, Any], trusted: str | None, lo: int, hi: int) -> None:
        self.result.checkpoints += 1
        last = int(cp["last_event_id"])
        if trusted is not None and cp["public_key"] != trusted:
            self.fail(last, "checkpoint signed by an unknown key")
        msg = checkpoint_message(last, cp["chain_hash"])
        if not verify_signature(cp["public_key"], cp["signature"], msg):
            self.fail(last, "checkpoint signature is invalid")
        if last > hi:
            self.fail(last, f"a signed checkpoint covers event {last} but the log ends at "
                      f"{hi} (events were truncated)")  # fmt: skip
        elif last >= lo and self.hashes.get(last) != cp["chain_hash"]:
            self.fail(last, "the event a signed checkpoint pins has a different hash")


def verify_audit(store: Store, *, public_key: str | None = None) -> VerifyResult:
    """Verify the whole chain and every checkpoint; ``public_key`` (base64) pins the signer."""
    walker = _Walker(None, 1)
    with store.session() as s:
        for row in s.scalars(
            select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
        ):
            walker.step(row_dict(row))
        cps = [
            {"last_event_id": c.last_event_id, "chain_hash": c.chain_hash,
             "signature": c.signature, "public_key": c.public_key}
            for c in s.scalars(select(AuditSignature).order_by(AuditSignature.id))
        ]  # fmt: skip
    hi = walker.expect_id - 1 if walker.expect_id else 0
    for cp in cps:
        walker.checkpoint(cp, public_key, 1, hi)
    return walker.result


def _jsonable(ev: dict[str, Any]) -> dict[str, Any]:
    return {**ev, "at": _utc(ev["at"]).isoformat(timespec="microseconds")}


def _body_digest(body: dict[str, Any]) -> bytes:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


def export_audit(
    store: Store,
    start: datetime | None,
    end: datetime | None,
    path: Path,
    key: Ed25519PrivateKey,
) -> int:
    """Write the events with ``start <= at < end`` to a signed bundle; return their number."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    with store.session() as s:
        events = [_jsonable(row_dict(r)) for r in s.scalars(query)]
        lo = events[0]["id"] if events else 0
        hi = events[-1]["id"] if events else 0
        cps = [
            {"last_event_id": c.last_event_id, "chain_hash": c.chain_hash,
             "signature": c.signature, "public_key": c.public_key}
            for c in s.scalars(
                select(AuditSignature)
                .where(AuditSignature.last_event_id >= lo, AuditSignature.last_event_id <= hi)
                .order_by(AuditSignature.id)
            )
        ]  # fmt: skip
    body: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "exported_at": datetime.now(UTC).isoformat(),
        "anchor_hash": events[0]["prev_hash"] if events else None,
        "events": events,
        "checkpoints": cps,
        "public_key": public_text(key),
    }
    bundle = {"body": body, "signature": sign(key, _body_digest(body))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(events)


def verify_bundle(path: Path, *, public_key: str | None = None) -> VerifyResult:
    """Verify an exported bundle offline: its signature, the chain inside, its checkpoints."""
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        body = bundle["body"]
        events = body["events"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return VerifyResult(ok=False, reason=f"unreadable bundle: {type(exc).__name__}")
    signer = body.get("public_key", "")
    if public_key is not None and signer != public_key:
        return VerifyResult(ok=False, reason="the bundle is signed by an unknown key")
    if not verify_signature(signer, bundle.get("signature", ""), _body_digest(body)):
        return VerifyResult(ok=False, reason="the bundle's signature is invalid")
    first_id = int(events[0]["id"]) if events else None
    walker = _Walker(body.get("anchor_hash"), first_id)
    for ev in events:
        walker.step({**ev, "at": datetime.fromisoformat(ev["at"])})
    hi = walker.expect_id - 1 if walker.expect_id else 0
    for cp in body.get("checkpoints", []):
        walker.checkpoint(cp, public_key or signer, first_id or 0, hi)
    return walker.result
