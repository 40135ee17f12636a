"""Run the billing workspace's ``derived/*.yaml`` SQL on DuckDB, as the derived stage will.

Until the derived stage exists, this stands in for it in the tests: each spec's SQL is
parsed by sqlglot and written back in DuckDB's dialect (as an engine-neutral stage
would), runs over views of the harmonized files (and of the derived ones before it), and
the result is written to ``<data_dir>/derived/<id>.parquet`` where the evaluation reads it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import sqlglot
import yaml

ORDER = ("billing_lines", "invoices", "payment_links", "invoice_aging", "category_totals")


def run_derived(root: Path, data_dir: Path) -> dict[str, int]:
    con = duckdb.connect()
    for path in sorted((data_dir / "harmonized").glob("*.parquet")):
        con.execute(f"CREATE VIEW \"{path.stem}\" AS SELECT * FROM read_parquet('{path}')")
    out = data_dir / "derived"
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for name in ORDER:
        spec = yaml.safe_load((root / "derived" / f"{name}.yaml").read_text(encoding="utf-8"))
        (sql,) = sqlglot.transpile(spec["sql"], read="duckdb", write="duckdb")
        table = con.sql(sql).to_arrow_table()
        pq.write_table(table, out / f"{name}.parquet")
        con.register(f"{name}_arrow", table)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{name}_arrow"')
        rows[name] = table.num_rows
    return rows
