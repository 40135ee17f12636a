"""The inventory profiler against DuckDB's SUMMARIZE and ydata-profiling, same data.

A generated 5,000,000-row, 20-column register table (times SEAMLINE_BENCH_SCALE). DuckDB's
SUMMARIZE computes the basic statistics (the practical limit); ydata-profiling in minimal
mode runs on a 200,000-row sample (what an analyst would run). seamline computes far
more: value patterns, date formats, top values, exact distinct counts, detectors.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.harness import measure, table

FAMILY = ["Токтогулова", "Садыков", "Осмонова", "Абдрахманов", "Жээнбекова", "Мамытов", "Иванова"]
GIVEN = ["Айгүл", "Бакыт", "Жылдыз", "Нурлан", "Гүлнара", "Азамат", "Elena"]
STATUS = ["active", "closed", "suspended", "A", "C"]
REGIONS = ["г. Бишкек", "Чуйская область", "Ошская область", "Нарынская область"]


def _pick(rng: np.random.Generator, vocab: list[str], n: int) -> pa.Array:
    idx = pa.array(rng.integers(0, len(vocab), n).astype(np.int32))
    return pa.DictionaryArray.from_arrays(idx, pa.array(vocab)).cast(pa.string())


def _dates(rng: np.random.Generator, n: int, fmt: str) -> pa.Array:
    days = rng.integers(-20_000, 15_000, n)
    ts = pa.array(days.astype("datetime64[D]").astype("datetime64[s]"))
    return pc.strftime(ts, format=fmt)


def generate(path: Path, rows: int, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    writer: pq.ParquetWriter | None = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        pins = pc.cast(
            pa.array(rng.integers(10_000_000_000_000, 29_999_999_999_999, n)), pa.string()
        )
        cols = {
            "pin": pins,
            "tin": pc.cast(pa.array(rng.integers(100_000_000, 999_999_999, n)), pa.string()),
            "family_name": _pick(rng, FAMILY, n),
            "given_name": _pick(rng, GIVEN, n),
            "birth_dmy": _dates(rng, n, "%d.%m.%Y"),
            "birth_iso": _dates(rng, n, "%Y-%m-%d"),
            "registered": _dates(rng, n, "%Y%m%d"),
            "status": _pick(rng, STATUS, n),
            "sex": _pick(rng, ["M", "F"], n),
            "region": _pick(rng, REGIONS, n),
            "post_code": pc.cast(pa.array(rng.integers(720_000, 725_999, n)), pa.string()),
            "phone": pc.binary_join_element_wise(
                "+996 555 ", pc.cast(pa.array(rng.integers(100_000, 999_999, n)), pa.string()), ""
            ),
            "email": pc.binary_join_element_wise(
                "user",
                pc.cast(pa.array(rng.integers(0, 10**6, n)), pa.string()),
                "@mail.example.kg",
                "",
            ),
            "amount": pa.array(rng.normal(15_000, 4_000, n).round(2)),
            "children": pa.array(rng.integers(0, 6, n)),
            "income": pa.array(rng.integers(0, 500_000, n)),
            "house": pc.cast(pa.array(rng.integers(1, 300, n)), pa.string()),
            "note": _pick(rng, ["", "проверено", "to check", "—"], n),
            "score": pa.array(rng.random(n)),
            "case_no": pc.binary_join_element_wise(
                "SF-", pc.cast(pa.array(np.arange(start, start + n)), pa.string()), ""
            ),
        }
        t = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, t.schema, compression="zstd")
        writer.write_table(t)
    if writer is not None:
        writer.close()


def seamline_profile(path: str) -> int:
    from seamline.crypto.parquet import PLAIN
    from seamline.inventory.profiler import profile_parquet

    return len(profile_parquet(Path(path), "bench", files=PLAIN, country="KG").fields)


def duckdb_summarize(path: str) -> int:
    import duckdb

    con = duckdb.connect()
    return len(con.sql("SUMMARIZE SELECT * FROM read_parquet(?)", params=[path]).fetchall())


def ydata_minimal(path: str, rows: int) -> int:
    import warnings

    warnings.filterwarnings("ignore")
    from ydata_profiling import ProfileReport

    frame = pq.ParquetFile(path).read_row_group(0).slice(0, rows).to_pandas()
    report = ProfileReport(frame, minimal=True, progress_bar=False)
    return len(report.get_description().variables)


def run(scale: float) -> dict[str, Any]:
    rows = max(10_000, int(5_000_000 * scale))
    sample = max(5_000, int(200_000 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.parquet"
        generate(path, rows)
        mb = path.stat().st_size / 1e6
        results = [
            measure("seamline inventory profile", seamline_profile, str(path), mb=mb),
            measure("duckdb SUMMARIZE", duckdb_summarize, str(path), mb=mb),
        ]
        try:
            ydata = measure(
                f"ydata-profiling minimal ({sample:,} rows)", ydata_minimal, str(path), sample
            )
            results.append(ydata)
        except RuntimeError as exc:  # not installed: say so, never hide it
            print(f"ydata-profiling not measured: {exc}")
            ydata = None
    print(
        table(
            f"profile: {rows:,} rows x 20 columns, {mb:.0f} MB Parquet", results, "duckdb SUMMARIZE"
        )
    )
    seam, summ = results[0], results[1]
    out: dict[str, Any] = {
        "rows": rows,
        "columns": 20,
        "parquet_mb": round(mb, 1),
        "contenders": {
            m.name: {"seconds": round(m.seconds, 3), "peak_mb": round(m.peak_mb)} for m in results
        },
        "seamline_over_summarize": round(seam.seconds / summ.seconds, 2),
    }
    if ydata is not None:
        per_row_seamline = seam.seconds / rows
        per_row_ydata = ydata.seconds / sample
        out["ydata_per_row_over_seamline_per_row"] = round(per_row_ydata / per_row_seamline, 1)
    return out
