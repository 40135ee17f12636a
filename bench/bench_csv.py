"""The csv connector against pyarrow's and DuckDB's CSV readers, same file, same output.

All three read a generated UTF-8 register extract (Cyrillic names, quoted addresses)
and write Parquet. seamline also keeps each record's line and checks every row's field
count and bytes, which the baselines do not; the ratio shows what that costs. Clean
stretches of a file take seamline's pyarrow path; around a record pyarrow cannot read
exactly (here: a ragged first record) the line-by-line path reads one short stretch
and hands back, so the second seamline row shows what one bad record costs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import measure, table

FAMILY = ["Токтогулова", "Садыков", "Осмонова", "Абдрахманов", "Жээнбекова", "Мамытов"]
GIVEN = ["Айгүл", "Бакыт", "Жылдыз", "Нурлан", "Гүлнара", "Азамат"]
STREETS = ["ул. Киевская", "пр. Чуй", "ул. Ленина", "мкр. Джал"]


def generate(path: Path, rows: int, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    pins = rng.integers(10_000_000_000_000, 29_999_999_999_999, rows)
    fam = rng.integers(0, len(FAMILY), rows)
    giv = rng.integers(0, len(GIVEN), rows)
    day = rng.integers(1, 29, rows)
    month = rng.integers(1, 13, rows)
    year = rng.integers(1940, 2010, rows)
    street = rng.integers(0, len(STREETS), rows)
    house = rng.integers(1, 200, rows)
    amount = rng.integers(0, 10_000_000, rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("pin,family_name,given_name,birth_date,status,address,amount\n")
        chunk = 100_000
        for start in range(0, rows, chunk):
            end = min(rows, start + chunk)
            fh.writelines(
                f"{pins[i]},{FAMILY[fam[i]]},{GIVEN[giv[i]]},{day[i]:02d}.{month[i]:02d}.{year[i]},"
                f'A,"Бишкек, {STREETS[street[i]]} {house[i]}",{amount[i] / 100:.2f}\n'
                for i in range(start, end)
            )


def seamline_land(path: str, out: str) -> int:
    from seamline.crypto.parquet import PLAIN
    from seamline.sources.base import ReadContext
    from seamline.sources.delimited import CsvOptions
    from seamline.sources.landing import land

    result = land(
        "bench",
        CsvOptions(path=path, encoding="utf-8"),
        Path(out),
        ReadContext(base_dir=Path(out)),
        files=PLAIN,
    )
    return result.landed


def seamline_land_ragged(path: str, out: str) -> int:
    ragged = Path(out) / "ragged.csv"
    with Path(path).open("rb") as src, ragged.open("wb") as dst:
        dst.write(src.readline() + b"1,2\n")  # header, then a ragged record
        while chunk := src.read(1 << 24):
            dst.write(chunk)
    return seamline_land(str(ragged), out)


def seamline_read(path: str, out: str) -> int:
    """The reader alone (no landing): what this reader costs against pyarrow.csv's read."""
    from seamline.sources.base import ReadContext
    from seamline.sources.delimited import CsvOptions, CsvReader

    reader = CsvReader(CsvOptions(path=path, encoding="utf-8"), ReadContext(base_dir=Path(out)))
    return sum(b.data.num_rows for b in reader.batches())


def pyarrow_read(path: str, out: str) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = ["pin", "family_name", "given_name", "birth_date", "status", "address", "amount"]
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    return int(pacsv.read_csv(path, convert_options=convert).num_rows)


def pyarrow_csv(path: str, out: str) -> int:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table_ = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(
                ["pin", "family_name", "given_name", "birth_date", "status", "address", "amount"],
                __import__("pyarrow").string(),
            )
        ),
    )
    pq.write_table(table_, f"{out}/pyarrow.parquet", compression="zstd")
    return table_.num_rows


def duckdb_csv(path: str, out: str) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM read_csv(?, all_varchar = true, header = true)) "
        "TO '" + out + "/duckdb.parquet' (FORMAT parquet, COMPRESSION zstd)",
        [path],
    )
    return int(
        con.sql(
            "SELECT count(*) FROM read_parquet(?)", params=[f"{out}/duckdb.parquet"]
        ).fetchall()[0][0]
    )


def run(scale: float) -> dict[str, Any]:
    rows = max(1000, int(1_000_000 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.csv"
        generate(path, rows)
        mb = path.stat().st_size / 1e6
        results = [
            measure("seamline csv -> landing", seamline_land, str(path), tmp, mb=mb),
            measure(
                "seamline csv, ragged first record", seamline_land_ragged, str(path), tmp, mb=mb
            ),
            measure("pyarrow.csv -> parquet", pyarrow_csv, str(path), tmp, mb=mb),
            measure("duckdb read_csv -> parquet", duckdb_csv, str(path), tmp, mb=mb),
            measure("seamline csv reader (no landing)", seamline_read, str(path), tmp, mb=mb),
            measure("pyarrow.csv read (no writing)", pyarrow_read, str(path), tmp, mb=mb),
        ]
    for m in results:
        if m.result != rows:
            raise RuntimeError(f"{m.name} read {m.result} rows, expected {rows}")
    print(table(f"csv: {rows:,} rows, {mb:.0f} MB", results, "duckdb read_csv -> parquet"))
    return {
        "rows": rows,
        "mb": round(mb, 1),
        "contenders": {
            m.name: {
                "seconds": round(m.seconds, 3),
                "mb_per_s": round(m.mb_per_s, 1),
                "peak_mb": round(m.peak_mb),
                "cpu_seconds": round(m.cpu_seconds, 3),
            }
            for m in results
        },
        "seamline_vs_duckdb": round(results[3].seconds / results[0].seconds, 3),
        "seamline_vs_pyarrow": round(results[2].seconds / results[0].seconds, 3),
        "line_by_line_vs_duckdb": round(results[3].seconds / results[1].seconds, 3),
        "reader_vs_pyarrow_read": round(results[5].seconds / results[4].seconds, 3),
        "reader_vs_pyarrow_read_cpu": round(results[5].cpu_seconds / results[4].cpu_seconds, 3),
    }
