"""Exchange API lookups per second and latency, with the durable audit log on and off.

``run(scale)`` builds a demo workspace (2,000*scale people, at least 500), starts
``seamline.ui.serve.serve`` (what `seamline serve` runs) with uvicorn twice in
subprocesses on loopback, audit off and audit on, and drives identifier lookups from this process with 50 concurrent
keep-alive connections (threads) for 10*scale seconds (at least 3) per mode, after a
1 s warm-up that is not timed, alternating between the modes in rounds. With audit on, it then checks that
the log holds exactly one event per request (warm-up included) and that the chain
verifies.

The load generator shares the machine's cores with the server, so absolute numbers
are a floor; the audit-on / audit-off ratio is the figure to watch.
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq

CONCURRENCY = 50
WARMUP_SECONDS = 1.0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _build(root: Path, people: int) -> tuple[str, list[str]]:
    from seamline.demo import generate_demo
    from seamline.exchange import add_client
    from seamline.harmonize.stage import HarmonizeStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.reconcile.stage import ReconcileStage
    from seamline.store import Store
    from seamline.workspace import load_workspace

    generate_demo(root, people=people, seed=5)
    ws = load_workspace(root)
    with Store.open(ws.store_url()) as store:
        run_pipeline(ws, store, stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()])
        _, key = add_client(store, "bench-tax", "tax-db")
    table = pq.read_table(ws.data_dir / "reference" / "person.parquet", columns=["national_id"])
    pins = [p for p in table.column("national_id").to_pylist() if p]
    return key, pins


def _load(port: int, key: str, pins: list[str], seconds: float) -> dict[str, Any]:
    # Threads over http.client keep-alive connections: httpx's asyncio pool topped out
    # near 150 requests/s here and would have measured itself, not the server.
    headers = {"Authorization": f"Bearer {key}", "X-Seamline-Purpose": "tax-registration"}
    latencies: list[list[float]] = [[] for _ in range(CONCURRENCY)]
    errors = [0] * CONCURRENCY
    stop_at = time.perf_counter() + seconds

    def worker(i: int) -> None:
        rnd = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = latencies[i]
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            conn.request("GET", f"/v1/persons/kg_pin:{rnd.choice(pins)}", headers=headers)
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status != 200:
                errors[i] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for per in latencies for x in per)
    n = len(flat)
    return {
        "requests": n,
        "errors": sum(errors),
        "seconds": elapsed,
        "lookups_per_s": round(n / elapsed, 1),
        "latencies": flat,
    }


# The server `seamline serve` runs, with the audit log switched off for the comparison:
# an option no operator should have, so the bench sets it in Python.
_SERVER = (
    "import sys; from pathlib import Path; "
    "from seamline.ui.serve import serve; "
    "from seamline.exchange.service import ExchangeConfig; "
    "serve(Path(sys.argv[1]), port=int(sys.argv[2]), "
    "config=ExchangeConfig(audit=sys.argv[3] == 'on'), log_level='warning')"
)


def _serve(root: Path, port: int, audit: bool) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", _SERVER, str(root), str(port), "on" if audit else "off"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
            )
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become ready")


def _audit_count(root: Path) -> tuple[int, bool]:
    from sqlalchemy import func, select

    from seamline.exchange import verify_audit
    from seamline.store import Store
    from seamline.store.models import AuditEvent
    from seamline.workspace import load_workspace

    ws = load_workspace(root)
    with Store.open(ws.store_url()) as store:
        with store.session() as s:
            n = int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)
        return n, verify_audit(store).ok


ROUNDS = 4


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``), 0.0 where there is none.

    CPU time per request is the figure that other load on a shared machine disturbs
    least: it counts the server's own work, not the time it waited for a core.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    flat = sorted(x for p in parts for x in p["latencies"])
    n = len(flat)
    seconds = sum(p["seconds"] for p in parts)
    return {
        "requests": n,
        "errors": sum(p["errors"] for p in parts),
        "seconds": round(seconds, 2),
        "lookups_per_s": round(n / seconds, 1) if seconds else 0.0,
        "p50_ms": round(flat[n // 2] * 1000, 2) if n else None,
        "p99_ms": round(flat[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
    }


def run(scale: float = 1.0) -> dict[str, Any]:
    """Both servers run side by side; the load alternates between them in ``ROUNDS``
    rounds (off, on, off, on...), so a change in the machine's other load during the
    run falls on both modes alike instead of on whichever ran second."""
    people = max(500, int(2000 * scale))
    seconds = max(3.0, 10.0 * scale)
    out: dict[str, Any] = {
        "people": people,
        "concurrency": CONCURRENCY,
        "cores": os.cpu_count(),
        "rounds": ROUNDS,
        "loadavg_before": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        key, pins = _build(root, people)
        before = _audit_count(root)[0]
        ports = {"audit_off": _port(), "audit_on": _port()}
        procs = {}
        try:
            for mode, port in ports.items():
                procs[mode] = _serve(root, port, mode == "audit_on")
            # Warm-up, not timed: the first requests pay for the key's scrypt check,
            # cold caches and the first commits, which is startup, not throughput.
            warm = {mode: _load(port, key, pins, WARMUP_SECONDS) for mode, port in ports.items()}
            parts: dict[str, list[dict[str, Any]]] = {mode: [] for mode in ports}
            cpu = dict.fromkeys(ports, 0.0)
            for _ in range(ROUNDS):
                for mode, port in ports.items():
                    start = _cpu_seconds(procs[mode].pid)
                    parts[mode].append(_load(port, key, pins, seconds / ROUNDS))
                    cpu[mode] += _cpu_seconds(procs[mode].pid) - start
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(30)
        for mode in ports:
            out[mode] = _merge(parts[mode])
            out[mode]["warmup_requests"] = warm[mode]["requests"]
            n = out[mode]["requests"]
            out[mode]["server_cpu_us_per_request"] = round(cpu[mode] / n * 1e6, 1) if n else None
        count, ok = _audit_count(root)
        sent = out["audit_on"]["requests"] + out["audit_on"]["warmup_requests"]
        out["audit_on"]["audit_events"] = count - before
        out["audit_on"]["audit_exact"] = count - before == sent
        out["audit_on"]["audit_verifies"] = ok
    on, off = out["audit_on"]["lookups_per_s"], out["audit_off"]["lookups_per_s"]
    out["throughput_ratio_on_vs_off"] = round(on / off, 3) if off else None
    rounds = [
        round(a["lookups_per_s"] / b["lookups_per_s"], 3)
        for a, b in zip(parts["audit_on"], parts["audit_off"], strict=True)
        if b["lookups_per_s"]
    ]
    out["ratio_per_round"] = rounds
    cpu_on = out["audit_on"]["server_cpu_us_per_request"]
    cpu_off = out["audit_off"]["server_cpu_us_per_request"]
    # The throughput one core would give with the audit on, relative to off.
    out["cpu_ratio_off_vs_on"] = round(cpu_off / cpu_on, 3) if cpu_on and cpu_off else None
    out["loadavg_after"] = os.getloadavg()[0]
    print(
        f"exchange lookups: audit on {on}/s p50 {out['audit_on']['p50_ms']} ms "
        f"p99 {out['audit_on']['p99_ms']} ms | audit off {off}/s p50 "
        f"{out['audit_off']['p50_ms']} ms p99 {out['audit_off']['p99_ms']} ms | ratio "
        f"{out['throughput_ratio_on_vs_off']} (rounds {rounds}) | server CPU per request "
        f"on {cpu_on} us off {cpu_off} us, ratio {out['cpu_ratio_off_vs_on']} | load "
        f"{out['loadavg_before']:.1f}->{out['loadavg_after']:.1f}"
    )
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(float(os.environ.get("SEAMLINE_BENCH_SCALE", "0.5"))), indent=2))
