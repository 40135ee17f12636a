"""The demo pipeline (every stage) at 20,000 x scale people, with and without encryption
at rest, in the same run: what Parquet modular encryption costs end to end.

Both contenders run the same generated workspace (copied, so neither reuses the other's
data folder), each in a fresh process. The encrypted one reads its key from the
environment (``key: "${SEAMLINE_DATA_KEY}"``), so every file of landing, quarantine,
harmonized and reference is written and read encrypted, DuckDB's views included.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import measure, table

PEOPLE = 20_000
KEY_ENV = "SEAMLINE_DATA_KEY"


def pipeline(root: str, key: str | None) -> dict[str, Any]:
    """Run every stage on the workspace at ``root``; statuses and the golden row count."""
    from seamline.pipeline import run_pipeline
    from seamline.store import Store
    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={KEY_ENV: key} if key else {})
    with Store.open(ws.store_url(env={})) as store:
        summary = run_pipeline(ws, store)
    golden = ws.parquet.num_rows(ws.data_dir / "reference" / "person.parquet")
    return {"stages": [s.status for s in summary.stages], "golden": golden}


def run(scale: float) -> dict[str, Any]:
    from seamline.demo import generate_demo

    people = max(500, int(PEOPLE * scale))
    key = base64.b64encode(os.urandom(32)).decode()
    with tempfile.TemporaryDirectory(prefix="seamline-bench-enc-") as tmp:
        source = Path(tmp) / "demo"
        generate_demo(source, people=people, seed=11)
        roots = {}
        for name in ("in clear", "encrypted"):
            root = Path(tmp) / name.replace(" ", "-")
            shutil.copytree(source, root)
            roots[name] = root
        with (roots["encrypted"] / "seamline.yaml").open("a", encoding="utf-8") as fh:
            fh.write(f'encryption:\n  key: "${{{KEY_ENV}}}"\n')
        # Encrypted first: a run that goes first pays for a cold file cache, which favours
        # the other contender, so this order cannot flatter encryption.
        encrypted = measure("encrypted", pipeline, str(roots["encrypted"]), key)
        clear = measure("in clear", pipeline, str(roots["in clear"]), None)
        data = {n: sum(f.stat().st_size for f in (r / ".seamline" / "data").rglob("*.parquet"))
                for n, r in roots.items()}  # fmt: skip
    for m in (clear, encrypted):
        if m.result["stages"] != ["ok"] * 5:
            raise RuntimeError(f"the {m.name} run did not pass every stage: {m.result}")
    if clear.result["golden"] != encrypted.result["golden"]:
        raise RuntimeError(f"the runs disagree: {clear.result} != {encrypted.result}")
    print(table(f"demo pipeline, {people:,} people", [clear, encrypted], "in clear"))
    speed = clear.seconds / encrypted.seconds
    cpu = clear.cpu_seconds / encrypted.cpu_seconds
    # On a shared machine the wall time also holds waiting for a core; CPU time does not.
    print(f"encrypted speed: {speed:.2f}x of the speed in clear by wall time, {cpu:.2f}x by CPU "
          f"time (goal >= 0.8x); Parquet bytes {data['in clear'] / 1e6:.1f} MB in clear, "
          f"{data['encrypted'] / 1e6:.1f} MB encrypted")  # fmt: skip
    return {
        "people": people,
        "seconds": {m.name: round(m.seconds, 2) for m in (clear, encrypted)},
        "cpu_seconds": {m.name: round(m.cpu_seconds, 2) for m in (clear, encrypted)},
        "speed_ratio": round(speed, 3),
        "cpu_speed_ratio": round(cpu, 3),
        "parquet_bytes": data,
        "golden_rows": clear.result["golden"],
    }
