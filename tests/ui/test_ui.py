"""The web UI through FastAPI's TestClient: sign-in, roles, CSRF, pages, decisions."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from seamline.errors import UsageError
from seamline.exchange import ExchangeConfig
from seamline.exchange.app import create_app
from seamline.exchange.verify import verify_audit
from seamline.reconcile.worklist import load_worklist
from seamline.store.models import AuditEvent, Decision
from seamline.ui import add_user, create_ui_app, mount_ui, remove_user
from seamline.ui.accounts import authenticate, load_users, users_path
from seamline.ui.session import SESSION_COOKIE

PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 6, 1)


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": name, "password": password},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text


def audit_lines(demo: Any) -> list[dict[str, Any]]:
    path = demo.ws.data_dir / "ui" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def decisions(demo: Any) -> list[Decision]:
    with demo.store.session() as s:
        return list(s.scalars(select(Decision).order_by(Decision.id)))


def a_conflict(demo: Any) -> dict[str, Any]:
    rows = [r for r in load_worklist(demo.store) if r["kind"] == "conflict"]
    assert rows, "the demo has no conflicts to decide"
    return rows[0]


@pytest.mark.parametrize("path", ["/", "/catalogue", "/seams", "/worklist", "/datasets/addresses"])
def test_every_page_needs_sign_in(client: TestClient, path: str) -> None:
    resp = client.get(path, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/login?next=")


def test_post_without_session_is_refused(client: TestClient, ui_demo: Any) -> None:
    before = len(decisions(ui_demo))
    resp = client.post("/worklist/decide", data={"kind": "accept_value", "reason": "x"})
    assert resp.status_code == 401
    assert len(decisions(ui_demo)) == before


def test_wrong_password_is_refused_and_audited(client: TestClient, ui_demo: Any) -> None:
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": "aigul.toktogulova", "password": "wrong!"},
        follow_redirects=False,
    )
    assert resp.status_code == 401
    assert "user name or the password is wrong" in resp.text
    assert SESSION_COOKIE not in resp.cookies
    last = audit_lines(ui_demo)[-1]
    assert (last["actor"], last["action"], last["outcome"]) == (
        "aigul.toktogulova",
        "ui.login",
        "refused",
    )
    unknown = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": "nobody", "password": PASSWORD},
        follow_redirects=False,
    )
    assert unknown.status_code == 401


def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/login")
    resp = client.post(
        "/login",
        data={"username": "aigul.toktogulova", "password": PASSWORD},
        follow_redirects=False,
    )
    assert resp.status_code == 403
    assert SESSION_COOKIE not in resp.cookies


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": "nurlan.viewer", "password": PASSWORD},
        follow_redirects=False,
    )
    header = [h for h in resp.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)]
    assert header and "HttpOnly" in header[0] and "SameSite=lax" in header[0]


def test_a_forged_session_is_ignored(client: TestClient) -> None:
    sign_in(client, "nurlan.viewer")
    token = client.cookies[SESSION_COOKIE]
    body, mac = token.split(".")
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, body + "." + mac[::-1])
    assert client.get("/", follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/", follow_redirects=False).status_code == 200


def test_next_is_followed_only_within_the_site(client: TestClient) -> None:
    for target, expected in (("/seams", "/seams"), ("//evil.example/x", "/")):
        page = client.get(f"/login?next={target}")
        resp = client.post(
            "/login",
            data={
                "csrf": csrf_of(page.text),
                "username": "nurlan.viewer",
                "password": PASSWORD,
                "next": target,
            },
            follow_redirects=False,
        )
        assert resp.headers["location"] == expected


def test_viewer_sees_the_overview_catalogue_and_seams(client: TestClient) -> None:
    sign_in(client, "nurlan.viewer")
    home = client.get("/")
    assert home.status_code == 200
    assert "Seams healthy" in home.text and "Open findings" in home.text
    assert "cris-mainframe" in home.text
    found = client.get("/catalogue", params={"q": "address"})
    assert 'href="/datasets/addresses"' in found.text
    assert (
        'href="/datasets/tax_payers"'
        not in client.get("/catalogue", params={"q": "Баткенская"}).text
    )
    board = client.get("/seams")
    assert "Bakyt Sadykov" in board.text and "civil-to-tax" in board.text
    seam = client.get("/seams/civil-to-tax")
    assert "DSA-2026-014" in seam.text and "<h2>Contract</h2>" in seam.text
    assert client.get("/seams/no-such-seam").status_code == 404
    assert client.get("/datasets/no_such").status_code == 404


def test_dataset_page_shows_profiles_but_hides_personal_values(
    client: TestClient, ui_demo: Any
) -> None:
    sign_in(client, "nurlan.viewer")
    public = client.get("/datasets/addresses")
    assert public.status_code == 200
    assert "г. Бишкек" in public.text  # the top region of the public address register
    personal = client.get("/datasets/civil_persons")
    assert "hidden (personal)" in personal.text
    profiles = ui_demo.store.latest_profiles("civil_persons")
    assert any(p.get("top_values") for p in profiles.values())
    leaked = [
        str(v)
        for p in profiles.values()
        for v, _ in (p.get("top_values") or [])[:5]
        if len(str(v)) > 3 and f">{v} <" in personal.text
    ]
    assert leaked == []


def test_viewer_may_not_open_the_worklist(client: TestClient) -> None:
    sign_in(client, "nurlan.viewer")
    resp = client.get("/worklist")
    assert resp.status_code == 403
    assert "viewer role may not" in resp.text


def test_decision_without_csrf_token_is_refused(client: TestClient, ui_demo: Any) -> None:
    sign_in(client, "aigul.toktogulova")
    row = a_conflict(ui_demo)
    value = row["values"].split("; ")[0].split("=", 1)[1]
    form = {
        "kind": "accept_value",
        "entity_id": row["entity_id"],
        "attribute": row["attribute"],
        "value": value,
        "reason": "checked the paper file",
    }
    before = len(decisions(ui_demo))
    assert client.post("/worklist/decide", data=form).status_code == 403
    assert client.post("/worklist/decide", data={**form, "csrf": "forged"}).status_code == 403
    assert len(decisions(ui_demo)) == before
    assert audit_lines(ui_demo)[-1]["outcome"] == "refused"


def test_owner_may_read_the_worklist_but_not_decide(client: TestClient, ui_demo: Any) -> None:
    sign_in(client, "bakyt.sadykov")
    page = client.get("/worklist")
    assert page.status_code == 200
    assert 'action="/worklist/decide"' not in page.text
    row = a_conflict(ui_demo)
    before = len(decisions(ui_demo))
    resp = client.post(
        "/worklist/decide",
        data={
            "csrf": csrf_of(page.text),
            "kind": "accept_value",
            "entity_id": row["entity_id"],
            "attribute": row["attribute"],
            "value": "x",
            "reason": "r",
        },
    )
    assert resp.status_code == 403
    assert len(decisions(ui_demo)) == before


def test_the_worklist_counts_every_item_though_it_shows_a_page(
    client: TestClient, ui_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seamline.ui.app as ui_app

    total = len(load_worklist(ui_demo.store))
    assert total > 3, "the demo needs more than a page of items"
    sign_in(client, "bakyt.sadykov")
    whole = client.get("/worklist").text
    shown = min(total, ui_app.WORKLIST_SHOWN)
    monkeypatch.setattr(ui_app, "WORKLIST_SHOWN", 3)
    page = client.get("/worklist")
    count = re.search(r'<p id="worklist-count">([^<]*)<', page.text)
    assert count is not None
    assert count.group(1).startswith(f"3 of {total} items")
    assert page.text.count('<th scope="row" id="r') == 3
    # Unpaged, the page says the whole count and lists every item.
    count = re.search(r'<p id="worklist-count">([^<]*)<', whole)
    assert count is not None
    if total <= ui_app.WORKLIST_SHOWN:
        assert count.group(1).startswith(f"{total} items")
    assert whole.count('<th scope="row" id="r') == shown


def test_steward_records_a_decision_under_her_name(client: TestClient, ui_demo: Any) -> None:
    sign_in(client, "aigul.toktogulova")
    page = client.get("/worklist")
    assert page.status_code == 200 and 'action="/worklist/decide"' in page.text
    row = a_conflict(ui_demo)
    value = row["values"].split("; ")[-1].split("=", 1)[1]
    resp = client.post(
        "/worklist/decide",
        data={
            "csrf": csrf_of(page.text),
            "kind": "accept_value",
            "entity_id": row["entity_id"],
            "attribute": row["attribute"],
            "value": value,
            "reason": "confirmed with the district office",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    last = decisions(ui_demo)[-1]
    assert (last.actor, last.subject, last.attribute, last.value, last.kind) == (
        "aigul.toktogulova",
        row["entity_id"],
        row["attribute"],
        value,
        "accept_value",
    )
    assert resp.headers["location"] == f"/worklist?done={last.id}"
    shown = client.get(resp.headers["location"])
    assert f"Decision #{last.id} recorded." in shown.text
    assert "confirmed with the district office" in shown.text
    event = audit_lines(ui_demo)[-2]  # the decision, then the page view
    assert (event["actor"], event["action"], event["resource"]) == (
        "aigul.toktogulova",
        "ui.decide",
        f"decision:{last.id}",
    )


def test_a_value_no_dataset_holds_is_refused(client: TestClient, ui_demo: Any) -> None:
    sign_in(client, "aigul.toktogulova")
    page = client.get("/worklist")
    row = a_conflict(ui_demo)
    before = len(decisions(ui_demo))
    resp = client.post(
        "/worklist/decide",
        data={
            "csrf": csrf_of(page.text),
            "kind": "accept_value",
            "entity_id": row["entity_id"],
            "attribute": row["attribute"],
            "value": "invented value",
            "reason": "r",
        },
    )
    assert resp.status_code == 400
    blank = client.post(
        "/worklist/decide",
        data={
            "csrf": csrf_of(page.text),
            "kind": "reject_link",
            "left": "a:1",
            "right": "b:2",
            "reason": "   ",
        },
    )
    assert blank.status_code == 400 and "reason" in blank.text
    assert len(decisions(ui_demo)) == before


def test_a_removed_user_is_signed_out(client: TestClient, ui_demo: Any) -> None:
    add_user(ui_demo.ws, "temp.user", PASSWORD, "viewer")
    sign_in(client, "temp.user")
    assert client.get("/").status_code == 200
    assert remove_user(ui_demo.ws, "temp.user")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_accounts_store_only_salted_hashes(ui_demo: Any) -> None:
    add_user(ui_demo.ws, "twin.one", PASSWORD, "viewer")
    add_user(ui_demo.ws, "twin.two", PASSWORD, "viewer")
    text = users_path(ui_demo.ws).read_text(encoding="utf-8")
    assert PASSWORD not in text
    users = load_users(ui_demo.ws)
    assert users["twin.one"]["password"].startswith("scrypt$")
    assert users["twin.one"]["password"] != users["twin.two"]["password"]
    assert authenticate(ui_demo.ws, "twin.one", PASSWORD) is not None
    assert authenticate(ui_demo.ws, "twin.one", PASSWORD + "x") is None
    with pytest.raises(UsageError, match="unknown role"):
        add_user(ui_demo.ws, "x.y", PASSWORD, "superuser")
    with pytest.raises(UsageError, match="at least"):
        add_user(ui_demo.ws, "x.y", "short", "viewer")
    with pytest.raises(UsageError, match="invalid user name"):
        add_user(ui_demo.ws, "<script>", PASSWORD, "viewer")


def test_mounted_in_the_exchange_app_events_join_the_audit_chain(
    ui_demo: Any, tmp_path: Path
) -> None:
    app = create_app(
        ui_demo.ws, ui_demo.store, ExchangeConfig(key_path=ui_demo.key_path, today=TODAY)
    )
    mount_ui(app, ui_demo.ws, ui_demo.store)
    with TestClient(app) as c:
        page = c.get("/ui/login")
        assert page.status_code == 200 and 'action="/ui/login"' in page.text
        resp = c.post(
            "/ui/login",
            data={"csrf": csrf_of(page.text), "username": "gulnara.auditor", "password": PASSWORD},
            follow_redirects=False,
        )
        assert resp.status_code == 303 and resp.headers["location"] == "/ui/"
        assert c.get("/ui/seams").status_code == 200
        assert c.get("/ui/nope").status_code == 404
    with ui_demo.store.session() as s:
        events = [
            (e.actor, e.action, e.resource)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.client == "ui"))
        ]
    assert ("gulnara.auditor", "ui.login", None) in events
    assert ("gulnara.auditor", "ui.view", "seams") in events
    assert verify_audit(ui_demo.store).ok


def test_a_fresh_app_reuses_the_secret(ui_demo: Any) -> None:
    first = create_ui_app(ui_demo.ws, ui_demo.store)
    with TestClient(first) as c:
        sign_in(c, "nurlan.viewer")
        token = c.cookies[SESSION_COOKIE]
    with TestClient(create_ui_app(ui_demo.ws, ui_demo.store)) as c:
        assert c.get("/", follow_redirects=False).status_code == 303
        c.cookies.set(SESSION_COOKIE, token)
        assert c.get("/", follow_redirects=False).status_code == 200
