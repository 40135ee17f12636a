"""A flood of wrong secrets must not slow other clients down (a real uvicorn on loopback).

Four attackers send wrong secrets at ~6 requests a second each — two against a
client's public key id, two against the UI's sign-in with made-up user names — while a
normal client looks persons up with its valid key. Quiet and flooded periods alternate
so that the machine's other load falls on both alike; the normal client's p99 under
the flood is printed (goal: within twice its quiet p99) and must stay within three
times it. Without the worker pool and the attempt limits each wrong secret cost ~50 ms
of scrypt on the event loop (issue #18 measured p50 20 ms -> 665-720 ms).
"""

from __future__ import annotations

import http.client
import multiprocessing
import random
import statistics
import threading
import time
import urllib.parse
from typing import Any

import pytest
from liveserver import start_server

from seamline.ui import add_user

ROUNDS = 8
PERIOD = 2.5
ATTACKERS = 4
ATTACK_RATE = 6.0  # requests a second per attacker
NORMAL_RATE = 25.0
SEED = 20261207


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def attack(i: int, port: int, key_id: str, flooding: Any, done: Any, ready: Any, out: Any) -> None:
    """One attacker, in its own process (as an attacker would be): wrong secrets while
    ``flooding`` is set, at ``ATTACK_RATE``; puts its answers' statuses on ``out``."""
    rnd = random.Random(SEED + i)
    statuses: dict[int, int] = {}
    problems: list[str] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/ui/login")
        resp = conn.getresponse()
        resp.read()
        cookie = resp.getheader("set-cookie", "").split(";")[0]
        csrf = cookie.partition("=")[2]
        ready.put(i)
        while not done.is_set():
            if not flooding.wait(0.05):
                continue
            started = time.perf_counter()
            conn.close()  # a new connection each time: idle ones time out between floods
            if i % 2 == 0:
                wrong = f"sl_{key_id}_{rnd.getrandbits(128):032x}"
                conn.request("GET", "/v1/persons/kg_pin:1", headers={"X-API-Key": wrong})
            else:
                name = f"guess{rnd.getrandbits(32)}"  # a new account each time
                body = urllib.parse.urlencode(
                    {"csrf": csrf, "username": name, "password": "wrong password", "next": ""}
                )
                conn.request(
                    "POST", "/ui/login", body=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded",
                             "Cookie": cookie},
                )  # fmt: skip
            resp = conn.getresponse()
            resp.read()
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            time.sleep(max(0.0, 1 / ATTACK_RATE - (time.perf_counter() - started)))
    except Exception as exc:
        problems.append(f"attacker {i}: {type(exc).__name__}: {exc}")
    finally:
        conn.close()
        out.put((statuses, problems))


@pytest.mark.slow
def test_a_flood_of_wrong_secrets_keeps_other_clients_p99_within_bounds(
    demo: Any, tmp_path: Any
) -> None:
    print(f"flood test seed {SEED}")
    add_user(demo.ws, "flood.target", "a long enough password", "viewer")
    server = start_server(demo.root, str(demo.store.engine.url), tmp_path / "server.log")
    pins = [p["national_id"] for p in demo.people]
    good = {"X-API-Key": demo.keys["social"], "X-Seamline-Purpose": "benefit-eligibility"}
    key_id = demo.keys["tax"].split("_")[1]
    ctx = multiprocessing.get_context("spawn")
    flooding = ctx.Event()
    done = ctx.Event()
    out = ctx.Queue()
    ready = ctx.Queue()
    quiet_ms: list[float] = []
    flood_ms: list[float] = []
    attack_status: dict[int, int] = {}
    errors: list[str] = []

    def normal() -> None:
        rnd = random.Random(SEED)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            while not done.is_set():
                started = time.perf_counter()
                conn.request("GET", f"/v1/persons/kg_pin:{rnd.choice(pins)}", headers=good)
                resp = conn.getresponse()
                resp.read()
                ms = (time.perf_counter() - started) * 1000
                if resp.status != 200:
                    errors.append(f"normal client got {resp.status}")
                (flood_ms if flooding.is_set() else quiet_ms).append(ms)
                time.sleep(max(0.0, 1 / NORMAL_RATE - ms / 1000))
        except Exception as exc:
            errors.append(f"normal client: {type(exc).__name__}: {exc}")
        finally:
            conn.close()

    normal_thread = threading.Thread(target=normal)
    attackers = [
        ctx.Process(target=attack, args=(i, server.port, key_id, flooding, done, ready, out))
        for i in range(ATTACKERS)
    ]
    try:
        for p in attackers:
            p.start()
        for _ in attackers:
            ready.get(timeout=120)
        normal_thread.start()
        for _ in range(ROUNDS):  # quiet, flood, quiet, flood...: bounded, stops by itself
            time.sleep(PERIOD)
            flooding.set()
            time.sleep(PERIOD)
            flooding.clear()
        done.set()
        normal_thread.join(60)
        for _ in attackers:
            statuses, problems = out.get(timeout=60)
            errors.extend(problems)
            for status, n in statuses.items():
                attack_status[status] = attack_status.get(status, 0) + n
        for p in attackers:
            p.join(60)
    finally:
        done.set()
        server.stop()
        for p in attackers:
            if p.is_alive():
                p.kill()
    assert not errors, errors[:5]
    quiet, flood = _p99(quiet_ms), _p99(flood_ms)
    print(
        f"normal client: quiet p50 {statistics.median(quiet_ms):.1f} ms p99 {quiet:.1f} ms "
        f"({len(quiet_ms)} requests); flooded p50 {statistics.median(flood_ms):.1f} ms "
        f"p99 {flood:.1f} ms ({len(flood_ms)}); ratio {flood / quiet:.2f}; "
        f"attack answers {attack_status}"
    )
    assert sum(attack_status.values()) >= ATTACKERS * ATTACK_RATE * PERIOD * ROUNDS * 0.5
    assert set(attack_status) <= {401, 429}, attack_status
    assert attack_status.get(429, 0) > 0  # the limits answered, not scrypt
    # The goal is 2x (measured 1.3-2.0x, printed above); the assertion leaves room for a
    # loaded machine and still fails on the regression it guards against: scrypt on the
    # event loop made the flooded p50 alone ~35x the quiet one.
    assert flood <= 3 * quiet, f"p99 {flood:.1f} ms under the flood vs {quiet:.1f} ms quiet"
