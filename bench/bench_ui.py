"""Latency of the UI's pages on a generated demo workspace (20,000 people x scale).

Each page is requested through FastAPI's TestClient (no network), signed in as an admin;
the median of several requests is reported. The entity and code-list pages are also
timed on their first request (the entity page prepares the records from every dataset,
the code-list page queries every coded column and ranks suggestions; both keep the
result until their files change) against later requests, in the same process.
There is no other tool to compare with: the ratios that matter are each first request
against the later ones, and each page against the overview.

The audit page is also timed inside the exchange app (as ``seamline serve`` runs it) on a
hash-chained log of 50,000 x scale events, where every page view appends one event: the
first request walks the whole chain, later ones verify only the events written since.
A whole walk (``verify_audit``, what every request did before) is timed beside them, and
the newest page of the log against its oldest page.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

PEOPLE = 20_000
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _median_ms(client: Any, path: str, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        resp = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status_code}")
    return statistics.median(times)


def _audit_log(ws: Any, tmp: Path, n: int) -> dict[str, float]:
    """The audit page inside the exchange on a log of ``n`` events (see the module doc)."""
    import datetime as dt

    from fastapi.testclient import TestClient

    from seamline.exchange import ExchangeConfig, verify_audit
    from seamline.exchange.app import create_app
    from seamline.exchange.audit import Event, append_now
    from seamline.exchange.keys import load_or_create_key
    from seamline.store import Store
    from seamline.ui import mount_ui

    ms: dict[str, float] = {}
    key = load_or_create_key(tmp / "audit.pem")
    with Store.open(f"sqlite:///{tmp}/audit.db") as store:
        events = [
            Event("bench", "tax", "person.lookup", f"person:p{i}", "tax-registration", "ok",
                  {"subjects": [f"p{i}"]})
            for i in range(n)
        ]  # fmt: skip
        append_now(store, key, events)
        t = time.perf_counter()
        assert verify_audit(store).ok
        ms[f"verify_audit, {n:,} events"] = (time.perf_counter() - t) * 1000
        app = create_app(
            ws, store, ExchangeConfig(key_path=tmp / "audit.pem", today=dt.date(2026, 6, 1))
        )
        mount_ui(app, ws, store)
        with TestClient(app) as c:
            token = CSRF.search(c.get("/ui/login").text)
            assert token is not None
            c.post("/ui/login", data={"csrf": token.group(1), "username": "bench.admin",
                                      "password": "correct horse battery"})  # fmt: skip
            t = time.perf_counter()
            page = c.get("/ui/audit")
            ms["audit in exchange (first)"] = (time.perf_counter() - t) * 1000
            if "The audit chain is intact" not in page.text:
                raise RuntimeError("the audit page did not verify the chain")
            ms["audit in exchange (later)"] = _median_ms(c, "/ui/audit", 5)
            ms["audit, oldest log page"] = _median_ms(c, "/ui/audit?before=201", 5)
    return ms


def run(scale: float) -> dict[str, Any]:
    import datetime as dt

    from fastapi.testclient import TestClient

    from seamline.demo import generate_demo
    from seamline.harmonize.stage import HarmonizeStage
    from seamline.inventory.stage import InventoryStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.reconcile.stage import ReconcileStage
    from seamline.reconcile.worklist import load_worklist
    from seamline.seams.stage import CheckStage
    from seamline.store import Store
    from seamline.ui import add_user, create_ui_app
    from seamline.workspace import load_workspace

    people = max(200, int(PEOPLE * scale))
    out: dict[str, Any] = {"people": people, "ms": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        generate_demo(root, people=people, seed=11)
        ws = load_workspace(root, env={})
        with Store.open(f"sqlite:///{tmp}/store.db") as store:
            stages = [ConnectStage(), InventoryStage(), HarmonizeStage(), CheckStage()]
            run_pipeline(ws, store, stages=[*stages, ReconcileStage()])
            add_user(ws, "bench.admin", "correct horse battery", "admin")
            entity = next(r["entity_id"] for r in load_worklist(store) if r["kind"] == "conflict")
            app = create_ui_app(ws, store, today=dt.date(2026, 6, 1))
            with TestClient(app) as c:
                page = c.get("/login")
                token = CSRF.search(page.text)
                assert token is not None
                c.post("/login", data={"csrf": token.group(1), "username": "bench.admin",
                                       "password": "correct horse battery"})  # fmt: skip
                for name, path in (("entity", f"/entities/{entity}"), ("codes", "/codes")):
                    t = time.perf_counter()
                    c.get(path)
                    out["ms"][f"{name} (first request)"] = (time.perf_counter() - t) * 1000
                for name, path in (
                    ("overview", "/"),
                    ("catalogue", "/catalogue"),
                    ("dataset", "/datasets/civil_persons"),
                    ("seams", "/seams"),
                    ("seam", "/seams/civil-to-tax"),
                    ("codes (later requests)", "/codes"),
                    ("worklist", "/worklist"),
                    ("entity (later requests)", f"/entities/{entity}"),
                    ("audit", "/audit"),
                ):
                    out["ms"][name] = _median_ms(c, path, 5)
            out["ms"].update(_audit_log(ws, Path(tmp), int(50_000 * scale)))
    base = out["ms"]["overview"]
    print(f"UI pages, {people:,} people (median of 5 requests, ms; x = vs the overview)")
    for name, ms in out["ms"].items():
        print(f"  {name:<26}{ms:>9.1f}{ms / base:>8.1f}x")
    return out
