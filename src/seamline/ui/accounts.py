"""Local UI accounts: ``<data_dir>/ui/users.json`` with scrypt-hashed passwords and a role.

A JSON file, not a store table, so adding the UI needs no store migration; a program
has tens of UI users, not thousands. Writes go through a temporary file and a rename so
a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seamline.errors import UsageError
from seamline.exchange.guard import Guard
from seamline.secrethash import check_secret, hash_secret
from seamline.ui.session import SessionStore
from seamline.workspace.loader import Workspace

ROLES = ("viewer", "steward", "owner", "auditor", "admin")
"""viewer reads; steward decides conflicts; owner answers for seams; auditor reads the
audit trail; admin may do everything."""
NAME = re.compile(r"^[^\s\x00-\x1f<>\"'&]{1,80}$")
MIN_PASSWORD = 10


@dataclass(frozen=True)
class User:
    name: str
    role: str


def ui_dir(ws: Workspace) -> Path:
    return ws.data_dir / "ui"


def users_path(ws: Workspace) -> Path:
    return ui_dir(ws) / "users.json"


def sessions_path(ws: Workspace) -> Path:
    return ui_dir(ws) / "sessions.json"


# Checked when the name is unknown, so a wrong name costs as long as a wrong password
# and the answer time does not tell which names exist.
_DUMMY = hash_secret("not a password", b"seamline-dummy!!")


def load_users(ws: Workspace) -> dict[str, dict[str, Any]]:
    path = users_path(ws)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the UI accounts file: {exc}",
            where=str(path),
            hint="Restore it from a backup or delete it and add the users again.",
        ) from None
    users = data.get("users", {}) if isinstance(data, dict) else {}
    return {str(k): v for k, v in users.items() if isinstance(v, dict)}


def _save(ws: Workspace, users: dict[str, dict[str, Any]]) -> None:
    path = users_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"users": users}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def add_user(ws: Workspace, name: str, password: str, role: str) -> User:
    """Create or update a UI account (the CLI's ``seamline ui add-user``)."""
    if not NAME.match(name):
        raise UsageError(
            f"invalid user name {name!r}",
            allowed="1-80 characters, no spaces, quotes or angle brackets",
        )
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}", allowed=", ".join(ROLES))
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    users = load_users(ws)
    before = users.get(name)
    users[name] = {"role": role, "password": hash_secret(password)}
    _save(ws, users)
    if before is not None and (
        before.get("role") != role or not check_secret(password, str(before.get("password", "")))
    ):
        SessionStore(sessions_path(ws)).end_user(name)  # a new password or role: sign in again
    return User(name, role)


def remove_user(ws: Workspace, name: str) -> bool:
    users = load_users(ws)
    if users.pop(name, None) is None:
        return False
    _save(ws, users)
    SessionStore(sessions_path(ws)).end_user(name)
    return True


def authenticate(ws: Workspace, name: str, password: str) -> User | None:
    entry = load_users(ws).get(name)
    if entry is None:
        check_secret(password, _DUMMY)
        return None
    if not check_secret(password, str(entry.get("password", ""))):
        return None
    role = str(entry.get("role", ""))
    return User(name, role) if role in ROLES else None


async def check_password(
    ws: Workspace, name: str, password: str, guard: Guard, address: str
) -> User | None:
    """:func:`authenticate` for the server: attempt limits per account and address first,
    then scrypt in the guard's worker threads, never on the event loop. Raises
    :class:`~seamline.exchange.guard.AttemptsRefused` when the attempt must wait."""
    entry = load_users(ws).get(name)
    stored = str(entry.get("password", "")) if entry is not None else _DUMMY
    subjects = [f"account:{name[:80]}", f"address:{address}"]
    ok = await guard.verify(subjects, password, stored)
    if entry is None:
        if ok:  # someone typed the dummy's text: still no such account
            guard.limits.failure(subjects)
        return None
    if not ok:
        return None
    role = str(entry.get("role", ""))
    return User(name, role) if role in ROLES else None


def current_user(ws: Workspace, name: str) -> User | None:
    """The account as it is now: a removed user or a changed role counts at once."""
    entry = load_users(ws).get(name)
    if entry is None or entry.get("role") not in ROLES:
        return None
    return User(name, str(entry["role"]))
