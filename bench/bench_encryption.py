"""The demo pipeline (every stage) at 20,000 x scale people, in clear, with the data
folder's Parquet files encrypted, and with the store's personal columns encrypted too, in
the same run: what encryption at rest costs end to end, and the store's share of it.

The contenders run the same generated workspace (copied, so none reuses another's data
folder or store), each in a fresh process. The encrypted ones read their key from the
environment (``key: "${SEAMLINE_DATA_KEY}"``), so every file of landing, quarantine,
harmonized and reference is written and read encrypted, DuckDB's views included; the
"files only" contender opens its store without the key (as seamline did before the store
was encrypted), the last one with it.
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
CLEAR, FILES, ALL = "in clear", "files encrypted", "files and store encrypted"


def pipeline(root: str, key: str | None, seal_store: bool) -> dict[str, Any]:
    """Run every stage on the workspace at ``root``; statuses and the golden row count."""
    from seamline.pipeline import run_pipeline
    from seamline.store import Store
    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={KEY_ENV: key} if key else {})
    with Store.open(ws.store_url(env={}), key=ws.data_key if seal_store else None) as store:
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
        for name in (CLEAR, FILES, ALL):
            root = Path(tmp) / name.replace(" ", "-")
            shutil.copytree(source, root)
            roots[name] = root
            if name != CLEAR:
                with (root / "seamline.yaml").open("a", encoding="utf-8") as fh:
                    fh.write(f'encryption:\n  key: "${{{KEY_ENV}}}"\n')
        # Encrypted first: a run that goes first pays for a cold file cache, which favours
        # the others, so this order cannot flatter encryption.
        full = measure(ALL, pipeline, str(roots[ALL]), key, True)
        files = measure(FILES, pipeline, str(roots[FILES]), key, False)
        clear = measure(CLEAR, pipeline, str(roots[CLEAR]), None, False)
        data = {n: sum(f.stat().st_size for f in (r / ".seamline" / "data").rglob("*.parquet"))
                for n, r in roots.items()}  # fmt: skip
    runs = (clear, files, full)
    for m in runs:
        if set(m.result["stages"]) != {"ok"}:
            raise RuntimeError(f"the {m.name} run did not pass every stage: {m.result}")
        if m.result["golden"] != clear.result["golden"]:
            raise RuntimeError(f"the runs disagree: {clear.result} != {m.result}")
    print(table(f"demo pipeline, {people:,} people", list(runs), CLEAR))
    speed = {m.name: clear.seconds / m.seconds for m in runs}
    cpu = {m.name: clear.cpu_seconds / m.cpu_seconds for m in runs}
    store_cpu = files.cpu_seconds / full.cpu_seconds
    # On a shared machine the wall time also holds waiting for a core; CPU time does not.
    print(f"encrypted (files and store) speed: {speed[ALL]:.2f}x of the speed in clear by wall "
          f"time, {cpu[ALL]:.2f}x by CPU time (goal >= 0.8x); files only {cpu[FILES]:.2f}x by "
          f"CPU time; the store's encryption alone {store_cpu:.2f}x (CPU, files only = 1); "
          f"Parquet bytes {data[CLEAR] / 1e6:.1f} MB in clear, "
          f"{data[ALL] / 1e6:.1f} MB encrypted")  # fmt: skip
    return {
        "people": people,
        "seconds": {m.name: round(m.seconds, 2) for m in runs},
        "cpu_seconds": {m.name: round(m.cpu_seconds, 2) for m in runs},
        "speed_ratio": {n: round(v, 3) for n, v in speed.items()},
        "cpu_speed_ratio": {n: round(v, 3) for n, v in cpu.items()},
        "store_cpu_ratio": round(store_cpu, 3),
        "parquet_bytes": data,
        "golden_rows": clear.result["golden"],
    }
