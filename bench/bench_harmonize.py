"""Harmonize a generated person dataset: seamline's compiled plan against hand-written
DuckDB SQL (the practical limit) and a straightforward pandas script (what an analyst
writes), on the same Parquet input, in the same run.

Transforms: a 14-digit identifier with separators and a Luhn check digit; birth dates
in three formats; two code lists (status letters, marital numbers); family names
transliterated from Cyrillic to Latin (ICAO); a free-text address standardized. The
baselines do the address with a few abbreviation replacements only (seamline parses
it into parts), so they do less work there.
"""

from __future__ import annotations

import os
import resource
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.harness import measure, table

if TYPE_CHECKING:
    from seamline.crypto.parquet import ParquetFiles

FAMILY = [
    "Токтогулова",
    "Садыков",
    "Осмонова",
    "Жээнбекова",
    "Мамытов",
    "Үсөнов",
    "Чынгышева",
    "Ыдырысов",
]
STREETS = ["ул. Киевская", "пр. Чуй", "ул Ленина", "мкр. Джал", "ул. Токтогула"]
STATUS = {"A": "active", "C": "closed", "S": "suspended"}
MARITAL = {"1": "single", "2": "married", "3": "divorced", "4": "widowed"}
ICAO = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ү": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "ie",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
}


def luhn_digit(body: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Luhn check digits for 13-digit bodies (vectorized)."""
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for pos in range(13):  # rightmost body digit is doubled
        d = rest % 10
        rest //= 10
        if pos % 2 == 0:
            d = d * 2
            d = np.where(d > 9, d - 9, d)
        total += d
    return (10 - total % 10) % 10


def generate(path: Path, rows: int, seed: int = 9) -> None:
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    writer: pq.ParquetWriter | None = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        body = rng.integers(10**12, 10**13 - 1, n)
        digits = body * 10 + luhn_digit(body)
        digits = np.where(rng.random(n) < 0.02, digits + 1, digits)  # 2 % bad check digit
        pin = pc.cast(pa.array(digits), pa.string())
        dashed = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(pin, 0, 1), pc.utf8_slice_codeunits(pin, 1, 14), "-"
        )
        pin = pc.if_else(pa.array(rng.random(n) < 0.3), dashed, pin)
        days = pa.array(
            rng.integers(-20_000, 15_000, n).astype("datetime64[D]").astype("datetime64[s]")
        )
        kind = rng.integers(0, 3, n)
        birth = pc.if_else(
            pa.array(kind == 0),
            pc.strftime(days, format="%d.%m.%Y"),
            pc.if_else(
                pa.array(kind == 1),
                pc.strftime(days, format="%Y-%m-%d"),
                pc.strftime(days, format="%Y%m%d"),
            ),
        )
        fam = pa.DictionaryArray.from_arrays(
            pa.array(rng.integers(0, len(FAMILY), n).astype(np.int32)), pa.array(FAMILY)
        ).cast(pa.string())
        street = pa.DictionaryArray.from_arrays(
            pa.array(rng.integers(0, len(STREETS), n).astype(np.int32)), pa.array(STREETS)
        ).cast(pa.string())
        house = pc.cast(pa.array(rng.integers(1, 200, n)), pa.string())
        address = pc.binary_join_element_wise("г. Бишкек, ", street, " ", house, "")
        status = pa.DictionaryArray.from_arrays(
            pa.array(rng.integers(0, 4, n).astype(np.int32)), pa.array(["A", "C", "S", "X"])
        ).cast(pa.string())
        marital = pc.cast(pa.array(rng.integers(1, 5, n)), pa.string())
        t = pa.table(
            {
                "_record_no": pa.array(np.arange(start + 1, start + n + 1)),
                "_source_pos": pc.cast(pa.array(np.arange(start + 1, start + n + 1)), pa.string()),
                "pin": pin,
                "birth": birth,
                "status": status,
                "marital": marital,
                "family_name": fam,
                "address": address,
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, t.schema, compression="zstd")
        writer.write_table(t)
    if writer is not None:
        writer.close()


def _workspace(root: Path) -> None:
    from seamline.workspace.template import write_example

    write_example(root)
    for old in (root / "datasets").glob("*.yaml"):
        old.unlink()
    for old in (root / "seams").glob("*.yaml"):
        old.unlink()
    for old in (root / "codelists").glob("*.yaml"):
        old.unlink()
    (root / "identifiers").mkdir(exist_ok=True)
    (root / "identifiers" / "bench_pin.yaml").write_text(
        'id: bench_pin\ntitle: "Bench PIN"\nlength: 14\npattern: "[0-9]{14}"\ncheck: luhn\n',
        "utf-8",
    )

    def codelist(cid: str, column: str, mapping: dict[str, str]) -> str:
        codes = "".join(f"  - {{code: {c}}}\n" for c in sorted(set(mapping.values())))
        entries = "".join(f'      - {{local: "{k}", code: {v}}}\n' for k, v in mapping.items())
        return f'id: {cid}\ntitle: "{cid}"\ncodes:\n{codes}crosswalks:\n  - dataset: people\n    column: {column}\n    map:\n{entries}'

    (root / "codelists" / "status.yaml").write_text(codelist("status", "status", STATUS), "utf-8")
    (root / "codelists" / "marital.yaml").write_text(
        codelist("marital", "marital", MARITAL), "utf-8"
    )
    (root / "datasets" / "people.yaml").write_text(
        """id: people
title: "Bench people"
system: civil-registry-db
owner: civil-registry
entity: Person
source: {kind: parquet, path: data/people.parquet}
fields:
  - {column: pin, attribute: national_id, normalize: [{identifier: {scheme: bench_pin}}]}
  - {column: birth, attribute: birth_date, normalize: [{date: {formats: ["DD.MM.YYYY", "YYYY-MM-DD", "YYYYMMDD"]}}]}
  - {column: status, attribute: status, codelist: status}
  - {column: marital, attribute: marital_status, codelist: marital}
  - {column: family_name, attribute: family_name, normalize: [{transliterate: {to: latin, scheme: icao}}]}
  - {column: address, attribute: address_full, normalize: [{address: {part: full}}]}
""",
        "utf-8",
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def imports_only(path: str, tmp: str) -> tuple[int, float]:
    """The floor: a process with seamline's libraries imported and an engine opened."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    from seamline.engine import DuckDBEngine
    from seamline.harmonize import harmonize_dataset  # noqa: F401
    from seamline.workspace import load_workspace  # noqa: F401

    with DuckDBEngine() as engine:
        engine.rows("SELECT 1")
    return pq.ParquetFile(path).metadata.num_rows, _cpu()


def seamline_harmonize(path: str, tmp: str) -> tuple[int, float]:
    import shutil

    from seamline.harmonize import harmonize_dataset
    from seamline.workspace import load_workspace

    root = Path(tmp) / "ws"
    _workspace(root)
    ws = load_workspace(root, env={})
    (ws.data_dir / "landing").mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ws.data_dir / "landing" / "people.parquet")
    rows = harmonize_dataset(ws, "people").rows
    out = ws.data_dir / "harmonized" / "people.parquet"
    _check_order(ws.parquet, out)
    return rows, _cpu()


def _check_order(files: ParquetFiles, path: Path) -> None:
    """The harmonized rows are in landing order (the plan promises it, without a sort)."""
    ids = files.read_table(path, columns=["_record_no"]).column(0).to_numpy()
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        raise RuntimeError("harmonized rows are not in landing order")


def _translit_sql(expr: str) -> str:
    out = f"lower({expr})"
    for cyr, lat in sorted(ICAO.items(), key=lambda kv: -len(kv[1])):
        out = f"replace({out}, '{cyr}', '{lat}')"
    return out


def duckdb_sql(path: str, tmp: str) -> tuple[int, float]:
    import duckdb

    digits = "list_transform(list_reverse(string_split(p, '')), lambda x: CAST(x AS INTEGER))"
    luhn = (
        f"list_sum(list_transform(list_zip({digits}, range(14)), "
        "lambda t: CASE WHEN t[2] % 2 = 1 THEN (CASE WHEN t[1] * 2 > 9 THEN t[1] * 2 - 9 ELSE t[1] * 2 END) ELSE t[1] END)) % 10 = 0"
    )
    status = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STATUS.items())
    marital = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MARITAL.items())
    sql = f"""
    COPY (
      WITH c AS (SELECT *, regexp_replace(pin, '[ ./-]', '', 'g') AS p FROM read_parquet(?))
      SELECT _record_no, _source_pos,
        CASE WHEN regexp_full_match(p, '[0-9]{{14}}') AND {luhn} THEN p END AS national_id,
        CASE WHEN regexp_full_match(p, '[0-9]{{14}}') AND {luhn} THEN NULL ELSE 'invalid_identifier' END AS national_id__flag,
        CAST(coalesce(try_strptime(birth, '%d.%m.%Y'), try_strptime(birth, '%Y-%m-%d'), try_strptime(birth, '%Y%m%d')) AS DATE) AS birth_date,
        CASE status {status} END AS status,
        CASE marital {marital} END AS marital_status,
        {_translit_sql("family_name")} AS family_name,
        replace(replace(replace(address, 'ул. ', 'улица '), 'пр. ', 'проспект '), 'г. ', 'город ') AS address_full
      FROM c
    ) TO '{tmp}/duckdb.parquet' (FORMAT parquet, COMPRESSION zstd)
    """
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(sql, [path])
    rows = int(
        con.sql(f"SELECT count(*) FROM read_parquet('{tmp}/duckdb.parquet')").fetchall()[0][0]
    )
    return rows, _cpu()


def pandas_script(path: str, tmp: str) -> tuple[int, float]:
    import pandas as pd

    df = pd.read_parquet(path)
    p = df["pin"].str.replace(r"[ ./-]", "", regex=True)

    def luhn_ok(s: str) -> bool:
        if len(s) != 14 or not s.isdigit():
            return False
        total = 0
        for i, ch in enumerate(reversed(s)):
            d = int(ch)
            if i % 2 == 1:
                d = d * 2 - 9 if d * 2 > 9 else d * 2
            total += d
        return total % 10 == 0

    ok = p.apply(luhn_ok)
    out = pd.DataFrame({"_record_no": df["_record_no"], "_source_pos": df["_source_pos"]})
    out["national_id"] = p.where(ok)
    out["national_id__flag"] = (~ok).map({True: "invalid_identifier", False: None})
    d1 = pd.to_datetime(df["birth"], format="%d.%m.%Y", errors="coerce")
    d2 = pd.to_datetime(df["birth"], format="%Y-%m-%d", errors="coerce")
    d3 = pd.to_datetime(df["birth"], format="%Y%m%d", errors="coerce")
    out["birth_date"] = d1.fillna(d2).fillna(d3).dt.date
    out["status"] = df["status"].map(STATUS)
    out["marital_status"] = df["marital"].map(MARITAL)
    out["family_name"] = (
        df["family_name"].str.lower().apply(lambda s: "".join(ICAO.get(c, c) for c in s))
    )
    out["address_full"] = (
        df["address"]
        .str.replace("ул. ", "улица ", regex=False)
        .str.replace("пр. ", "проспект ", regex=False)
        .str.replace("г. ", "город ", regex=False)
    )
    out.to_parquet(f"{tmp}/pandas.parquet", compression="zstd")
    return len(out), _cpu()


def run(scale: float) -> dict[str, Any]:
    rows = max(10_000, int(5_000_000 * scale))
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.parquet"
        generate(path, rows)
        mb = path.stat().st_size / 1e6
        floor = measure("imports only", imports_only, str(path), tmp, mb=mb)
        results = [
            measure("seamline harmonize", seamline_harmonize, str(path), tmp, mb=mb),
            measure("hand-written DuckDB SQL", duckdb_sql, str(path), tmp, mb=mb),
            measure("pandas script", pandas_script, str(path), tmp, mb=mb),
        ]
    for m in results:
        if m.result[0] != rows:
            raise RuntimeError(f"{m.name} wrote {m.result[0]} rows, expected {rows}")
    print(
        table(f"harmonize: {rows:,} rows, {mb:.0f} MB Parquet", results, "hand-written DuckDB SQL")
    )
    seam, sql, pandas = results
    print(
        f"load average before the run: {load[0]:.1f} (1 min); CPU seconds: "
        + ", ".join(f"{m.name} {m.result[1]:.1f}" for m in results)
    )
    print(
        f"input on disk {mb:.0f} MB; imports alone peak at {floor.peak_mb:.0f} MB; "
        + "; ".join(
            f"{m.name} peak {m.peak_mb:.0f} MB ({m.peak_mb / mb:.1f}x the input, "
            f"{m.peak_mb - floor.peak_mb:.0f} MB above the imports)"
            for m in results
        )
    )
    print(
        f"seamline throughput vs hand SQL {sql.seconds / seam.seconds:.2f} (goal >= 0.5), "
        f"speed-up vs pandas {pandas.seconds / seam.seconds:.1f}x (goal >= 10x); by CPU time "
        f"{sql.result[1] / seam.result[1]:.2f} and {pandas.result[1] / seam.result[1]:.1f}x"
    )
    return {
        "rows": rows,
        "parquet_mb": round(mb, 1),
        "load_average_1min": round(load[0], 2),
        "imports_only_peak_mb": round(floor.peak_mb),
        "contenders": {
            m.name: {
                "seconds": round(m.seconds, 3),
                "cpu_seconds": round(m.result[1], 3),
                "rows_per_s": round(rows / m.seconds),
                "peak_mb": round(m.peak_mb),
                "peak_vs_input": round(m.peak_mb / mb, 2),
            }
            for m in results
        },
        "seamline_throughput_vs_sql": round(sql.seconds / seam.seconds, 3),
        "seamline_speedup_vs_pandas": round(pandas.seconds / seam.seconds, 2),
        "seamline_cpu_vs_sql": round(sql.result[1] / seam.result[1], 3),
        "seamline_cpu_vs_pandas": round(pandas.result[1] / seam.result[1], 2),
    }
