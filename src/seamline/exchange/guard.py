"""Attempt limits on secrets (API keys, UI passwords): back-off, lock-out, admin unlock.

Wrong secrets are counted per *subject*: ``key:<key id>`` (a key's id is public),
``account:<user name>`` (the UI; unknown names too, so the answer does not tell which
exist) and ``address:<client address>``. After ``free_attempts`` failures a subject
waits before its next attempt, twice as long after each further failure, up to
``max_backoff_seconds``; after ``lockout_after`` failures it is locked out for
``lockout_seconds`` (0: until an admin lifts it with ``seamline clients unlock`` or
``seamline ui unlock``). A refused attempt costs no scrypt work at all, which is what
keeps a flood of guesses from starving other clients.

Counters live in the server process (one worker serves the API: the audit chain has
one head). Lock-outs are also written to ``<data_dir>/security/lockouts.json``, so
they survive a restart, every process on the machine sees them and the CLI can lift
them; the server re-reads the file at most once a second while a lock-out is active,
and audits each lift it applies. The file is a small JSON document behind an
``fcntl`` lock: a table would need a store migration for a handful of rows.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seamline.secrethash import PoolBusy, SecretPool

SUBJECT_KINDS = ("key", "account", "address")


@dataclass(frozen=True)
class LimitConfig:
    free_attempts: int = 5
    """Wrong secrets a key id or an account may send before it has to wait."""
    address_free_attempts: int = 20
    """The same for one client address (many clients may share a gateway's address)."""
    backoff_seconds: float = 1.0
    """The first wait; it doubles with every further failure..."""
    max_backoff_seconds: float = 60.0
    """...up to this."""
    lockout_after: int = 20
    """Failures of a key id or an account that lock it out."""
    address_lockout_after: int = 200
    """Failures from one address that lock it out."""
    lockout_seconds: float = 3600.0
    """How long a lock-out lasts; 0: until an admin lifts it."""
    forget_seconds: float = 900.0
    """A subject without a failure for this long starts again from zero."""


class AttemptsRefused(Exception):
    """An attempt refused without checking the secret: back-off, lock-out or busy."""

    def __init__(self, retry_after: float, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = max(1, math.ceil(retry_after))
        self.reason = reason


@dataclass
class _Entry:
    failures: int = 0
    last: float = 0.0
    blocked_until: float = 0.0
    locked_since: str | None = None


def lockouts_path(data_dir: Path) -> Path:
    return data_dir / "security" / "lockouts.json"


def read_json(path: Path) -> dict[str, Any]:
    """A small JSON state file as a dict; a missing or damaged one reads as empty (it is
    rewritten whole at the next change, so damage never locks anyone out for good)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def locked_json(path: Path) -> Iterator[dict[str, Any]]:
    """Read-modify-write a small JSON state file under an exclusive ``fcntl`` lock,
    replaced by a rename (mode 0600), so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = read_json(path)
            yield data
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.chmod(tmp, 0o600)
            tmp.replace(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _locked_file(path: Path) -> Iterator[dict[str, Any]]:
    with locked_json(path) as data:
        _normal(data)
        yield data


def _read(path: Path) -> dict[str, Any]:
    return _normal(read_json(path))


def _normal(data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data.get("locked"), dict):
        data["locked"] = {}
    if not isinstance(data.get("lifted"), list):
        data["lifted"] = []
    return data


def list_lockouts(data_dir: Path) -> dict[str, dict[str, Any]]:
    """The lock-outs in force: subject -> {since, until (epoch seconds or None), failures}."""
    now = time.time()
    locked = _read(lockouts_path(data_dir))["locked"]
    return {
        s: v
        for s, v in locked.items()
        if isinstance(v, dict) and (v.get("until") is None or float(v["until"]) > now)
    }


def lift_lockout(data_dir: Path, subject: str, by: str) -> bool:
    """Lift a lock-out (and its back-off); False when ``subject`` is not locked out.

    A running server notices within a second and records the lift in its audit log;
    the file keeps the lift too (subject, time, who).
    """
    with _locked_file(lockouts_path(data_dir)) as data:
        if data["locked"].pop(subject, None) is None:
            return False
        at = datetime.now(UTC).isoformat(timespec="seconds")
        data["lifted"] = [*data["lifted"][-999:], {"subject": subject, "at": at, "by": by}]
        return True


class Limits:
    """Failure counters per subject, with back-off and lock-out (see the module text)."""

    def __init__(
        self,
        data_dir: Path,
        config: LimitConfig | None = None,
        on_lift: Callable[[str, str], None] | None = None,
    ) -> None:
        self.path = lockouts_path(data_dir)
        self.config = config or LimitConfig()
        self.on_lift = on_lift
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._file: dict[str, Any] = {"locked": {}, "lifted": []}
        self._file_mtime: float | None = None
        self._file_read_at = -math.inf
        self._reload(force=True)
        now, wall = time.monotonic(), time.time()
        for subject, info in self._file["locked"].items():
            until = info.get("until") if isinstance(info, dict) else None
            if until is None or float(until) > wall:
                rest = math.inf if until is None else float(until) - wall
                self._entries[subject] = _Entry(
                    int(info.get("failures", 0)), now, now + rest, str(info.get("since"))
                )

    def _limits(self, subject: str) -> tuple[int, int]:
        c = self.config
        if subject.startswith("address:"):
            return c.address_free_attempts, c.address_lockout_after
        return c.free_attempts, c.lockout_after

    def _reload(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._file_read_at < 1.0:
            return
        self._file_read_at = now
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            mtime = None
        if mtime != self._file_mtime or force:
            self._file_mtime = mtime
            self._file = _read(self.path)

    def _lifted_by(self, subject: str) -> str:
        for item in reversed(self._file["lifted"]):
            if isinstance(item, dict) and item.get("subject") == subject:
                return str(item.get("by", "?"))
        return "?"

    def check(self, subjects: list[str]) -> None:
        """Raise :class:`AttemptsRefused` when any subject must wait or is locked out."""
        now = time.monotonic()
        worst = 0.0
        reason = ""
        with self._lock:
            for subject in subjects:
                e = self._entries.get(subject)
                if e is not None and e.locked_since is not None:
                    self._reload()
                    info = self._file["locked"].get(subject)
                    if not isinstance(info, dict) or str(info.get("since")) != e.locked_since:
                        del self._entries[subject]  # an admin lifted it
                        if self.on_lift is not None:
                            self.on_lift(subject, self._lifted_by(subject))
                        continue
                elif e is None and self._file["locked"]:
                    self._reload()
                    info = self._file["locked"].get(subject)
                    if isinstance(info, dict):  # locked out by another process
                        until = info.get("until")
                        if until is None or float(until) > time.time():
                            wait = math.inf if until is None else float(until) - time.time()
                            e = self._entries[subject] = _Entry(
                                int(info.get("failures", 0)), now, now + wait, str(info["since"])
                            )
                if e is not None and e.locked_since is not None and e.blocked_until <= now:
                    del self._entries[subject]  # the lock-out has run out
                    continue
                if e is not None and e.blocked_until > now and e.blocked_until - now > worst:
                    worst = e.blocked_until - now
                    kind = "locked out" if e.locked_since else "waiting after failed attempts"
                    reason = f"{subject.split(':', 1)[0]} {kind}"
        if worst > 0:
            raise AttemptsRefused(min(worst, 86400.0), reason)

    def failure(self, subjects: list[str]) -> None:
        now, c = time.monotonic(), self.config
        newly_locked: list[tuple[str, _Entry]] = []
        with self._lock:
            for subject in subjects:
                e = self._entries.get(subject)
                if e is None or (e.locked_since is None and now - e.last > c.forget_seconds):
                    e = self._entries[subject] = _Entry()
                    if len(self._entries) > 100_000:  # addresses come from outside: bound them
                        self._forget_quiet(now)
                e.failures += 1
                e.last = now
                free, lock_after = self._limits(subject)
                if e.failures >= lock_after and e.locked_since is None:
                    e.locked_since = datetime.now(UTC).isoformat(timespec="microseconds")
                    e.blocked_until = now + (c.lockout_seconds or math.inf)
                    newly_locked.append((subject, e))
                elif e.failures >= free and e.locked_since is None:
                    wait = c.backoff_seconds * 2 ** min(e.failures - free, 30)
                    e.blocked_until = now + min(wait, c.max_backoff_seconds)
        for subject, e in newly_locked:
            self._persist(subject, e)

    def success(self, subjects: list[str]) -> None:
        with self._lock:
            for subject in subjects:
                e = self._entries.get(subject)
                if e is not None and e.locked_since is None:
                    del self._entries[subject]

    def _forget_quiet(self, now: float) -> None:
        quiet = [
            s
            for s, e in self._entries.items()
            if e.locked_since is None and now - e.last > min(60.0, self.config.forget_seconds)
        ]
        for s in quiet:
            del self._entries[s]

    def _persist(self, subject: str, e: _Entry) -> None:
        c = self.config
        until = time.time() + c.lockout_seconds if c.lockout_seconds else None
        with _locked_file(self.path) as data:
            data["locked"][subject] = {
                "since": e.locked_since,
                "until": until,
                "failures": e.failures,
            }
        with self._lock:
            self._reload(force=True)


@dataclass
class Guard:
    """The one way a secret is checked by the server: limits first, then scrypt off the loop."""

    limits: Limits
    pool: SecretPool = field(default_factory=SecretPool)

    async def verify(self, subjects: list[str], secret: str, stored: str) -> bool:
        """Whether ``secret`` matches ``stored``; :class:`AttemptsRefused` when a subject
        must wait, is locked out, or too many checks are already waiting."""
        self.limits.check(subjects)
        try:
            ok = await self.pool.check(secret, stored)
        except PoolBusy:
            raise AttemptsRefused(1.0, "too many sign-in attempts are being checked") from None
        if ok:
            self.limits.success(subjects)
        else:
            self.limits.failure(subjects)
        return ok

    def refused(self, subjects: list[str]) -> None:
        """A failure found without scrypt (an unknown key id): checked, then counted."""
        self.limits.check(subjects)
        self.limits.failure(subjects)
