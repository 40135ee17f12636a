"""How each stage's time grows with the register: the demo pipeline on the embedded engine
at 100,000, 1,000,000 and 3,000,000 people (times ``scale``), the exponent of each stage's
growth fitted on a log-log scale, and from it a projection to 100,000,000 people.

The baseline here is linear growth: a stage whose exponent is near 1 costs the same per
record at every size, which is what lets a register be sized from a sample. An exponent
well above 1 (a quadratic blocking rule, a sort that spills badly) shows here first. Each
size runs in a fresh process (``bench.harness.measure``) on its own generated workspace
with an SQLite store; stage seconds come from the run's own summary. CPU seconds are
reported next to wall time: on a shared machine the wall time also holds waiting for a
core.

Two exponents are given per stage: the slope fitted over all sizes, and the marginal one
between the two largest sizes. Fixed costs (starting the engine, reading specs, the
model's training sample) flatten the fitted slope at small sizes, so the marginal exponent
is the one that says how the stage grows from there. The projection multiplies the
largest size's time by ``(N / n) ** max(1, k)`` with the marginal ``k`` (never assuming
better than linear growth): one machine like this one, nothing else changed.
docs/scale.md turns it into a cluster estimate and says what that assumes.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import measure

SIZES = (100_000, 1_000_000, 3_000_000)
TARGET = 100_000_000
"""The register size projected to."""


def pipeline(root: str) -> dict[str, Any]:
    """Run every stage on the workspace at ``root``: each stage's status and seconds."""
    from seamline.pipeline import run_pipeline
    from seamline.store import Store
    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={})
    with Store.open(ws.store_url(env={})) as store:
        summary = run_pipeline(ws, store)
    return {
        "stages": {s.stage: {"status": s.status, "seconds": s.seconds} for s in summary.stages},
        "records": sum(
            ws.parquet.num_rows(p) for p in (ws.data_dir / "harmonized").glob("*.parquet")
        ),
        "golden": ws.parquet.num_rows(ws.data_dir / "reference" / "person.parquet"),
    }


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """The slope of log(seconds) over log(size): 1 is linear growth, 2 quadratic."""
    kept = [(n, s) for n, s in zip(sizes, seconds, strict=True) if s > 0]
    if len(kept) < 2:
        return math.nan
    x = np.log([n for n, _ in kept])
    y = np.log([s for _, s in kept])
    return float(np.polyfit(x, y, 1)[0])


def run(scale: float) -> dict[str, Any]:
    from seamline.demo import generate_demo

    sizes = [max(1_000, int(n * scale)) for n in SIZES]
    measured: dict[int, Any] = {}
    with tempfile.TemporaryDirectory(prefix="seamline-bench-scale-") as tmp:
        for people in sizes:
            root = Path(tmp) / f"p{people}"
            generate_demo(root, people=people, seed=7)
            m = measure(f"{people:,} people", pipeline, str(root))
            bad = {k: v["status"] for k, v in m.result["stages"].items() if v["status"] != "ok"}
            if bad:
                raise RuntimeError(f"the run at {people:,} people did not pass: {bad}")
            measured[people] = m
            print(
                f"{people:>11,} people: {m.seconds:8.1f} s wall, {m.cpu_seconds:8.1f} s CPU, "
                f"peak {m.peak_mb:,.0f} MB, {m.result['records']:,} harmonized records, "
                f"{m.result['golden']:,} golden",
                flush=True,
            )
    stages = list(measured[sizes[0]].result["stages"])
    rows: dict[str, Any] = {}
    print(f"{'stage':<12}" + "".join(f"{n:>12,}" for n in sizes) + f"{'fitted':>8}"
          + f"{'marginal':>10}" + f"{'at ' + format(TARGET, ','):>18}")  # fmt: skip
    largest = sizes[-1]
    for stage in [*stages, "total"]:
        secs = [
            sum(v["seconds"] for v in measured[n].result["stages"].values())
            if stage == "total"
            else measured[n].result["stages"][stage]["seconds"]
            for n in sizes
        ]
        fitted = exponent(sizes, secs)
        marginal = exponent(sizes[-2:], secs[-2:])
        k = 1.0 if math.isnan(marginal) else max(1.0, marginal)
        projected = secs[-1] * (TARGET / largest) ** k
        rows[stage] = {"seconds": dict(zip(sizes, secs, strict=True)), "exponent": fitted,
                       "marginal_exponent": marginal,
                       "projected_hours_one_machine": projected / 3600}  # fmt: skip
        print(f"{stage:<12}" + "".join(f"{s:>12.1f}" for s in secs) + f"{fitted:>8.2f}"
              + f"{marginal:>10.2f}" + f"{projected / 3600:>15.1f} h")  # fmt: skip
    return {
        "sizes": sizes,
        "wall_seconds": {n: m.seconds for n, m in measured.items()},
        "cpu_seconds": {n: m.cpu_seconds for n, m in measured.items()},
        "peak_mb": {n: m.peak_mb for n, m in measured.items()},
        "stages": rows,
    }
