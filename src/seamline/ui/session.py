"""Signed session cookies and CSRF tokens.

itsdangerous would do the signing, but it is not a dependency of seamline and the need
is small: HMAC-SHA256 over a base64 JSON payload with an expiry. The key lives in
``<data_dir>/ui/secret.key`` (created on first use, mode 0600), so sessions survive a
restart and deleting the file signs everyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def new_session(signer: Signer, user: str) -> tuple[Session, str]:
    session = Session(user, secrets.token_urlsafe(24))
    return session, signer.dumps("session", {"u": user, "c": session.csrf}, SESSION_SECONDS)


def read_session(signer: Signer, token: str | None) -> Session | None:
    data = signer.loads("session", token)
    if data is None or not isinstance(data.get("u"), str) or not isinstance(data.get("c"), str):
        return None
    return Session(data["u"], data["c"])


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))
