"""Checking the audit chain and its signed checkpoints; signed export bundles.

``verify_audit`` walks the events in id order and names the first one that breaks
the chain (altered, deleted, reordered), then checks every checkpoint's signature and
that the event it pins still has the signed hash (a truncated tail loses it). Given
the anchor (``anchor.py``) it holds the chain to the checkpoints there too, which
someone who can rewrite the store cannot rewrite, and refuses a log whose events
outrun the last anchored checkpoint by more than the window. Only public keys are
needed.
``export_audit`` writes a JSON bundle (events, the hash before the first one, the
checkpoints in range, all signed) that :func:`verify_bundle` checks without the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from seamline.exchange.anchor import AnchorCheck, check_anchor, read_anchor
from seamline.exchange.auditformat import _utc, chain_hash, checkpoint_message
from seamline.exchange.keys import key_id, public_text, sign, verify_signature
from seamline.store import Store
from seamline.store.auditlog import (
    checkpoints_between,
    checkpoints_pinning,
    events_between,
    events_in_period,
)

BUNDLE_FORMAT = "seamline-audit-bundle/1"


@dataclass(frozen=True)
class Window:
    """How far the events may run past the last anchored checkpoint."""

    events: int = 2000
    seconds: float = 60.0


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
    anchored: int | None = None
    """Anchored checkpoints that verified (None: no anchor was given)."""
    last_anchored: int = 0
    """The highest event id an anchored (or, without an anchor, a stored) checkpoint pins."""
    unsigned_tail: int = 0
    """Events after ``last_anchored``."""
    tail_since: datetime | None = None
    """When the oldest of those was written."""
    keys: list[str] = field(default_factory=list)
    """Ids of the keys that signed what verified."""
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = []
        if self.ok:
            lines.append(
                f"audit chain ok: {self.events} events, {self.checkpoints} signed checkpoints"
                + (f", {self.anchored} anchored" if self.anchored is not None else "")
            )
        else:
            lines.append(f"audit chain BROKEN at event {self.first_broken}: {self.reason}")
            lines += [f"  {p}" for p in self.problems[1:6]]
            if len(self.problems) > 6:
                lines.append(f"  ... and {len(self.problems) - 6} more problems")
        if self.keys:
            lines.append(f"signing keys: {', '.join(self.keys)}")
        if self.unsigned_tail:
            since = self.tail_since.isoformat(timespec="seconds") if self.tail_since else "?"
            lines.append(
                f"unsigned tail: {self.unsigned_tail} events after the last "
                f"{'anchored ' if self.anchored is not None else ''}checkpoint "
                f"(event {self.last_anchored}), the oldest written {since}"
            )
        lines += self.notes
        return "\n".join(lines)


class Walker:
    """Checks events one after the other; remembers the first break."""

    def __init__(
        self, prev_hash: str | None, expect_id: int | None, keep: Collection[int] | None = None
    ) -> None:
        self.prev_hash = prev_hash
        self.expect_id = expect_id
        self.result = VerifyResult(ok=True)
        self.hashes: dict[int, str] = {}
        self.keep = keep
        """Ids whose hashes to remember (None: all)."""
        self.times: dict[int, datetime] = {}
        self.time_of: int | None = None

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
        if self.keep is None or eid in self.keep:
            self.hashes[eid] = ev["hash"]
        if eid == self.time_of:
            self.times[eid] = _utc(ev["at"])
        self.result.last_hash = ev["hash"]

    def checkpoint(
        self, cp: dict[str, Any], trusted: str | Collection[str] | None, lo: int, hi: int
    ) -> None:
        self.result.checkpoints += 1
        last = int(cp["last_event_id"])
        keys = {trusted} if isinstance(trusted, str) else trusted
        if keys is not None and cp["public_key"] not in keys:
            self.fail(last, "checkpoint signed by an unknown key")
        msg = checkpoint_message(last, cp["chain_hash"])
        if not verify_signature(cp["public_key"], cp["signature"], msg):
            self.fail(last, "checkpoint signature is invalid")
        if last > hi:
            self.fail(last, f"a signed checkpoint covers event {last} but the log ends at "
                      f"{hi} (events were truncated)")  # fmt: skip
        elif last >= lo and self.hashes.get(last) != cp["chain_hash"]:
            self.fail(last, "the event a signed checkpoint pins has a different hash")


def _anchored(walker: Walker, check: AnchorCheck, lo: int, hi: int) -> None:
    """Hold the walked chain to the anchored checkpoints; a pin beyond ``hi`` is a cut."""
    r = walker.result
    r.anchored = len(check.checkpoints)
    for problem in check.problems:
        walker.fail(None, problem)
    for cp in check.checkpoints:
        last, line = int(cp["last_event_id"]), cp["line"]
        if last > hi:
            walker.fail(last, f"the anchor (line {line}) pins event {last} but the log ends "
                        f"at {hi}: events were deleted from the end")  # fmt: skip
        elif last >= lo and walker.hashes.get(last) != cp["chain_hash"]:
            walker.fail(last, f"event {last} is not the one the anchor (line {line}) pins: "
                        "the log was altered and its hashes recomputed")  # fmt: skip
        r.last_anchored = max(r.last_anchored, last)
    if check.stamped or check.unstamped:
        r.notes.append(
            f"RFC 3161 time-stamps: {check.stamped} valid, {check.unstamped} checkpoints "
            "without one (the TSA was unreachable when they were anchored)"
        )
    for first, last in check.recovered:
        r.notes.append(
            f"note: events {first}-{last} were anchored only when a server restarted "
            "(it had stopped before signing them); they were writable in the store until then"
        )


def _tail(walker: Walker, hi: int, window: Window | None, now: datetime | None) -> None:
    r = walker.result
    r.unsigned_tail = max(0, hi - r.last_anchored)
    r.tail_since = walker.times.get(r.last_anchored + 1)
    if window is None or not r.unsigned_tail:
        return
    age = (now or datetime.now(UTC)) - (r.tail_since or datetime.now(UTC))
    what = "anchored " if r.anchored is not None else ""
    if r.unsigned_tail > window.events or age > timedelta(seconds=window.seconds):
        walker.fail(
            r.last_anchored + 1,
            f"{r.unsigned_tail} events after the last {what}checkpoint (event "
            f"{r.last_anchored}), the oldest {int(age.total_seconds())} s old: more than "
            f"the window ({window.events} events or {window.seconds:g} s). They may have "
            "been added, or a server stopped without signing them (a crash); the next "
            "server start anchors them and verify then notes them",
        )


def verify_audit(
    store: Store,
    *,
    public_key: str | None = None,
    public_keys: Sequence[str] = (),
    anchor: Path | None = None,
    window: Window | None = Window(),
    now: datetime | None = None,
    tsa_roots: Sequence[Any] = (),
) -> VerifyResult:
    """Verify the chain, every stored checkpoint and, given ``anchor``, the anchored ones.

    ``public_key``/``public_keys`` (base64) are the trusted signers; with an anchor, keys
    its rotations introduce from them are trusted too. Without any, stored checkpoints
    are checked against the key they name (which proves nothing against a forger).
    """
    trusted = [*public_keys, *([public_key] if public_key else [])]
    check: AnchorCheck | None = None
    if anchor is not None:
        entries, unreadable = read_anchor(anchor)
        check = check_anchor(entries, trusted, tsa_roots)
        check.problems[:0] = unreadable
        trusted = list(check.keys.values())
    # The checkpoints first: a checkpoint is written after the events it pins.
    cps = checkpoints_between(store)
    pins = {int(c["last_event_id"]) for c in cps}
    if check is not None:
        pins |= {int(c["last_event_id"]) for c in check.checkpoints}
        last = max((int(c["last_event_id"]) for c in check.checkpoints), default=0)
    else:
        last = max(pins, default=0)
    walker = Walker(None, 1, keep=pins)
    walker.time_of = last + 1
    for event in events_between(store):
        walker.step(event)
    hi = walker.expect_id - 1 if walker.expect_id else 0
    for cp in cps:
        walker.checkpoint(cp, trusted or None, 1, hi)
    if check is not None:
        _anchored(walker, check, 1, hi)
        walker.result.keys = sorted({str(c["key_id"]) for c in check.checkpoints})
    else:
        walker.result.last_anchored = max((p for p in pins if p <= hi), default=0)
        walker.result.keys = sorted({key_id(c["public_key"]) for c in cps})
    _tail(walker, hi, window, now)
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
    *,
    anchor: Path | None = None,
) -> int:
    """Write the events with ``start <= at < end`` to a signed bundle; return their number.

    With ``anchor`` the bundle also holds the anchor's key rotations and the anchored
    checkpoints that pin events in it, which :func:`verify_bundle` holds the events to.
    """
    events = [_jsonable(e) for e in events_in_period(store, start, end)]
    lo = events[0]["id"] if events else 0
    hi = events[-1]["id"] if events else 0
    cps = checkpoints_pinning(store, lo, hi)
    anchored: list[dict[str, Any]] = []
    if anchor is not None:
        entries, _ = read_anchor(anchor)
        for e in entries:
            pin = e.get("last_event_id")
            if e.get("kind") == "rotation" or (isinstance(pin, int) and lo <= pin <= hi):
                anchored.append({k: v for k, v in e.items() if k != "line"})
    body: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "exported_at": datetime.now(UTC).isoformat(),
        "anchor_hash": events[0]["prev_hash"] if events else None,
        "events": events,
        "checkpoints": cps,
        "anchor": anchored,
        "public_key": public_text(key),
    }
    bundle = {"body": body, "signature": sign(key, _body_digest(body))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(events)


def verify_bundle(
    path: Path,
    *,
    public_key: str | None = None,
    public_keys: Sequence[str] = (),
    tsa_roots: Sequence[Any] = (),
) -> VerifyResult:
    """Verify an exported bundle offline: signature, chain, checkpoints, anchor lines.

    ``public_key``/``public_keys`` are the trusted keys; without any, the bundle vouches
    for itself (its own key), which shows only that nothing changed since export.
    """
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        body = bundle["body"]
        events = body["events"]
        signer = str(body.get("public_key", ""))
        lines = [{**e, "line": n} for n, e in enumerate(body.get("anchor") or [], start=1)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return VerifyResult(ok=False, reason=f"unreadable bundle: {type(exc).__name__}")
    trusted = [*public_keys, *([public_key] if public_key else [])] or [signer]
    check = check_anchor(lines, trusted, tsa_roots)
    keys = set(check.keys.values())
    if signer not in keys:
        return VerifyResult(ok=False, reason="the bundle is signed by an unknown key")
    if not verify_signature(signer, bundle.get("signature", ""), _body_digest(body)):
        return VerifyResult(ok=False, reason="the bundle's signature is invalid")
    first_id = int(events[0]["id"]) if events else None
    walker = Walker(body.get("anchor_hash"), first_id)
    for ev in events:
        walker.step({**ev, "at": datetime.fromisoformat(ev["at"])})
    hi = walker.expect_id - 1 if walker.expect_id else 0
    for cp in body.get("checkpoints", []):
        walker.checkpoint(cp, keys, first_id or 0, hi)
    if lines:
        _anchored(walker, check, first_id or 0, hi)
        base = (first_id or 1) - 1
        walker.result.last_anchored = max(walker.result.last_anchored, base)
        walker.result.keys = sorted({str(c["key_id"]) for c in check.checkpoints})
        walker.time_of = walker.result.last_anchored + 1
        walker.times = {
            int(e["id"]): datetime.fromisoformat(e["at"])
            for e in events
            if int(e["id"]) == walker.time_of
        }
        _tail(walker, hi, None, None)
    return walker.result
