"""Signing keys: verify with public keys only, a missing key is an error, rotation, bundles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from seamline.exchange.anchor import Anchor, default_anchor_path, rotate_key
from seamline.exchange.audit import AuditWriter, Event, append_now
from seamline.exchange.keys import (
    SigningKeyError,
    default_key_path,
    key_id,
    load_or_create_key,
    load_signing_key,
    public_path,
    public_text,
    read_public,
)
from seamline.exchange.verify import export_audit, verify_audit, verify_bundle
from seamline.store import Store
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example


def events(n: int, start: int = 0) -> list[Event]:
    return [
        Event("Aigul Toktogulova", "tax", "person.lookup", f"person:p{i}", "tax-registration",
              "ok", {"n": i})
        for i in range(start, start + n)
    ]  # fmt: skip


def seamline(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SEAMLINE_STORE",)}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_a_missing_key_is_an_error_once_the_log_has_events(demo: Any, tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit-ed25519.pem"
    with pytest.raises(SigningKeyError, match="missing"):
        load_signing_key(path, may_create=False)
    assert not path.exists()
    key = load_signing_key(path, may_create=True)  # a fresh log: made, public half beside it
    assert read_public(public_path(path)) == public_text(key)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # once the log has an event, a server with no key at its key path refuses to start
    with TestClient(demo.app()) as c:
        assert c.get("/v1/persons/kg_pin:1").status_code == 401  # audited as refused
    with pytest.raises(SigningKeyError, match="missing"):
        demo.app(key_path=tmp_path / "gone" / "audit.pem")
    assert not (tmp_path / "gone" / "audit.pem").exists()


def test_rotation_keeps_the_whole_log_verifiable_with_either_key(tmp_path: Path) -> None:
    key_path = tmp_path / "keys" / "audit-ed25519.pem"
    first = load_signing_key(key_path, may_create=True)
    anchor = Anchor(tmp_path / "anchor.jsonl")
    with Store.open(f"sqlite:///{tmp_path}/a.db") as store:
        writer = AuditWriter(store, first, checkpoint_seconds=0.0, anchor=anchor, key_path=key_path)
        writer.start()
        for e in events(5):
            writer.write(e)
        old_id, new_id = rotate_key(key_path, anchor)
        second = load_or_create_key(key_path)
        assert (old_id, new_id) == (key_id(public_text(first)), key_id(public_text(second)))
        for e in events(5, 5):
            writer.write(e)
        writer.stop()  # the running writer picked the new key up: no old-key line after
        for trusted in (first, second):
            result = verify_audit(store, public_keys=[public_text(trusted)], anchor=anchor.path)
            assert result.ok, str(result)
            assert result.keys == sorted([old_id, new_id]) and result.unsigned_tail == 0
        stranger = Ed25519PrivateKey.generate()
        result = verify_audit(store, public_keys=[public_text(stranger)], anchor=anchor.path)
        assert not result.ok
        # the retired key, if stolen, can no longer vouch for anything
        anchor.checkpoint(first, 10, result.last_hash or "")
        result = verify_audit(store, public_keys=[public_text(second)], anchor=anchor.path)
        assert not result.ok and "after it was retired" in str(result.reason)
    assert read_public(tmp_path / "keys" / f"audit-ed25519.{old_id}.pub") == public_text(first)


def test_bundle_verifies_offline_with_the_anchor_lines(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    anchor = Anchor(tmp_path / "anchor.jsonl")
    with Store.open(f"sqlite:///{tmp_path}/a.db") as store:
        for start in (0, 10):
            append_now(store, key, events(10, start), anchor)
        path = tmp_path / "bundle.json"
        assert export_audit(store, None, None, path, key, anchor=anchor.path) == 20
    pub = [public_text(key)]
    result = verify_bundle(path, public_keys=pub)
    assert result.ok and result.anchored == 2 and result.events == 20, str(result)
    assert not verify_bundle(path, public_keys=[public_text(Ed25519PrivateKey.generate())]).ok
    bundle = json.loads(path.read_text())
    bundle["body"]["events"][3]["purpose"] = "marketing"
    path.write_text(json.dumps(bundle))
    assert not verify_bundle(path, public_keys=pub).ok


def test_cli_verifies_with_the_public_key_only(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    ws = load_workspace(root)
    key_path = default_key_path(ws.data_dir)
    key = load_signing_key(key_path, may_create=True)
    anchor = Anchor(default_anchor_path(ws.data_dir))
    with Store.open(ws.store_url()) as store:
        append_now(store, key, events(8), anchor)
    pub = tmp_path / "auditor.pub"
    pub.write_text(public_text(key) + "\n")
    bundle = tmp_path / "bundle.json"
    done = seamline("audit", "export", str(bundle), "-w", str(root))
    assert done.returncode == 0, done.stderr
    key_path.unlink()  # the auditor's machine: no private key anywhere
    done = seamline("audit", "verify", str(root), "--public-key", str(pub))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 events" in done.stdout and "1 anchored" in done.stdout
    assert not key_path.exists()  # and none was made
    done = seamline("audit", "verify-bundle", str(bundle), "--public-key", str(pub))
    assert done.returncode == 0 and "audit chain ok" in done.stdout, done.stdout + done.stderr
    other = tmp_path / "other.pub"
    other.write_text(public_text(Ed25519PrivateKey.generate()))
    done = seamline("audit", "verify-bundle", str(bundle), "--public-key", str(other))
    assert done.returncode == 1 and "unknown key" in done.stdout
    # a missing anchor is an error naming the file, not a pass
    default_anchor_path(ws.data_dir).unlink()
    done = seamline("audit", "verify", str(root), "--public-key", str(pub))
    assert done.returncode == 3 and "audit-anchor.jsonl" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    done = seamline("audit", "rotate-key", str(root))
    assert done.returncode != 0 and "missing" in done.stdout + done.stderr


def test_kill_9_leaves_an_unsigned_tail_that_the_next_start_anchors(
    demo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real server process, killed with SIGKILL mid-stream, then started again."""
    import httpx
    from liveserver import start_server

    from seamline.exchange import add_client

    anchor = tmp_path / "worm" / "audit-anchor.jsonl"
    monkeypatch.setenv("SEAMLINE_AUDIT_ANCHOR", str(anchor))
    url = f"sqlite:///{tmp_path}/crash.db"
    with Store.open(url) as store:
        key = add_client(store, "social", "social-case-system")[1]
    h = {"Authorization": f"Bearer {key}", "X-Seamline-Purpose": "benefit-eligibility"}
    pins = [p["national_id"] for p in demo.people[:50]]
    server = start_server(demo.root, url, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=server.base, headers=h, timeout=10) as c:
            served = sum(
                c.get(f"/v1/persons/kg_pin:{pins[i % len(pins)]}").status_code == 200
                for i in range(300)
            )
    finally:
        server.proc.kill()  # SIGKILL: no graceful stop, no final checkpoint
        server.proc.wait(30)
    assert served == 300
    pub = [read_public(public_path(default_key_path(demo.ws.data_dir)))]
    with Store.open(url) as store:
        result = verify_audit(store, public_keys=pub, anchor=anchor, window=None)
    assert result.events == 300 and result.ok, str(result)
    # checkpoints come every 1,000 events or 5 s: the last ones are unanchored
    print(f"unsigned tail after kill -9: {result.unsigned_tail} of 300 events")
    assert result.unsigned_tail == 300 - result.last_anchored
    tail = result.unsigned_tail
    server = start_server(demo.root, url, tmp_path / "server2.log")
    server.stop()
    with Store.open(url) as store:
        result = verify_audit(store, public_keys=pub, anchor=anchor)
    assert result.ok and result.unsigned_tail == 0, str(result)
    recovered = "were anchored only when a server restarted" in "\n".join(result.notes)
    assert recovered == (tail > 0), str(result)
