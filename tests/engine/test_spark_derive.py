"""Derived datasets and drift on both engines: Spark gives DuckDB's outputs and findings.

The demo (100 people) gets two derived datasets, written in DuckDB's dialect the way a
user writes them (``GROUP BY ALL``, ``FILTER``, ``strftime``, a date minus a date, a
window, ``damerau_levenshtein``; the second reads the first), and seven civil records
with a status code no crosswalk maps (a new code for drift). It is delivered twice,
into two workspaces with a PostgreSQL store each: connect and harmonize on the embedded
engine in both, so that both read the same harmonized files (harmonize's own parity is
``test_spark_parity.py``'s). Then one workspace switches to ``engine: spark`` and both
run derive and check: the derived files, the derived datasets' contract results and the
drift findings must be equal, and the Spark run says where each stage ran.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from spark_demo import CONF, demo_pair, session_fixture, spark_yaml

from seamline.derive import DeriveStage
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, RunSummary, run_pipeline
from seamline.seams.drift import detect_drift
from seamline.seams.stage import CheckStage
from seamline.store import Store
from seamline.store.models import CheckResult, Finding
from seamline.workspace import load_workspace

MASTER = "local[2]"
RECORD = 160  # bytes of one civil registry record (data/civil/persons.cpy)
STATUS_AT = 100  # 0-based offset of STATUS-CD in a record
NEW_CODE_RECORDS = range(3, 10)

PEOPLE_BY_STATUS = """\
id: people_by_status
title: People per status and decade of birth
owner: civil-registry
primary_key: [status, decade]
sql: |
  SELECT coalesce(status, 'unmapped') AS status,
         CAST(floor(year(birth_date) / 10) * 10 AS INTEGER) AS decade,
         count(*) AS people,
         count(*) FILTER (WHERE death_date IS NOT NULL) AS deceased,
         count(*) FILTER (WHERE marital_status IS NULL) AS marital_unknown,
         min(strftime(birth_date, '%Y-%m')) AS first_month,
         max(DATE '2026-01-01' - CAST(birth_date AS DATE)) AS oldest_days
  FROM civil_persons
  WHERE birth_date IS NOT NULL
  GROUP BY ALL
contract:
  rules:
    - {attribute: people, check: range, min: 1}
    - {attribute: deceased, check: range, min: 0, max: 0}
"""

SOCIAL_MATCHES = """\
id: social_matches
title: Benefit cases against the civil registry
owner: social-fund
sql: |
  WITH civil AS (
    SELECT national_id, family_name, birth_date, status,
           row_number() OVER (PARTITION BY national_id ORDER BY _record_no) AS nth
    FROM civil_persons
    WHERE national_id IS NOT NULL
  )
  SELECT s.national_id, s.status AS social_status, c.status AS civil_status,
         damerau_levenshtein(coalesce(upper(s.family_name), ''),
                             coalesce(upper(c.family_name), '')) AS name_edits,
         s.birth_date = c.birth_date AS same_birth_date,
         p.people AS people_like_them
  FROM social_cases AS s
  JOIN civil AS c ON c.national_id = s.national_id AND c.nth = 1
  LEFT JOIN people_by_status AS p
    ON p.status = coalesce(c.status, 'unmapped')
   AND p.decade = CAST(floor(year(c.birth_date) / 10) * 10 AS INTEGER)
"""


def _edit(root: Path) -> None:
    """Two derived datasets, and a status code the crosswalk does not know."""
    (root / "derived").mkdir(exist_ok=True)
    (root / "derived" / "people_by_status.yaml").write_text(PEOPLE_BY_STATUS, encoding="utf-8")
    (root / "derived" / "social_matches.yaml").write_text(SOCIAL_MATCHES, encoding="utf-8")
    path = root / "data" / "civil" / "persons.dat"
    data = bytearray(path.read_bytes())
    for i in NEW_CODE_RECORDS:
        data[i * RECORD + STATUS_AT] = "X".encode("cp037")[0]
    path.write_bytes(bytes(data))


@dataclass
class Ran:
    root: Path
    summary: RunSummary
    seconds: float
    checks: list[tuple[Any, ...]]
    drift: list[tuple[Any, ...]]
    again: int
    """Drift findings a second detection on the same delivery raised (none)."""

    def stage(self, name: str) -> Any:
        return next(s for s in self.summary.stages if s.stage == name)

    def derived(self, ident: str) -> Any:
        return pq.read_table(self.root / ".seamline" / "data" / "derived" / f"{ident}.parquet")


def _deliver(root: Path, url: str) -> None:
    ws = load_workspace(root, env={"SEAMLINE_STORE": url})
    with Store.open(url) as store:
        summary = run_pipeline(ws, store, stages=[ConnectStage(), HarmonizeStage()])
    assert [s.status for s in summary.stages] == ["ok", "ok"], summary.stages


def _derive_and_check(root: Path, url: str) -> Ran:
    ws = load_workspace(root, env={"SEAMLINE_STORE": url})
    started = time.perf_counter()
    with Store.open(url) as store:
        summary = run_pipeline(ws, store, stages=[DeriveStage(), CheckStage()])
        seconds = time.perf_counter() - started
        run_id = store.start_run("check", workspace=ws.name)
        again = len(detect_drift(ws, store, run_id).drifts)
        store.finish_run(run_id, "ok")
        with store.session() as s:
            checks = sorted(
                (r.seam, r.rule, r.attribute or "", r.status, r.observed)
                for r in s.query(CheckResult).all()
                if r.rule != "freshness"  # the data's age when checked
            )
            drift = sorted(
                (f.kind, f.subject, f.evidence.get("key"), f.severity, f.owner, f.message)
                for f in s.query(Finding).all()
                if f.kind.startswith("drift.")
            )
    return Ran(root, summary, seconds, checks, drift, again)


spark = session_fixture(MASTER, CONF)


@pytest.fixture(scope="module")
def runs(
    spark: None, tmp_path_factory: pytest.TempPathFactory, postgres_databases: Callable[[], str]
) -> tuple[Ran, Ran]:
    base = tmp_path_factory.mktemp("derive")
    duck_root, spark_root = demo_pair(base, "engine: duckdb\n", people=100, edit=_edit)
    urls = postgres_databases(), postgres_databases()
    for root, url in zip((duck_root, spark_root), urls, strict=True):
        _deliver(root, url)
    project = spark_root / "seamline.yaml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("engine: duckdb\n", spark_yaml(MASTER, CONF)), "utf-8")
    duck = _derive_and_check(duck_root, urls[0])
    on_spark = _derive_and_check(spark_root, urls[1])
    for run in (duck, on_spark):
        stages = ", ".join(f"{s.stage} {s.seconds:.1f}" for s in run.summary.stages)
        print(f"\n{run.root.name}: derive and check {run.seconds:.1f} s ({stages})")
    return duck, on_spark


def test_both_engines_derive_the_same_files(runs: tuple[Ran, Ran]) -> None:
    duck, on_spark = runs
    for run in runs:
        assert run.stage("derive").status == "ok", run.stage("derive").messages
    for ident in ("people_by_status", "social_matches"):
        a, b = duck.derived(ident), on_spark.derived(ident)
        # Names, order and types; not nullability: Spark's writer marks a column it knows
        # is never null (a count, a grouping key) required, DuckDB's marks every one optional.
        typed = [(f.name, f.type) for f in a.schema]
        assert [(f.name, f.type) for f in b.schema] == typed, f"{ident}:\n{a.schema}\n{b.schema}"
        assert a.num_rows == b.num_rows > 0, ident
        keys = [(c, "ascending") for c in a.column_names]
        assert b.sort_by(keys).to_pylist() == a.sort_by(keys).to_pylist(), ident
    rows = duck.derived("people_by_status").to_pylist()
    assert sum(r["people"] for r in rows if r["status"] == "unmapped") >= len(NEW_CODE_RECORDS)
    assert all(r["oldest_days"] > 0 for r in rows)
    edits = duck.derived("social_matches").column("name_edits").to_pylist()
    assert any(e == 0 for e in edits), edits  # the same name in both systems
    assert any(e and e > 0 for e in edits), edits

    def seen(run: Ran) -> list[tuple[Any, ...]]:
        return [(d["derived"], d["rows"], d["reads"]) for d in run.stage("derive").details]

    assert seen(on_spark) == seen(duck)
    assert [d for d, *_ in seen(duck)] == ["people_by_status", "social_matches"]


def test_the_derived_contracts_give_the_same_results(runs: tuple[Ran, Ran]) -> None:
    duck, on_spark = runs
    derived = [c for c in duck.checks if c[0] == "people_by_status"]
    assert {c[3] for c in derived} >= {"pass", "fail"}, derived  # the deceased are counted
    assert on_spark.checks == duck.checks


def test_drift_finds_the_same_new_codes(runs: tuple[Ran, Ran]) -> None:
    duck, on_spark = runs
    new = [d for d in duck.drift if d[0] == "drift.new_code"]
    assert {(kind, seam) for kind, seam, *_ in new} == {
        ("drift.new_code", "civil-to-social"),
        ("drift.new_code", "civil-to-tax"),
    }
    assert all(f"in {len(NEW_CODE_RECORDS)} rows" in d[-1] for d in new), new
    assert on_spark.drift == duck.drift
    # A new code is reported once: checking the same delivery again raises nothing.
    assert duck.again == on_spark.again == 0


def test_the_spark_run_says_where_derive_and_drift_ran(runs: tuple[Ran, Ran]) -> None:
    duck, on_spark = runs
    assert all(s.where == "" for s in duck.summary.stages)
    where = {s.stage: s.where for s in on_spark.summary.stages}
    assert where["derive"].startswith(f"derive ran its queries on Spark ({MASTER})")
    assert f"on Spark ({MASTER}), and drift's count of unmapped codes" in where["check"]
