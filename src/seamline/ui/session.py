"""Signed session cookies and CSRF tokens.

itsdangerous would do the signing, but it is not a dependency of seamline and the need
is small: HMAC-SHA256 over a base64 JSON payload with an expiry. The key lives in
``<data_dir>/ui/secret.key`` (created on first use, mode 0600), so sessions survive a
restart and deleting the file signs everyone out.

A valid signature is not enough: every session is also recorded server-side in
``<data_dir>/ui/sessions.json`` (:class:`SessionStore`, the SHA-256 of its random id,
never the id). Signing out removes it, and changing a user's password or role
(``seamline ui add-user``) or removing the user removes all of theirs, so an old
cookie stops working at once, in every server process (the file is re-read when it
changes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seamline.exchange.guard import locked_json, read_json

SESSION_COOKIE = "seamline_ui"
LOGIN_COOKIE = "seamline_ui_login"
SESSION_SECONDS = 8 * 3600


def load_secret(path: Path) -> bytes:
    if path.exists():
        raw = path.read_bytes().strip()
        if len(raw) >= 32:
            return raw
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
    return raw


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Signer:
    secret: bytes

    def _mac(self, purpose: str, body: str) -> str:
        msg = f"{purpose}:{body}".encode("ascii")
        return _b64(hmac.new(self.secret, msg, hashlib.sha256).digest())

    def dumps(self, purpose: str, payload: dict[str, Any], seconds: int) -> str:
        data = {**payload, "exp": int(time.time()) + seconds}
        body = _b64(json.dumps(data, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._mac(purpose, body)}"

    def loads(self, purpose: str, token: str | None) -> dict[str, Any] | None:
        """The payload, or None when the token is missing, forged or expired."""
        if not token or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        try:
            if not hmac.compare_digest(mac, self._mac(purpose, body)):
                return None
            data = json.loads(_unb64(body))
        except (ValueError, UnicodeError):
            return None
        if not isinstance(data, dict) or int(data.get("exp", 0)) < time.time():
            return None
        return data


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    sid: str = ""


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


class SessionStore:
    """The sessions in force, server-side: ``{sha256(sid): {"u": user, "exp": epoch}}``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: int | None = None
        self._data: dict[str, Any] = {}

    def _sessions(self) -> dict[str, Any]:
        try:
            mtime: int | None = self.path.stat().st_mtime_ns
        except OSError:
            mtime = None
        with self._lock:
            if mtime != self._mtime:
                self._mtime, self._data = mtime, read_json(self.path)
            found = self._data.get("sessions")
            return found if isinstance(found, dict) else {}

    def create(self, user: str, seconds: int = SESSION_SECONDS) -> str:
        """Record a new session of ``user``; return its id (for the signed cookie only)."""
        sid = secrets.token_urlsafe(24)
        now = time.time()
        with locked_json(self.path) as data:
            live = {
                k: v
                for k, v in (data.get("sessions") or {}).items()
                if isinstance(v, dict) and float(v.get("exp", 0)) > now
            }
            live[_digest(sid)] = {"u": user, "exp": int(now) + seconds}
            data["sessions"] = live
        return sid

    def valid(self, sid: str, user: str) -> bool:
        entry = self._sessions().get(_digest(sid)) if sid else None
        return (
            isinstance(entry, dict)
            and entry.get("u") == user
            and float(entry.get("exp", 0)) > time.time()
        )

    def end(self, sid: str) -> None:
        with locked_json(self.path) as data:
            (data.get("sessions") or {}).pop(_digest(sid), None)

    def end_user(self, user: str) -> int:
        """End every session of ``user`` (password or role changed, account removed)."""
        with locked_json(self.path) as data:
            sessions = data.get("sessions") or {}
            mine = [k for k, v in sessions.items() if isinstance(v, dict) and v.get("u") == user]
            for k in mine:
                del sessions[k]
            data["sessions"] = sessions
        return len(mine)


def new_session(signer: Signer, user: str, store: SessionStore) -> tuple[Session, str]:
    session = Session(user, secrets.token_urlsafe(24), store.create(user))
    payload = {"u": user, "c": session.csrf, "s": session.sid}
    return session, signer.dumps("session", payload, SESSION_SECONDS)


def read_session(signer: Signer, token: str | None, store: SessionStore) -> Session | None:
    """The session of a cookie: signed, unexpired *and* still recorded server-side."""
    data = signer.loads("session", token)
    if data is None or not all(isinstance(data.get(k), str) for k in ("u", "c", "s")):
        return None
    if not store.valid(data["s"], data["u"]):
        return None
    return Session(data["u"], data["c"], data["s"])


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))
