"""Check a seam's contract on a generated harmonized provider dataset: seamline's
``run_checks`` (all rules compiled into one DuckDB scan) against the same rules written
as a Great Expectations suite (the tool a user would pick instead), in the same run.

The provider is the demo's civil registry extract (``civil_persons``) at 5,000,000 x
scale rows, written with the harmonized layout (value, ``__orig``, ``__flag`` per
attribute); the contract has 17 rules of every kind plus a volume rule. Great
Expectations validates a pandas DataFrame read from the same Parquet file (only the
columns the suite needs); reading it is part of its time, as reading is part of ours.
Both sides must agree on every rule's failing count, or the benchmark says so.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.harness import measure, table

ROWS = 5_000_000
SEAM_ID = "bench-civil"
FAMILY = ["TOKTOGULOVA", "SADYKOV", "OSMONOVA", "ZHEENBEKOVA", "MAMYTOV", "USONOV"]
GIVEN = ["AIGUL", "BAKYT", "NURLAN", "ZHYLDYZ", "EMIL", "DINARA", "MEERIM"]
PATRONYMIC = ["AZAMATOVNA", "ERLANOVNA", "BAKYTOVICH", "NURLANOVICH"]
EXPLAINED = {
    "unique:national_id": "GE counts every copy of a repeated value; seamline counts the "
    "copies beyond the first (the rows a consumer would have to drop)",
    "cross_field:death_date#2": "SQL three-valued logic: a row whose status is unknown "
    "(an unmapped code) is not judged by seamline; GE's pandas row_condition judges it",
}

SEAM = f"""\
id: {SEAM_ID}
title: "Bench: civil registry -> tax service, every kind of rule"
provider: civil_persons
consumer: tax-db
owner: {{name: "Bakyt Sadykov", agency: tax-service, email: b.sadykov@tax.example.kg}}
agreement:
  reference: "DSA-BENCH-001"
  purpose: tax-registration
  legal_basis: "Tax Code, art. 12 (invented)"
  attributes: [national_id, family_name, given_name, patronymic, sex, birth_date, death_date, marital_status, status, address_id]
  starts: 2026-01-01
contract:
  rules:
    - {{attribute: national_id, check: not_null, tolerance: 0.01}}
    - {{attribute: national_id, check: unique}}
    - {{attribute: national_id, check: pattern, pattern: "^[12][0-9]{{13}}$", tolerance: 0.01}}
    - {{attribute: national_id, check: valid_identifier, tolerance: 0.01}}
    - {{attribute: family_name, check: not_null}}
    - {{attribute: given_name, check: not_null}}
    - {{attribute: patronymic, check: not_null}}
    - {{attribute: birth_date, check: not_null, tolerance: 0.01}}
    - {{attribute: birth_date, check: range, min: 1900-01-01, max: today, tolerance: 0.001}}
    - {{attribute: death_date, check: range, min: 1900-01-01, max: today}}
    - {{attribute: death_date, check: cross_field, expression: "death_date >= birth_date"}}
    - {{attribute: death_date, check: cross_field, expression: "death_date IS NULL OR status = 'deceased'", tolerance: 0.01}}
    - {{attribute: sex, check: in_codelist}}
    - {{attribute: marital_status, check: in_codelist, tolerance: 0.01}}
    - {{attribute: status, check: in_codelist, tolerance: 0.01}}
    - {{attribute: address_id, check: pattern, pattern: "^AD[0-9]{{7}}$"}}
    - {{attribute: address_id, check: referential, reference: addresses}}
  volume: {{min_rows: 1000}}
"""


def _local_codes(ws: Any, column: str) -> dict[str, str]:
    """The provider's crosswalk for ``column``: local code -> canonical code."""
    for cl in ws.codelists.values():
        for cw in cl.crosswalks:
            if cw.dataset == "civil_persons" and cw.column == column:
                return {e.local: e.code for e in cw.map}
    raise RuntimeError(f"the demo has no crosswalk for civil_persons.{column}")


def _pick(rng: np.random.Generator, values: list[str], n: int) -> pa.Array[Any]:
    idx = pa.array(rng.integers(0, len(values), n).astype(np.int32))
    return pa.DictionaryArray.from_arrays(idx, pa.array(values)).cast(pa.string())


def _coded(
    rng: np.random.Generator, crosswalk: dict[str, str], n: int, unmapped: float
) -> tuple[pa.Array[Any], pa.Array[Any], pa.Array[Any]]:
    """(harmonized value, original code, flag) with a share of unmapped local codes."""
    local = list(crosswalk)
    orig = _pick(rng, local, n)
    bad = pa.array(rng.random(n) < unmapped)
    orig = pc.if_else(bad, pa.scalar("Z9"), orig)
    keys, canon = pa.array(local), pa.array([crosswalk[k] for k in local])
    value = pc.take(canon, pc.index_in(orig, value_set=keys))
    flag = pc.if_else(bad, pa.scalar("unmapped_code"), pa.scalar(None, pa.string()))
    return value, orig, flag


def generate(path: Path, rows: int, ws: Any, addresses: list[str], seed: int = 7) -> None:
    """A harmonized ``civil_persons`` with a few percent of every kind of problem."""
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    writer: pq.ParquetWriter | None = None
    nullable = pa.scalar(None, pa.string())
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        serial = np.arange(start, start + n, dtype=np.int64)
        digits = (rng.integers(1, 3, n) * 10**13 + 10**12 + serial * 7919 % 10**12).astype(np.int64)
        nid = pc.cast(pa.array(digits), pa.string())
        dup = pa.array(rng.random(n) < 0.0005)  # a few repeated identifiers
        nid = pc.if_else(dup, pa.scalar("21111111111111"), nid)
        invalid = pa.array(rng.random(n) < 0.004)
        nid_orig = pc.if_else(invalid, pc.binary_join_element_wise(nid, "X", ""), nid)
        nid_value = pc.if_else(invalid, nullable, nid)
        nid_flag = pc.if_else(invalid, pa.scalar("invalid_identifier"), nullable)
        birth_days = rng.integers(-25_000, 19_000, n)
        birth_days = np.where(rng.random(n) < 0.0005, -40_000, birth_days)  # before 1900
        birth = pa.array(birth_days.astype("datetime64[D]"), pa.date32())
        birth = pc.if_else(pa.array(rng.random(n) < 0.002), pa.scalar(None, pa.date32()), birth)
        dead = rng.random(n) < 0.05
        death_days = birth_days + rng.integers(-400, 30_000, n)  # some before birth
        death_days = np.minimum(death_days, 20_000)
        death = pa.array(death_days.astype("datetime64[D]"), pa.date32(), mask=~dead)
        sex, sex_o, sex_f = _coded(rng, _local_codes(ws, "SEX_CD"), n, 0.0)
        mar, mar_o, mar_f = _coded(rng, _local_codes(ws, "MARITAL_CD"), n, 0.003)
        status, st_o, st_f = _coded(rng, _local_codes(ws, "STATUS_CD"), n, 0.002)
        status = pc.if_else(pa.array(dead & (rng.random(n) < 0.99)), pa.scalar("deceased"), status)
        addr = _pick(rng, addresses, n)
        addr = pc.if_else(pa.array(rng.random(n) < 0.001), pa.scalar("AD9999999"), addr)
        fam, giv, pat = (_pick(rng, v, n) for v in (FAMILY, GIVEN, PATRONYMIC))
        cols: dict[str, pa.Array[Any]] = {
            "_record_no": pa.array(np.arange(start + 1, start + n + 1)),
            "_source_pos": pc.binary_join_element_wise(
                "record ", pc.cast(pa.array(serial + 1), pa.string()), ""
            ),
        }
        for name, value, orig, flag in (
            ("national_id", nid_value, nid_orig, nid_flag),
            ("family_name", fam, fam, None),
            ("given_name", giv, giv, None),
            ("patronymic", pat, pat, None),
            ("sex", sex, sex_o, sex_f),
            ("birth_date", birth, pc.strftime(birth, format="%Y%m%d"), None),
            ("marital_status", mar, mar_o, mar_f),
            ("status", status, st_o, st_f),
            ("death_date", death, pc.strftime(death, format="%Y%m%d"), None),
            ("address_id", addr, addr, None),
        ):
            cols[name] = value
            cols[f"{name}__orig"] = orig
            cols[f"{name}__flag"] = flag if flag is not None else pa.nulls(n, pa.string())
        t = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, t.schema, compression="zstd")
        writer.write_table(t)
    if writer is not None:
        writer.close()


def prepare(root: Path, rows: int) -> Path:
    """The demo workspace with a generated provider file and the bench seam."""
    from seamline.demo.generate import generate_demo
    from seamline.pipeline import run_pipeline
    from seamline.store import Store
    from seamline.workspace import load_workspace

    generate_demo(root, people=300)
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        run_pipeline(ws, store, datasets=["addresses", "civil_persons"])
    for old in (root / "seams").glob("*.yaml"):
        old.unlink()
    (root / "seams" / f"{SEAM_ID}.yaml").write_text(SEAM, encoding="utf-8")
    harmonized = ws.data_dir / "harmonized"
    addresses = pq.read_table(harmonized / "addresses.parquet", columns=["address_id"])
    known = [a for a in addresses.column("address_id").to_pylist() if a]
    generate(harmonized / "civil_persons.parquet", rows, ws, known)
    return root


def seamline_check(root: str) -> dict[str, int]:
    from seamline.seams import run_checks
    from seamline.store import Store
    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={})
    with Store.open(ws.store_url(env={})) as store:
        run_id = store.start_run("check", workspace=ws.name)
        report = run_checks(ws, store, [SEAM_ID], run_id)
    return {
        r.rule: int(r.details["failing"]) if "failing" in r.details else -1 for r in report.rows
    }


def _suite_rules(ws: Any, root: Path) -> list[tuple[str, Any, list[str]]]:
    """Each contract rule as a Great Expectations expectation: (rule, expectation, columns)."""
    import great_expectations.expectations as gxe

    from seamline.seams.contract import rule_names

    seam = ws.seams[SEAM_ID]
    today = dt.datetime.combine(dt.date.today(), dt.time())
    start = dt.datetime(1900, 1, 1)
    refs = pq.read_table(ws.data_dir / "harmonized" / "addresses.parquet", columns=["address_id"])
    known = sorted({a for a in refs.column("address_id").to_pylist() if a})
    out: list[tuple[str, Any, list[str]]] = []
    for rule, name in zip(seam.contract.rules, rule_names(seam.contract.rules), strict=True):
        attr, mostly = rule.attribute, 1.0 - rule.tolerance
        e: Any
        cols = [attr]
        if rule.check == "not_null":
            e = gxe.ExpectColumnValuesToNotBeNull(column=attr, mostly=mostly)
        elif rule.check == "unique":
            e = gxe.ExpectColumnValuesToBeUnique(column=attr, mostly=mostly)
        elif rule.check == "pattern":
            e = gxe.ExpectColumnValuesToMatchRegex(column=attr, regex=rule.pattern, mostly=mostly)
        elif rule.check == "valid_identifier":
            # GE has no check-digit expectation: count harmonize's flag, as seamline does.
            cols = [f"{attr}__flag"]
            e = gxe.ExpectColumnValuesToNotBeInSet(
                column=cols[0], value_set=["invalid_identifier"], mostly=mostly
            )
        elif rule.check == "in_codelist":
            field = next(f for f in ws.datasets["civil_persons"].fields if f.attribute == attr)
            cols = [f"{attr}__orig"]
            e = gxe.ExpectColumnValuesToBeInSet(
                column=cols[0], value_set=sorted(_local_codes(ws, field.column)), mostly=mostly
            )
        elif rule.check == "range":
            e = gxe.ExpectColumnValuesToBeBetween(
                column=attr, min_value=start, max_value=today, mostly=mostly
            )
        elif rule.check == "referential":
            e = gxe.ExpectColumnValuesToBeInSet(column=attr, value_set=known, mostly=mostly)
        elif rule.expression == "death_date >= birth_date":
            cols = ["death_date", "birth_date"]
            e = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="death_date",
                column_B="birth_date",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                mostly=mostly,
            )
        else:  # death_date IS NULL OR status = 'deceased'
            cols = ["death_date", "status"]
            e = gxe.ExpectColumnValuesToBeNull(
                column="death_date",
                row_condition='status!="deceased"',
                condition_parser="pandas",
                mostly=mostly,
            )
        out.append((name, e, cols))
    return out


def ge_check(root: str) -> dict[str, int]:
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no usage reports from a bench
    import great_expectations as gx
    import pandas as pd

    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={})
    rules = _suite_rules(ws, Path(root))
    columns = sorted({c for _, _, cs in rules for c in cs})
    t = pq.read_table(ws.data_dir / "harmonized" / "civil_persons.parquet", columns=columns)
    df = t.to_pandas(date_as_object=False)
    for c in ("birth_date", "death_date"):
        df[c] = pd.to_datetime(df[c])
    del t
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("civil_persons")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": df}
    )
    suite = context.suites.add(gx.ExpectationSuite(name=SEAM_ID))
    for name, e, _ in rules:
        e.meta = {"rule": name}
        suite.add_expectation(e)
    result = batch.validate(suite, result_format="SUMMARY")
    counts = {}
    for r in result.results:  # GE does not keep the suite's order: match by the rule name
        counts[r.expectation_config.meta["rule"]] = int(r.result.get("unexpected_count") or 0)
    counts["rows"] = len(df)
    return counts


def run(scale: float) -> dict[str, Any]:
    rows = max(10_000, int(ROWS * scale))
    with tempfile.TemporaryDirectory() as tmp:
        root = prepare(Path(tmp) / "ws", rows)
        parquet = root / ".seamline" / "data" / "harmonized" / "civil_persons.parquet"
        mb = parquet.stat().st_size / 1e6
        ours = measure("seamline run_checks (DuckDB)", seamline_check, str(root), mb=mb)
        contenders = [ours]
        out: dict[str, Any] = {"rows": rows, "rules": 17, "parquet_mb": round(mb, 1)}
        try:
            theirs = measure("Great Expectations 1.x (pandas)", ge_check, str(root), mb=mb)
        except RuntimeError as exc:
            out["great_expectations_error"] = str(exc)
        else:
            contenders.append(theirs)
            mismatched = {
                k: (v, theirs.result.get(k))
                for k, v in ours.result.items()
                if k in theirs.result and theirs.result[k] != v and k not in EXPLAINED
            }
            out["mismatched_failing_counts"] = mismatched
            out["explained_differences"] = {
                k: {
                    "seamline": ours.result[k],
                    "great_expectations": theirs.result.get(k),
                    "why": why,
                }
                for k, why in EXPLAINED.items()
                if k in ours.result
            }
            out["ratio"] = round(theirs.seconds / ours.seconds, 2)
        print(table(f"Contract check, {rows:,} rows, 17 rules", contenders, contenders[0].name))
        for m in contenders:
            out[m.name] = {"seconds": round(m.seconds, 2), "peak_mb": round(m.peak_mb)}
        out["failing_counts"] = ours.result
        return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 0.02), indent=2))
