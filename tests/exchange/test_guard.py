"""Attempt limits on API keys: back-off, lock-out, the admin's unlock, the verified-key cache."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from seamline.cli import app as cli
from seamline.exchange import add_client, revoke_client
from seamline.exchange.guard import (
    AttemptsRefused,
    LimitConfig,
    Limits,
    lift_lockout,
    list_lockouts,
)
from seamline.store.models import AuditEvent

FAST = LimitConfig(
    free_attempts=2,
    backoff_seconds=0.02,
    max_backoff_seconds=0.05,
    lockout_after=5,
    address_free_attempts=1000,
    address_lockout_after=10_000,
)


def _wrong(key: str) -> str:
    return key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")


def test_limits_back_off_then_lock_out_and_an_admin_lifts_it(tmp_path: Path) -> None:
    lifted: list[tuple[str, str]] = []
    limits = Limits(tmp_path, FAST, on_lift=lambda s, by: lifted.append((s, by)))
    subject = ["account:someone"]
    limits.failure(subject)
    limits.check(subject)
    limits.failure(subject)  # two free attempts, then the third waits
    with pytest.raises(AttemptsRefused) as refused:
        limits.check(subject)
    assert refused.value.retry_after >= 1 and "waiting" in refused.value.reason
    for _ in range(3):
        time.sleep(0.06)
        limits.check(subject)
        limits.failure(subject)
    with pytest.raises(AttemptsRefused) as locked:
        limits.check(subject)
    assert "locked out" in locked.value.reason
    assert set(list_lockouts(tmp_path)) == {"account:someone"}
    # Another process (a second worker, a restart) sees the lock-out in the file.
    with pytest.raises(AttemptsRefused):
        Limits(tmp_path, FAST).check(subject)
    time.sleep(0.06)
    with pytest.raises(AttemptsRefused):  # a lock-out does not end with the back-off
        limits.check(subject)
    assert lift_lockout(tmp_path, "account:someone", "admin.person")
    assert not lift_lockout(tmp_path, "account:someone", "admin.person")
    limits._file_read_at = -1e9  # the server re-reads the file at most once a second
    limits.check(subject)
    assert lifted == [("account:someone", "admin.person")]
    assert list_lockouts(tmp_path) == {}


def test_a_success_resets_the_count_and_other_subjects_are_not_affected(tmp_path: Path) -> None:
    limits = Limits(tmp_path, FAST)
    for _ in range(2):
        limits.failure(["key:a"])
    limits.success(["key:a"])
    limits.failure(["key:a"])
    limits.check(["key:a", "key:b"])
    limits.failure(["key:a"])
    with pytest.raises(AttemptsRefused):
        limits.check(["key:a", "key:b"])
    limits.check(["key:b"])


def _lockout_key(c: TestClient, key: str) -> list[int]:
    statuses = []
    for _ in range(40):
        r = c.get("/v1/persons/kg_pin:1", headers={"X-API-Key": _wrong(key)})
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
            assert r.json()["error"]["code"] == "too_many_attempts"
            if "locked out" in r.json()["error"]["message"]:
                break
        time.sleep(0.06)
    return statuses


def test_wrong_keys_back_off_lock_out_and_the_cli_lifts_it(demo: Any) -> None:
    info, key = add_client(demo.store, "guard-victim", "tax-db")
    good = {"X-API-Key": key, "X-Seamline-Purpose": "tax-registration"}
    ref = f"/v1/persons/kg_pin:{demo.people[0]['national_id']}"
    with TestClient(demo.app(limits=FAST), raise_server_exceptions=False) as c:
        statuses = _lockout_key(c, key)
        assert statuses[:2] == [401, 401] and statuses[-1] == 429, statuses
        assert f"key:{info.key_id}" in list_lockouts(demo.ws.data_dir)
        # The right key is refused too while its id is locked out, without a scrypt check.
        assert c.get(ref, headers=good).status_code == 429
        command = ["clients", "unlock", "--key-id", info.key_id, "-w", str(demo.root)]
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
        c.app.state.exchange.guard.limits._file_read_at = -1e9
        assert c.get(ref, headers=good).status_code == 200
        time.sleep(0.2)  # the lift's audit event is written by a task of the loop
    with demo.store.session() as s:
        unlock = s.scalars(select(AuditEvent).where(AuditEvent.action == "security.unlock")).all()
    assert [e.resource for e in unlock] == [f"key:{info.key_id}"]
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 2 and "not locked out" in again.output


def test_a_verified_key_is_served_while_an_attacker_locks_its_id(demo: Any) -> None:
    info, key = add_client(demo.store, "guard-cached", "tax-db")
    good = {"X-API-Key": key, "X-Seamline-Purpose": "tax-registration"}
    ref = f"/v1/persons/kg_pin:{demo.people[0]['national_id']}"
    with TestClient(demo.app(limits=FAST), raise_server_exceptions=False) as c:
        assert c.get(ref, headers=good).status_code == 200
        _lockout_key(c, key)
        assert f"key:{info.key_id}" in list_lockouts(demo.ws.data_dir)
        # The cache holds the SHA-256 of the verified key: no scrypt, no limit to pass.
        assert c.get(ref, headers=good).status_code == 200
        revoke_client(demo.store, "guard-cached")  # the row is re-read: revocation counts
        assert c.get(ref, headers=good).status_code == 401
    lift_lockout(demo.ws.data_dir, f"key:{info.key_id}", "test")


def test_wrong_secrets_for_many_key_ids_from_one_address_make_it_wait(demo: Any) -> None:
    limits = LimitConfig(address_free_attempts=3, address_lockout_after=1000)
    victims = [add_client(demo.store, f"guard-address-{i}", "tax-db")[1] for i in range(5)]
    with TestClient(demo.app(limits=limits), raise_server_exceptions=False) as c:
        codes = [
            c.get("/v1/persons/kg_pin:1", headers={"X-API-Key": _wrong(k)}).status_code
            for k in victims  # one wrong secret per key id: only the address adds up
        ]
        # Made-up key ids cost no scrypt and are not counted: still 401, not 429.
        made_up = c.get("/v1/persons/kg_pin:1", headers={"X-API-Key": "sl_00000000_nope"})
    assert codes == [401, 401, 401, 429, 429]  # three free failures
    assert made_up.status_code == 401


def test_many_requests_with_one_new_key_share_one_check(demo: Any) -> None:
    import asyncio

    from seamline.exchange.clients import KeyCache

    _, key = add_client(demo.store, "guard-herd", "tax-db")
    calls: list[str] = []

    async def verify(key_id: str, secret: str, stored: str) -> bool:
        calls.append(key_id)
        await asyncio.sleep(0.05)
        from seamline.secrethash import check_secret

        return check_secret(secret, stored)

    async def herd() -> list[Any]:
        cache = KeyCache(demo.store, ttl=0.0)
        return await asyncio.gather(*(cache.authenticate(key, verify) for _ in range(50)))

    found = asyncio.run(herd())
    assert all(c is not None and c.name == "guard-herd" for c in found)
    assert len(calls) == 1  # fifty requests, one scrypt check
