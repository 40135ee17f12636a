"""The audit anchor: signed checkpoints kept outside the store.

Anyone with write access to the store can rewrite the events *and* the checkpoints
beside them, so checkpoints in the store alone are tamper-evident only against someone
who cannot. Every checkpoint is therefore also appended to the anchor, a JSON-lines
file on another path, meant for write-once storage (a WORM volume, an object-locked
bucket mounted append-only, a log host's ``chattr +a`` file). It is opened in append
mode and fsynced per line. Each line is one of:

``checkpoint``
    ``last_event_id``, ``events`` (how many events the chain holds), ``chain_hash`` (the
    head's hash), ``at`` (UTC), ``key_id`` and an Ed25519 ``signature`` over the line's
    canonical JSON without its signature and timestamp; optionally ``timestamp``, an
    RFC 3161 time-stamp token over the SHA-256 of that same text (see ``tsa.py``), and
    ``recovered_from`` when the server found events the anchor did not cover at start
    (after a crash) and anchored them then.
``rotation``
    a key change: both public keys and their ids, signed by both keys, so that trusting
    either key extends trust to the other.

Verifying needs the anchor and one trusted public key; never the private key.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from seamline.errors import SeamlineError
from seamline.exchange.keys import key_id, public_text, sign, verify_signature

log = logging.getLogger("seamline.exchange.audit")
ANCHOR_FORMAT = "seamline-audit-anchor/1"
ANCHOR_FILE = "audit-anchor.jsonl"
ANCHOR_ENV = "SEAMLINE_AUDIT_ANCHOR"
TSA_ENV = "SEAMLINE_AUDIT_TSA_URL"
_UNSIGNED = ("signature", "signatures", "timestamp", "line")


class AnchorError(SeamlineError):
    """The anchor cannot be read or written."""


class Stamper(Protocol):
    def stamp(self, data: bytes) -> str: ...


def default_anchor_path(data_dir: Path) -> Path:
    """``$SEAMLINE_AUDIT_ANCHOR``, else ``<data_dir>/anchor/audit-anchor.jsonl``."""
    env = os.environ.get(ANCHOR_ENV)
    return Path(env) if env else data_dir / "anchor" / ANCHOR_FILE


def audit_anchor(data_dir: Path, path: Path | None, tsa_url: str | None) -> Anchor:
    """The anchor a server writes to: ``path`` (or the default), stamped by ``tsa_url``."""
    url = tsa_url or os.environ.get(TSA_ENV) or None
    stamper: Stamper | None = None
    if url:
        from seamline.exchange.tsa import TimestampAuthority

        stamper = TimestampAuthority(url)
    return Anchor(path or default_anchor_path(data_dir), stamper)


def signed_text(entry: dict[str, Any]) -> bytes:
    body = {k: v for k, v in entry.items() if k not in _UNSIGNED}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class Anchor:
    """Appends signed checkpoints (and key rotations) to the anchor file."""

    path: Path
    stamper: Stamper | None = None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Held while a key is read and used, or replaced (``<anchor>.lock``, flock)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def touch(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="ascii"):
            pass

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True, ensure_ascii=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Append mode: every write goes to the end, whatever the file position.
        with self.path.open("a", encoding="ascii") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def checkpoint(
        self,
        key: Ed25519PrivateKey,
        last_event_id: int,
        chain: str,
        *,
        recovered_from: int | None = None,
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "format": ANCHOR_FORMAT,
            "kind": "checkpoint",
            "last_event_id": last_event_id,
            "events": last_event_id,
            "chain_hash": chain,
            "at": _now(),
            "key_id": key_id(public_text(key)),
        }
        if recovered_from is not None:
            entry["recovered_from"] = recovered_from
        text = signed_text(entry)
        entry["signature"] = sign(key, text)
        if self.stamper is not None:
            # An unreachable TSA must not stop anchoring: the line goes without a stamp
            # (verify counts such lines) and the failure is logged.
            try:
                entry["timestamp"] = self.stamper.stamp(text)
            except Exception as exc:
                log.error("audit checkpoint not time-stamped: %s", exc)
        self._append(entry)
        return entry

    def rotation(self, old: Ed25519PrivateKey, new: Ed25519PrivateKey) -> dict[str, Any]:
        old_pub, new_pub = public_text(old), public_text(new)
        entry: dict[str, Any] = {
            "format": ANCHOR_FORMAT,
            "kind": "rotation",
            "old_key_id": key_id(old_pub),
            "old_public_key": old_pub,
            "new_key_id": key_id(new_pub),
            "new_public_key": new_pub,
            "at": _now(),
        }
        text = signed_text(entry)
        entry["signatures"] = {"old": sign(old, text), "new": sign(new, text)}
        self._append(entry)
        return entry


def read_anchor(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The anchor's entries (each with its ``line`` number) and the lines that are not."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        fh = path.open(encoding="ascii", errors="replace")
    except OSError as exc:
        raise AnchorError(
            f"cannot read the audit anchor: {type(exc).__name__}",
            where=str(path),
            hint="pass the anchor file the server appends to (--anchor), or restore it "
            "from its write-once copy",
        ) from None
    with fh:
        for n, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                entry = json.loads(text)
            except ValueError:
                problems.append(f"anchor line {n}: not JSON (cut short or altered)")
                continue
            if not isinstance(entry, dict) or entry.get("format") != ANCHOR_FORMAT:
                problems.append(f"anchor line {n}: not a {ANCHOR_FORMAT} entry")
                continue
            entry["line"] = n
            entries.append(entry)
    return entries, problems


def last_anchored(path: Path) -> int:
    """The highest event id a checkpoint in the anchor pins (0 if none); reads the tail."""
    if not path.exists():
        return 0
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 65536))
        tail = f.read().decode("ascii", "replace").splitlines()
    for text in reversed(tail):
        try:
            entry = json.loads(text)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("kind") == "checkpoint":
            return int(entry.get("last_event_id", 0))
    return 0


@dataclass
class AnchorCheck:
    """What the anchor vouches for, given the trusted keys."""

    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    """Checkpoint entries whose signature a trusted key made, in file order."""
    keys: dict[str, str] = field(default_factory=dict)
    """key id -> public key: trusted, or introduced by a rotation a trusted key signed."""
    problems: list[str] = field(default_factory=list)
    recovered: list[tuple[int, int]] = field(default_factory=list)
    """(first, last) event ids anchored only when a server restarted."""
    stamped: int = 0
    unstamped: int = 0
    """Checkpoints with a valid RFC 3161 time-stamp, and without one (TSA unreachable)."""


def _bad_stamp(e: dict[str, Any], roots: Sequence[Any], out: AnchorCheck) -> bool:
    from seamline.exchange.tsa import check_stamp

    token = e.get("timestamp")
    if not isinstance(token, str):
        out.unstamped += 1
        return False
    try:
        at = datetime.fromisoformat(str(e.get("at")))
    except ValueError:
        at = datetime.min.replace(tzinfo=UTC)
    why = check_stamp(token, signed_text(e), at, list(roots))
    if why is not None:
        out.problems.append(f"anchor line {e['line']}: {why}")
        return True
    out.stamped += 1
    return False


def _valid_rotation(e: dict[str, Any]) -> bool:
    sigs = e.get("signatures")
    if not isinstance(sigs, dict):
        return False
    old, new = str(e.get("old_public_key", "")), str(e.get("new_public_key", ""))
    text = signed_text(e)
    return (
        key_id(old) == e.get("old_key_id")
        and key_id(new) == e.get("new_key_id")
        and verify_signature(old, str(sigs.get("old", "")), text)
        and verify_signature(new, str(sigs.get("new", "")), text)
    )


def check_anchor(
    entries: Iterable[dict[str, Any]], trusted: Sequence[str], tsa_roots: Sequence[Any] = ()
) -> AnchorCheck:
    """Verify every line's signature against ``trusted`` keys and the rotations between.

    With ``tsa_roots`` (X.509 certificates) each checkpoint's RFC 3161 time-stamp is
    checked too; a checkpoint without one is counted in ``unstamped``.
    """
    out = AnchorCheck(keys={key_id(k): k for k in trusted})
    entries = list(entries)
    rotations = []
    for e in entries:
        if e.get("kind") != "rotation":
            continue
        if _valid_rotation(e):
            rotations.append(e)
        else:
            out.problems.append(f"anchor line {e['line']}: a key rotation with a bad signature")
    grew = True
    while grew:  # trust flows both ways along a rotation signed by both keys
        grew = False
        for r in rotations:
            old, new = r["old_key_id"], r["new_key_id"]
            if (old in out.keys) != (new in out.keys):
                out.keys[old], out.keys[new] = r["old_public_key"], r["new_public_key"]
                grew = True
    retired = {r["old_key_id"]: r["line"] for r in rotations if r["old_key_id"] in out.keys}
    previous = 0
    for e in entries:
        if e.get("kind") != "checkpoint":
            continue
        n, kid = e["line"], str(e.get("key_id"))
        try:
            last = int(e["last_event_id"])
        except (KeyError, TypeError, ValueError):
            out.problems.append(f"anchor line {n}: a checkpoint without an event id")
            continue
        if kid not in out.keys:
            out.problems.append(
                f"anchor line {n}: checkpoint signed by key {kid}, which is neither trusted "
                "nor introduced by a rotation from a trusted key"
            )
        elif not verify_signature(out.keys[kid], str(e.get("signature", "")), signed_text(e)):
            out.problems.append(f"anchor line {n}: the checkpoint's signature is invalid")
        elif kid in retired and n > retired[kid]:
            out.problems.append(
                f"anchor line {n}: checkpoint signed by key {kid} after it was retired "
                f"(rotation at line {retired[kid]})"
            )
        elif last < previous:
            out.problems.append(
                f"anchor line {n}: pins event {last}, before an earlier line's {previous}"
            )
        elif tsa_roots and _bad_stamp(e, tsa_roots, out):
            pass
        else:
            out.checkpoints.append(e)
            rec = e.get("recovered_from")
            if isinstance(rec, int) and rec < last:
                out.recovered.append((rec + 1, last))
            previous = last
    return out


def rotate_key(key_path: Path, anchor: Anchor) -> tuple[str, str]:
    """Replace the signing key; the anchor records the change, signed by both keys.

    Under the anchor's lock the new key is installed, then the rotation line appended;
    a running server takes the same lock to sign, so it picks the new key up at its next
    checkpoint and never signs with the old key after the line (which verify refuses).
    Returns the old and the new key's ids.
    """
    from seamline.exchange.keys import install_key, load_signing_key

    old = load_signing_key(key_path, may_create=False)
    new = Ed25519PrivateKey.generate()
    if not anchor.path.exists():
        raise AnchorError(
            "there is no audit anchor to record the rotation in",
            where=str(anchor.path),
            hint="pass the anchor the server writes to with --anchor",
        )
    with anchor.lock():  # a server's checkpoint is signed before both steps or after both
        install_key(key_path, old, new)
        try:
            entry = anchor.rotation(old, new)
        except OSError as exc:
            install_key(key_path, new, old)  # back to the old key: nothing changed
            error = exc
        else:
            return str(entry["old_key_id"]), str(entry["new_key_id"])
    raise AnchorError(
        f"the anchor could not record the rotation: {type(error).__name__}",
        where=str(anchor.path),
        hint="the old key is back in place; make the anchor writable and try again",
    )
