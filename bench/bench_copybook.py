"""Copybook connector throughput: our vectorized reader (one and two processes) vs the PyPI
``copybook`` package vs DuckDB.

``run(scale)`` writes a 1,000,000*scale-record fixed-length EBCDIC file (100-byte records:
COMP-3, COMP, zoned DISPLAY and text) plus the same data as ASCII fixed-width text, and
times each reader in its own subprocess (so peak RSS is per measurement).

The PyPI ``copybook`` package only parses a layout and converts DISPLAY text field by
field (it cannot decode packed or binary bytes), so it gets the ASCII file and a 20,000
record slice; DuckDB reads the ASCII file as lines and slices columns with SQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

COPYBOOK = """\
       01  PAYMENT.
           05  PAYMENT-ID      PIC 9(9) COMP.
           05  PAYER-NAME      PIC X(30).
           05  CITY            PIC X(20).
           05  AMOUNT          PIC S9(9)V99 COMP-3.
           05  BALANCE         PIC S9(13)V99 COMP-3.
           05  UNITS           PIC S9(7) COMP-3.
           05  TRIES           PIC S9(4) COMP.
           05  ACCOUNT         PIC 9(8).
           05  PAID-ON         PIC X(8).
           05  FEE             PIC S9(5)V99 COMP-3.
           05  BRANCH          PIC X(6).
"""
RECORD = 100
ASCII_COPYBOOK = """\
       01  PAYMENT.
           05  PAYMENT-ID      PIC 9(9).
           05  PAYER-NAME      PIC X(30).
           05  CITY            PIC X(20).
           05  AMOUNT          PIC 9(9)V99.
           05  ACCOUNT         PIC 9(8).
           05  PAID-ON         PIC X(8).
"""
ASCII_RECORD = 9 + 30 + 20 + 11 + 8 + 8 + 1  # + newline

NAMES = ["Aigul Toktogulova", "Bakyt Sadykov", "Nurlan Asanov", "Cholpon Bekova", "Azamat Usenov"]
CITIES = ["Bishkek", "Osh", "Karakol", "Naryn", "Talas", "Jalal-Abad"]


def _packed(values: np.ndarray[Any, Any], nbytes: int) -> np.ndarray[Any, Any]:
    digits = nbytes * 2 - 1
    out = np.zeros((len(values), nbytes), dtype=np.uint8)
    v = np.abs(values).astype(np.int64)
    nibbles = np.zeros((len(values), digits + 1), dtype=np.uint8)
    for i in range(digits - 1, -1, -1):
        nibbles[:, i] = v % 10
        v //= 10
    nibbles[:, digits] = np.where(values < 0, 0x0D, 0x0C)
    out[:] = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    return out


def _text(
    choices: list[str], idx: np.ndarray[Any, Any], width: int, codec: str
) -> np.ndarray[Any, Any]:
    table = np.array([list(c.ljust(width)[:width].encode(codec)) for c in choices], dtype=np.uint8)
    return table[idx % len(choices)]


def _digits(values: np.ndarray[Any, Any], width: int, zero: int) -> np.ndarray[Any, Any]:
    out = np.zeros((len(values), width), dtype=np.uint8)
    v = np.abs(values).astype(np.int64)
    for i in range(width - 1, -1, -1):
        out[:, i] = zero + v % 10
        v //= 10
    return out


def generate(folder: Path, n: int) -> tuple[Path, Path]:
    """Write n EBCDIC records and the same n records as ASCII text lines."""
    ebcdic, ascii_path = folder / "payments.dat", folder / "payments.txt"
    rng = np.random.default_rng(7)
    chunk = 200_000
    with ebcdic.open("wb") as fe, ascii_path.open("wb") as fa:
        for start in range(0, n, chunk):
            k = min(chunk, n - start)
            ids = np.arange(start + 1, start + k + 1, dtype=np.int64)
            amount = rng.integers(-(10**8), 10**10, k)
            pick = rng.integers(0, 1000, k)
            account = rng.integers(0, 10**8, k)
            rec = np.zeros((k, RECORD), dtype=np.uint8)
            rec[:, 0:4] = ids.astype(">u4").view(np.uint8).reshape(k, 4)
            rec[:, 4:34] = _text(NAMES, pick, 30, "cp037")
            rec[:, 34:54] = _text(CITIES, pick, 20, "cp037")
            rec[:, 54:60] = _packed(amount, 6)
            rec[:, 60:68] = _packed(amount * 37, 8)
            rec[:, 68:72] = _packed(pick * 11, 4)
            rec[:, 72:74] = (pick % 100).astype(">i2").view(np.uint8).reshape(k, 2)
            rec[:, 74:82] = _digits(account, 8, 0xF0)
            rec[:, 82:90] = _text(["20240131", "20231105"], pick, 8, "cp037")
            rec[:, 90:94] = _packed(pick * 3, 4)
            rec[:, 94:100] = _text(["BRN001", "BRN002", "HQ    "], pick, 6, "cp037")
            fe.write(rec.tobytes())
            line = np.zeros((k, ASCII_RECORD), dtype=np.uint8)
            line[:, 0:9] = _digits(ids, 9, 0x30)
            line[:, 9:39] = _text(NAMES, pick, 30, "ascii")
            line[:, 39:59] = _text(CITIES, pick, 20, "ascii")
            line[:, 59:70] = _digits(np.abs(amount), 11, 0x30)
            line[:, 70:78] = _digits(account, 8, 0x30)
            line[:, 78:86] = _text(["20240131", "20231105"], pick, 8, "ascii")
            line[:, 86] = 0x0A
            fa.write(line.tobytes())
    (folder / "payments.cpy").write_text(COPYBOOK)
    (folder / "payments_ascii.cpy").write_text(ASCII_COPYBOOK)
    return ebcdic, ascii_path


OURS = """
from seamline.sources.base import ReadContext
from seamline.sources.copybook import CopybookOptions, CopybookReader
T0 = time.perf_counter()
opts = CopybookOptions(path="payments.dat", copybook="payments.cpy", workers=WORKERS)
reader = CopybookReader(opts, ReadContext(base_dir=FOLDER, batch_size=65536))
rows = quarantined = 0
for b in reader.batches():
    rows += b.data.num_rows
    quarantined += len(b.quarantined)
RESULT = {"rows": rows, "quarantined": quarantined}
"""

PYPI = """
import copybook
T0 = time.perf_counter()
root = copybook.parse_string(open(FOLDER / "payments_ascii.cpy").read())
fields = [f for f in root.flatten() if type(f).__name__ == "Field"]
spans, pos = [], 0
for f in fields:
    n = f.get_total_length()
    spans.append((f, pos, pos + n))
    pos += n
rows = 0
with open(FOLDER / "payments.txt", "rb") as fh:
    for i, raw in enumerate(fh):
        if i >= SLICE:
            break
        line = raw.decode("ascii")
        record = {f.name: f.parse(line[a:b]) for f, a, b in spans}
        rows += 1
RESULT = {"rows": rows}
"""

DUCK = """
import duckdb
T0 = time.perf_counter()
con = duckdb.connect()
n = con.execute(
    "select count(*), sum(amount) from (select cast(substr(line,1,9) as bigint) id, "
    "trim(substr(line,10,30)) name, trim(substr(line,40,20)) city, "
    "cast(substr(line,60,11) as decimal(11,0)) / 100 amount, cast(substr(line,71,8) as int) acct, "
    "substr(line,79,8) paid from read_csv(?, columns={'line': 'VARCHAR'}, delim='\\x01', "
    "header=false, quote='', escape=''))",
    [str(FOLDER / "payments.txt")],
).fetchone()
RESULT = {"rows": int(n[0])}
"""

HARNESS = """
import json, os, resource, sys, time
from pathlib import Path
FOLDER = Path(sys.argv[1]); SLICE = int(sys.argv[2]); WORKERS = int(sys.argv[3])
{body}
RESULT["seconds"] = time.perf_counter() - T0
C1 = os.times()
# CPU seconds of this process and its workers (the machine may be busy with other work)
RESULT["cpu_seconds"] = sum(getattr(C1, k) - getattr(C0, k) for k in (
    "user", "system", "children_user", "children_system"))
# VmHWM: this process's own peak (ru_maxrss would carry the parent's across exec)
RESULT["peak_rss_mb"] = next(
    int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:")
)
print(json.dumps(RESULT))
"""


def _measure(body: str, folder: Path, slice_n: int = 0, workers: int = 1) -> dict[str, Any]:
    body = textwrap.dedent(body).replace(
        "T0 = time.perf_counter()", "T0 = time.perf_counter(); C0 = os.times()"
    )
    code = HARNESS.format(body=body)
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(slice_n), str(workers)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(scale: float = 1.0) -> dict[str, Any]:
    n = max(1000, int(1_000_000 * scale))
    slice_n = min(n, 20_000)
    with tempfile.TemporaryDirectory(prefix="seamline-bench-") as tmp:
        folder = Path(tmp)
        ebcdic, ascii_path = generate(folder, n)
        ours = _measure(OURS, folder)
        ours2 = _measure(OURS, folder, workers=2)
        pypi = _measure(PYPI, folder, slice_n)
        duck = _measure(DUCK, folder)
        sizes = {"ebcdic": ebcdic.stat().st_size, "ascii": ascii_path.stat().st_size}
    mb = 1024 * 1024

    def rate(res: dict[str, Any], nbytes: float) -> float:
        return round(nbytes / mb / res["seconds"], 1) if "seconds" in res else 0.0

    def cpu_rate(res: dict[str, Any], nbytes: float) -> float:
        return round(nbytes / mb / res["cpu_seconds"], 1) if res.get("cpu_seconds") else 0.0

    ours_mbs = rate(ours, sizes["ebcdic"])
    ours2_mbs = rate(ours2, sizes["ebcdic"])
    pypi_mbs = rate(pypi, slice_n * ASCII_RECORD)
    duck_mbs = rate(duck, sizes["ascii"])
    result: dict[str, Any] = {
        "records": n,
        "file_mb": round(sizes["ebcdic"] / mb, 1),
        "ours_mb_s": ours_mbs,
        "ours_seconds": round(ours.get("seconds", 0.0), 2),
        "ours_peak_rss_mb": round(ours.get("peak_rss_mb", 0.0), 1),
        "ours_quarantined": ours.get("quarantined"),
        "ours_cpu_seconds": round(ours.get("cpu_seconds", 0.0), 2),
        "ours_mb_per_cpu_s": cpu_rate(ours, sizes["ebcdic"]),
        "ours_2_workers_mb_s": ours2_mbs,
        "ours_2_workers_seconds": round(ours2.get("seconds", 0.0), 2),
        "ours_2_workers_cpu_seconds": round(ours2.get("cpu_seconds", 0.0), 2),
        "ours_2_workers_peak_rss_mb": round(ours2.get("peak_rss_mb", 0.0), 1),
        "speedup_2_workers": round(ours2_mbs / ours_mbs, 2) if ours_mbs else None,
        "duckdb_cpu_seconds": round(duck.get("cpu_seconds", 0.0), 2),
        "pypi_copybook_mb_s": pypi_mbs,
        "pypi_copybook_records": slice_n,
        "pypi_peak_rss_mb": round(pypi.get("peak_rss_mb", 0.0), 1),
        "duckdb_ascii_mb_s": duck_mbs,
        "duckdb_peak_rss_mb": round(duck.get("peak_rss_mb", 0.0), 1),
        "ratio_vs_pypi": round(ours_mbs / pypi_mbs, 1) if pypi_mbs else None,
        "ratio_vs_duckdb": round(ours_mbs / duck_mbs, 2) if duck_mbs else None,
        "errors": {
            k: v["error"]
            for k, v in {"ours": ours, "ours2": ours2, "pypi": pypi, "duckdb": duck}.items()
            if "error" in v
        },
    }
    print(f"{'reader':<28}{'MB/s':>10}{'peak MB':>10}{'CPU s':>8}")
    print(
        f"{'seamline copybook (EBCDIC)':<28}{ours_mbs:>10}{result['ours_peak_rss_mb']:>10}"
        f"{result['ours_cpu_seconds']:>8}"
    )
    print(
        f"{'seamline, 2 workers':<28}{ours2_mbs:>10}{result['ours_2_workers_peak_rss_mb']:>10}"
        f"{result['ours_2_workers_cpu_seconds']:>8}"
    )
    print(f"{'PyPI copybook (ASCII slice)':<28}{pypi_mbs:>10}{result['pypi_peak_rss_mb']:>10}")
    print(f"{'DuckDB fixed-width (ASCII)':<28}{duck_mbs:>10}{result['duckdb_peak_rss_mb']:>10}")
    return result


if __name__ == "__main__":
    print(run(float(sys.argv[1]) if len(sys.argv) > 1 else 0.1))
