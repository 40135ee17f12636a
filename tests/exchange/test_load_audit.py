"""Load and durability: 50 concurrent clients for 60 s against a real uvicorn and store.

Every request — served or refused — must leave exactly one audit event, committed
before its answer: the count is taken while the server still runs. After a graceful
stop the whole chain, signed checkpoints included, verifies.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from liveserver import start_server
from sqlalchemy import func, select

from seamline.exchange import verify_audit
from seamline.store.models import AuditEvent, AuditSignature

CLIENTS = 50
SECONDS = 60.0
SEED = 20261127


def _events(demo: Any) -> Counter[str]:
    with demo.store.session() as s:
        rows = s.execute(select(AuditEvent.outcome, func.count()).group_by(AuditEvent.outcome))
        return Counter({outcome: int(n) for outcome, n in rows})


@pytest.mark.slow
def test_fifty_clients_sixty_seconds_one_event_per_request(demo: Any, tmp_path: Any) -> None:
    print(f"load test seed {SEED}")
    server = start_server(demo.root, str(demo.store.engine.url), tmp_path / "server.log")
    pins = [p["national_id"] for p in demo.people]
    good = {"X-API-Key": demo.keys["social"], "X-Seamline-Purpose": "benefit-eligibility"}
    kinds: list[tuple[str, dict[str, str], int]] = [
        ("lookup", good, 200),
        ("lookup", {**good, "X-Seamline-Purpose": "tax-registration"}, 403),
        ("lookup", {**good, "X-API-Key": "sl_0000_nope"}, 401),
        ("invalid", good, 400),
    ]
    weights = [85, 5, 5, 5]
    statuses: list[Counter[int]] = [Counter() for _ in range(CLIENTS)]
    unexpected: list[str] = []
    failures: list[str] = []
    before = _events(demo)
    stop_at = time.monotonic() + SECONDS

    def client(i: int) -> None:
        rnd = random.Random(SEED + i)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            while time.monotonic() < stop_at:
                kind, headers, want = rnd.choices(kinds, weights)[0]
                ref = f"kg_pin:{rnd.choice(pins)}" if kind == "lookup" else "kg_pin:12"
                conn.request("GET", f"/v1/persons/{ref}", headers=headers)
                resp = conn.getresponse()
                resp.read()
                statuses[i][resp.status] += 1
                if resp.status != want:
                    unexpected.append(f"{kind} {want} -> {resp.status}")
        except Exception as exc:  # a dropped connection would leave a request uncounted
            failures.append(f"client {i}: {type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = sum(statuses, Counter())
        requests = sum(total.values())
        # Counted while the server still runs: each answer waited for its event's commit.
        during = _events(demo)
    finally:
        server.stop()
    assert not failures, failures[:5]
    assert not unexpected, Counter(unexpected).most_common(5)
    print(f"{requests} requests in {SECONDS:.0f} s ({requests / SECONDS:.0f}/s): {dict(total)}")
    assert requests >= CLIENTS * SECONDS  # at least one request a second per client
    served = total[200]
    refused = requests - served
    assert during["ok"] - before["ok"] == served
    assert during["refused"] - before["refused"] == refused
    assert sum(during.values()) - sum(before.values()) == requests
    after = _events(demo)
    assert after == during  # the graceful stop wrote nothing more: nothing was pending
    result = verify_audit(demo.store)
    assert result.ok, result
    with demo.store.session() as s:
        last_signed = s.scalar(select(func.max(AuditSignature.last_event_id)))
        last_event = s.scalar(select(func.max(AuditEvent.id)))
    assert last_signed == last_event  # the head is signed
