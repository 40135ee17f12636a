"""Copybook reading on Spark's executors: one process vs a 2-process pool vs Spark
``local[2]``, against DuckDB on the same data as ASCII fixed-width text.

``run(scale)`` writes the file of :mod:`bench.bench_copybook` (1,000,000*scale records of
100 bytes: COMP-3, COMP, zoned and text fields) and times each contender in its own
subprocess, in the same run. The Spark contender reads the way connect does on a
workspace with ``engine: spark``: the reader's byte ranges decoded by the executors
(``ReadContext.ranges``), the batches merged in the driver. Its session is started before
the clock starts (``spark_start_seconds`` is reported apart); the executors' Python
workers start inside the timed read, as they do in a run.

Spark's work happens in other processes (the JVM and its Python workers), so for it the
CPU seconds and peak memory are also given for the whole process tree: CPU as the tree's
user and system time during the read, memory as the sum of each process's own peak
(``VmHWM``), an upper bound of the tree's peak.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.bench_copybook import DUCK, OURS, _measure, generate

MASTER = "local[2]"

TREE = """
def _tree():
    \"\"\"(CPU seconds, sum of peak MB) of this process's descendants, read from /proc.\"\"\"
    kids = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            kids.setdefault(int(fields[1]), []).append((int(entry), fields))
    tick = os.sysconf("SC_CLK_TCK")
    cpu = peak = 0.0
    todo = [os.getpid()]
    while todo:
        for pid, fields in kids.get(todo.pop(), []):
            todo.append(pid)
            cpu += sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
            try:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmHWM:"):
                        peak += int(line.split()[1]) / 1024
            except OSError:
                pass
    return cpu, peak
"""

SPARK = (
    TREE
    + """
from seamline.engine.spark_engine import spark_session
from seamline.engine.spark_ranges import SparkRanges
from seamline.sources.base import ReadContext
from seamline.sources.copybook import CopybookOptions, CopybookReader
CONF = {"spark.driver.memory": "1g", "spark.ui.enabled": "false"}
S0 = time.perf_counter()
spark_session("MASTER", CONF)
START = time.perf_counter() - S0
TREE0 = _tree()[0]
T0 = time.perf_counter()
runner = SparkRanges("MASTER", CONF)
opts = CopybookOptions(path="payments.dat", copybook="payments.cpy", workers=WORKERS)
context = ReadContext(base_dir=FOLDER, batch_size=65536, ranges=runner)
rows = quarantined = 0
for b in CopybookReader(opts, context).batches():
    rows += b.data.num_rows
    quarantined += len(b.quarantined)
TREE1 = _tree()
RESULT = {"rows": rows, "quarantined": quarantined, "ranges": runner.tasks_run,
          "spark_start_seconds": START, "tree_cpu_seconds": TREE1[0] - TREE0,
          "tree_peak_mb": TREE1[1]}
"""
).replace("MASTER", MASTER)


def run(scale: float = 1.0) -> dict[str, Any]:
    n = max(1000, int(1_000_000 * scale))
    with tempfile.TemporaryDirectory(prefix="seamline-bench-") as tmp:
        folder = Path(tmp)
        ebcdic, ascii_path = generate(folder, n)
        contenders = {
            "seamline, 1 process": _measure(OURS, folder),
            "seamline, 2-process pool": _measure(OURS, folder, workers=2),
            f"seamline, Spark {MASTER}": _measure(SPARK, folder, workers=2),
            "DuckDB fixed-width (ASCII)": _measure(DUCK, folder),
        }
        sizes = {"ebcdic": ebcdic.stat().st_size, "ascii": ascii_path.stat().st_size}
    mb = 1024 * 1024
    duck = contenders["DuckDB fixed-width (ASCII)"]
    duck_rate = sizes["ascii"] / mb / duck["seconds"] if "seconds" in duck else 0.0
    rows: dict[str, dict[str, Any]] = {}
    for name, res in contenders.items():
        if "seconds" not in res:
            rows[name] = res
            continue
        nbytes = sizes["ascii"] if name.startswith("DuckDB") else sizes["ebcdic"]
        rate = nbytes / mb / res["seconds"]
        cpu = res["cpu_seconds"] + res.get("tree_cpu_seconds", 0.0)
        rows[name] = {
            **{k: round(v, 2) if isinstance(v, float) else v for k, v in res.items()},
            "mb_s": round(rate, 1),
            "mb_per_cpu_s": round(nbytes / mb / cpu, 1) if cpu else None,
            "vs_duckdb": round(rate / duck_rate, 2) if duck_rate else None,
        }
    print(
        f"{'reader':<30}{'s':>7}{'MB/s':>8}{'CPU s':>8}{'MB/CPU s':>10}{'peak MB':>9}{'vs DuckDB':>11}"
    )
    for name, r in rows.items():
        if "error" in r:
            print(f"{name:<30} failed: {r['error']}")
            continue
        cpu = r["cpu_seconds"] + r.get("tree_cpu_seconds", 0.0)
        peak = r["peak_rss_mb"] + r.get("tree_peak_mb", 0.0)
        print(
            f"{name:<30}{r['seconds']:>7.2f}{r['mb_s']:>8.1f}{cpu:>8.2f}"
            f"{r['mb_per_cpu_s'] or 0:>10.1f}{peak:>9.0f}{r['vs_duckdb']:>10.2f}x"
        )
    return {"records": n, "file_mb": round(sizes["ebcdic"] / mb, 1), "contenders": rows}


if __name__ == "__main__":
    print(run(float(sys.argv[1]) if len(sys.argv) > 1 else 0.1))
