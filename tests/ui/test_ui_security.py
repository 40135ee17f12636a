"""Sign-in attempt limits and server-side sessions (issue #18)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner
from uidemo import PASSWORD, TODAY

from seamline.cli import app as cli
from seamline.exchange.guard import Guard, LimitConfig, Limits, list_lockouts
from seamline.ui import add_user, create_ui_app
from seamline.ui.session import SESSION_COOKIE

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
QUICK = LimitConfig(
    free_attempts=3, backoff_seconds=0.02, max_backoff_seconds=0.05, lockout_after=8
)


def _post_login(client: TestClient, name: str, password: str) -> Any:
    page = client.get("/login")
    token = CSRF.search(page.text)
    assert token
    return client.post(
        "/login",
        data={"csrf": token.group(1), "username": name, "password": password},
        follow_redirects=False,
    )


def test_25_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(ui_demo: Any) -> None:
    add_user(ui_demo.ws, "locked.out", PASSWORD, "viewer")
    guard = Guard(Limits(ui_demo.ws.data_dir, QUICK))
    app = create_ui_app(ui_demo.ws, ui_demo.store, today=TODAY, guard=guard)
    with TestClient(app) as client:
        codes = []
        for _ in range(25):
            codes.append(_post_login(client, "locked.out", "wrong password!").status_code)
            time.sleep(0.06)
        assert codes[:3] == [401, 401, 401]
        assert codes.count(429) >= 10, codes
        refused = _post_login(client, "locked.out", PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "Too many failed sign-ins" in refused.text
        assert "account:locked.out" in list_lockouts(ui_demo.ws.data_dir)
        result = CliRunner().invoke(cli, ["ui", "unlock", "locked.out", "-w", str(ui_demo.root)])
        assert result.exit_code == 0, result.output
        guard.limits._file_read_at = -1e9  # the server re-reads the file once a second
        assert _post_login(client, "locked.out", PASSWORD).status_code == 303


def test_unknown_names_count_against_the_address(ui_demo: Any) -> None:
    limits = LimitConfig(address_free_attempts=4, backoff_seconds=5.0)
    app = create_ui_app(
        ui_demo.ws, ui_demo.store, today=TODAY, guard=Guard(Limits(ui_demo.ws.data_dir, limits))
    )
    with TestClient(app) as client:
        codes = [_post_login(client, f"nobody{i}", "wrong").status_code for i in range(6)]
    assert codes == [401, 401, 401, 401, 429, 429]


def _signed_in_client(ui_demo: Any, name: str, role: str = "viewer") -> tuple[TestClient, str]:
    add_user(ui_demo.ws, name, PASSWORD, role)
    client = TestClient(create_ui_app(ui_demo.ws, ui_demo.store, today=TODAY))
    assert _post_login(client, name, PASSWORD).status_code == 303
    cookie = client.cookies[SESSION_COOKIE]
    assert client.get("/", follow_redirects=False).status_code == 200
    return client, cookie


def _replayed(client: TestClient, cookie: str) -> int:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    return client.get("/", follow_redirects=False).status_code


def test_logout_ends_the_session_at_once(ui_demo: Any) -> None:
    client, cookie = _signed_in_client(ui_demo, "leaves.early")
    page = client.get("/")
    token = CSRF.search(page.text)
    assert token
    out = client.post("/logout", data={"csrf": token.group(1)}, follow_redirects=False)
    assert out.status_code == 303
    assert _replayed(client, cookie) == 303  # the old cookie is refused: sign in again


def test_a_password_change_ends_the_users_sessions(ui_demo: Any) -> None:
    client, cookie = _signed_in_client(ui_demo, "changes.password")
    other, kept = _signed_in_client(ui_demo, "keeps.session")
    add_user(ui_demo.ws, "changes.password", PASSWORD + " new", "viewer")
    assert _replayed(client, cookie) == 303
    assert _replayed(other, kept) == 200  # other users are not signed out


def test_a_role_change_ends_the_users_sessions(ui_demo: Any) -> None:
    client, cookie = _signed_in_client(ui_demo, "changes.role", "steward")
    add_user(ui_demo.ws, "changes.role", PASSWORD, "viewer")
    assert _replayed(client, cookie) == 303
    assert _post_login(client, "changes.role", PASSWORD).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200


def test_the_same_account_saved_unchanged_keeps_its_sessions(ui_demo: Any) -> None:
    client, cookie = _signed_in_client(ui_demo, "unchanged.user")
    add_user(ui_demo.ws, "unchanged.user", PASSWORD, "viewer")
    assert _replayed(client, cookie) == 200


def test_sessions_are_stored_as_hashes_of_their_ids(ui_demo: Any) -> None:
    _, cookie = _signed_in_client(ui_demo, "hashed.session")
    stored = (ui_demo.ws.data_dir / "ui" / "sessions.json").read_text(encoding="utf-8")
    body = cookie.split(".")[0]
    sid = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["s"]
    assert sid not in stored
    assert hashlib.sha256(sid.encode()).hexdigest() in stored
