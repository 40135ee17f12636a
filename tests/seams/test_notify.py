"""Notifications against a real local HTTP server that fails the first requests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from seamline.seams.notify import notify_new_findings
from seamline.store import Store
from seamline.workspace.loader import Workspace
from seamline.workspace.models import NotificationsSpec, ProjectSpec, SeamSpec

SEAM = {
    "id": "civil-to-tax",
    "provider": "civil_persons",
    "consumer": "tax-db",
    "owner": {
        "name": "Bakyt Sadykov",
        "agency": "tax-service",
        "email": "b.sadykov@tax.example.kg",
    },
    "agreement": {
        "reference": "DSA-2026-014",
        "purpose": "tax-registration",
        "legal_basis": "Tax Code, art. 12 (invented)",
        "attributes": ["national_id"],
        "starts": "2026-01-01",
    },
}


@dataclass
class Hook:
    """What the local webhook received, and how it misbehaves."""

    fail_first: int = 0
    status: int = 503
    delay: float = 0.0
    requests: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                state.requests += 1
                failing = state.requests <= state.fail_first
            if state.delay:
                time.sleep(state.delay)
            if failing:
                self.send_response(state.status)
                self.end_headers()
                return
            with state.lock:
                state.accepted.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-token"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def workspace(root: Path, **notifications: Any) -> Workspace:
    project = ProjectSpec(name="demo", notifications=NotificationsSpec(**notifications))
    return Workspace(root=root, project=project, seams={"civil-to-tax": SeamSpec(**SEAM)})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as s:
        yield s


def contract_failed(store: Store, run_id: int, rule: str) -> int:
    return store.upsert_finding(
        kind="contract.failed",
        subject="civil-to-tax",
        message=f"seam civil-to-tax: {rule} failed",
        severity="error",
        evidence={"rule": rule, "failing": 12, "considered": 600, "samples": ["Айгуль"]},
        owner="Bakyt Sadykov (tax-service)",
        run_id=run_id,
        key=rule,
    )


def test_retries_until_the_webhook_takes_each_finding_once(
    tmp_path: Path, store: Store, hook: tuple[Hook, str]
) -> None:
    state, url = hook
    state.fail_first = 2
    ws = workspace(tmp_path, webhook=url, retries=3, timeout_seconds=2)
    run = store.start_run("run", workspace="demo")
    check = store.start_run("check", workspace="demo", parent_id=run)
    first = contract_failed(store, check, "unique:national_id")
    second = contract_failed(store, check, "not_null:national_id")
    lines: list[str] = []
    result = notify_new_findings(ws, store, run, console=lines.append, backoff_seconds=0.01)
    assert result.findings == [first, second]
    assert result.sent == [first, second]
    assert result.dead_lettered == []
    assert result.attempts == 4 == state.requests  # two refused, then one each
    assert [b["finding_id"] for b in state.accepted] == [first, second]
    body = state.accepted[0]
    assert body["seam"] == "civil-to-tax"
    assert body["owner"] == "Bakyt Sadykov (tax-service)"
    assert body["evidence"] == {"rule": "unique:national_id", "failing": 12, "considered": 600}
    assert "Айгуль" not in json.dumps(body, ensure_ascii=False)
    assert len(lines) == 2
    assert "unique:national_id" in lines[0]
    assert "Bakyt Sadykov" in lines[0]
    assert not (tmp_path / ws.project.notifications.dead_letter).exists()


def test_a_finding_seen_again_is_not_sent_again(
    tmp_path: Path, store: Store, hook: tuple[Hook, str]
) -> None:
    state, url = hook
    ws = workspace(tmp_path, webhook=url)
    run1 = store.start_run("check", workspace="demo")
    old = contract_failed(store, run1, "unique:national_id")
    assert notify_new_findings(ws, store, run1).sent == [old]
    run2 = store.start_run("check", workspace="demo")
    assert contract_failed(store, run2, "unique:national_id") == old
    new = contract_failed(store, run2, "range:birth_date")
    result = notify_new_findings(ws, store, run2)
    assert result.findings == result.sent == [new]
    assert [b["finding_id"] for b in state.accepted] == [old, new]
    run3 = store.start_run("check", workspace="demo")
    contract_failed(store, run3, "unique:national_id")
    contract_failed(store, run3, "range:birth_date")
    assert notify_new_findings(ws, store, run3).findings == []
    assert state.requests == 2


def test_a_finding_that_comes_back_is_sent_again_as_reopened(
    tmp_path: Path, store: Store, hook: tuple[Hook, str]
) -> None:
    state, url = hook
    ws = workspace(tmp_path, webhook=url)
    run1 = store.start_run("run", workspace="demo")
    check1 = store.start_run("check", workspace="demo", parent_id=run1)
    fid = contract_failed(store, check1, "unique:national_id")
    assert notify_new_findings(ws, store, run1).sent == [fid]
    run2 = store.start_run("run", workspace="demo")
    check2 = store.start_run("check", workspace="demo", parent_id=run2)
    assert store.resolve_findings(check2, ["contract"]) == 1  # fixed in the next delivery
    assert notify_new_findings(ws, store, run2).findings == []
    run3 = store.start_run("run", workspace="demo")
    check3 = store.start_run("check", workspace="demo", parent_id=run3)
    assert contract_failed(store, check3, "unique:national_id") == fid  # and back again
    lines: list[str] = []
    result = notify_new_findings(ws, store, run3, console=lines.append)
    assert result.sent == [fid]
    assert [b["reopened"] for b in state.accepted] == [False, True]
    assert lines[0].startswith("reopened finding [error] contract.failed civil-to-tax")
    run4 = store.start_run("run", workspace="demo")
    check4 = store.start_run("check", workspace="demo", parent_id=run4)
    contract_failed(store, check4, "unique:national_id")  # still failing: not news
    assert notify_new_findings(ws, store, run4).findings == []


def test_undelivered_findings_go_to_the_dead_letter_file(
    tmp_path: Path, store: Store, hook: tuple[Hook, str]
) -> None:
    state, url = hook
    state.fail_first = 1000
    ws = workspace(tmp_path, webhook=url, retries=2, dead_letter="out/dead.jsonl")
    run = store.start_run("check", workspace="demo")
    fid = contract_failed(store, run, "unique:national_id")
    waits: list[float] = []
    result = notify_new_findings(ws, store, run, sleep=waits.append, backoff_seconds=0.5)
    assert result.sent == []
    assert result.dead_lettered == [fid]
    assert state.requests == 3
    assert waits == [0.5, 1.0]  # exponential backoff between the three tries
    assert result.dead_letter == tmp_path / "out" / "dead.jsonl"
    entries = [json.loads(x) for x in result.dead_letter.read_text("utf-8").splitlines()]
    assert len(entries) == 1
    assert entries[0]["finding"]["finding_id"] == fid
    assert entries[0]["attempts"] == 3
    assert entries[0]["error"] == "HTTP 503"
    assert entries[0]["webhook_host"] == "127.0.0.1"
    assert "secret-token" not in result.dead_letter.read_text("utf-8")


def test_a_rejected_body_is_not_retried(
    tmp_path: Path, store: Store, hook: tuple[Hook, str]
) -> None:
    state, url = hook
    state.fail_first, state.status = 1000, 400
    ws = workspace(tmp_path, webhook=url, retries=3)
    run = store.start_run("check", workspace="demo")
    contract_failed(store, run, "unique:national_id")
    result = notify_new_findings(ws, store, run, backoff_seconds=0.01)
    assert state.requests == 1
    assert len(result.dead_lettered) == 1


def test_a_slow_webhook_times_out_and_is_retried(
    tmp_path: Path, store: Store, hook: tuple[Hook, str]
) -> None:
    state, url = hook
    state.delay = 0.6
    ws = workspace(tmp_path, webhook=url, retries=1, timeout_seconds=0.2)
    run = store.start_run("check", workspace="demo")
    contract_failed(store, run, "unique:national_id")
    result = notify_new_findings(ws, store, run, backoff_seconds=0.01)
    assert result.attempts == 2
    assert len(result.dead_lettered) == 1
    assert result.dead_letter is not None
    entry = json.loads(result.dead_letter.read_text("utf-8"))
    assert entry["error"] == "no answer within 0.2 s"


def test_an_unreachable_webhook_is_dead_lettered(tmp_path: Path, store: Store) -> None:
    ws = workspace(tmp_path, webhook="http://127.0.0.1:9/hook", retries=1)
    run = store.start_run("check", workspace="demo")
    contract_failed(store, run, "unique:national_id")
    result = notify_new_findings(ws, store, run, backoff_seconds=0.01)
    assert result.attempts == 2
    assert not result.ok


def test_without_a_webhook_only_the_console_hears(tmp_path: Path, store: Store) -> None:
    posted: list[dict[str, Any]] = []

    def post(url: str, body: dict[str, Any], timeout: float) -> int:
        posted.append(body)
        return 200

    ws = workspace(tmp_path)
    run = store.start_run("check", workspace="demo")
    contract_failed(store, run, "unique:national_id")
    lines: list[str] = []
    result = notify_new_findings(ws, store, run, post=post, console=lines.append)
    assert posted == []
    assert result.sent == []
    assert len(lines) == 1
    quiet = workspace(tmp_path, console=False)
    assert notify_new_findings(quiet, store, run, console=lines.append).console == []
    assert len(lines) == 1
