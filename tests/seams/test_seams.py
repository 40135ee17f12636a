"""Contracts on the demo's real data: each rule's observed share against a pyarrow reference."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from seamline.demo.generate import generate_demo
from seamline.errors import SpecError, UsageError
from seamline.pipeline import run_pipeline
from seamline.seams import check_agreements, run_checks, seam_health, write_junit
from seamline.seams.agreements import agreement_status
from seamline.seams.contract import check_query, compile_rules
from seamline.seams.drift import robust_anomaly
from seamline.seams.expr import parse_condition
from seamline.seams.report import CheckReport, parse_duration
from seamline.store import Store
from seamline.store.models import CheckResult
from seamline.workspace import Workspace, load_workspace

LAB = """\
id: rules-lab
title: "Every kind of rule over the civil registry"
provider: civil_persons
consumer: tax-db
owner: {name: "Nurlan Osmonov", agency: civil-registry, email: n.osmonov@civil.example.kg}
agreement:
  reference: "DSA-TEST-001"
  purpose: testing
  legal_basis: "none (test)"
  attributes: [national_id, family_name, birth_date, death_date, status, address_id]
  starts: 2026-01-01
  expires: 2026-03-20
contract:
  allow_new_columns: false
  rules:
    - {attribute: death_date, check: not_null}
    - {attribute: family_name, check: unique}
    - {attribute: national_id, check: pattern, pattern: "^[12][0-9]{13}$"}
    - {attribute: birth_date, check: range, min: 2000-01-01, max: today}
    - {attribute: birth_date, check: range, min: 1900-01-01, max: today, tolerance: 0.5}
    - {attribute: address_id, check: referential, reference: addresses}
    - {attribute: death_date, check: cross_field, expression: "death_date >= birth_date"}
    - {attribute: death_date, check: cross_field, expression: "death_date < birth_date OR status = 'active'"}
    - {attribute: national_id, check: valid_identifier}
    - {attribute: status, check: in_codelist}
    - {attribute: status, check: cross_field, expression: "lower(status) = 'active'"}
    - {attribute: email, check: not_null}
  volume: {min_rows: 100000}
  freshness: {max_age: PT1H, column: LAST_CHANGE}
"""


@dataclass
class Demo:
    ws: Workspace
    store: Store
    report: CheckReport
    now: dt.datetime


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("seams") / "demo"
    generate_demo(root, people=600)
    for seam in (root / "seams").glob("*.yaml"):
        text = seam.read_text(encoding="utf-8")
        seam.write_text(text.replace("min_rows: 1800", "min_rows: 500"), encoding="utf-8")
    (root / "seams" / "rules-lab.yaml").write_text(LAB, encoding="utf-8")
    ws = load_workspace(root, env={})
    now = dt.datetime.now(dt.UTC)
    with Store.open(ws.store_url(env={})) as store:
        run_pipeline(ws, store, datasets=["addresses", "civil_persons"])
        run_id = store.start_run("check", workspace=ws.name)
        report = run_checks(ws, store, None, run_id, now=now)
        yield Demo(ws, store, report, now)


def harmonized(demo: Demo, dataset: str) -> Any:
    return pq.read_table(demo.ws.data_dir / "harmonized" / f"{dataset}.parquet")


def rows_of(demo: Demo, seam: str) -> dict[str, Any]:
    return {r.rule: r for r in demo.report.for_seam(seam)}


def test_the_demo_seams_pass_on_the_demo_data(demo: Demo) -> None:
    for seam in ("addresses-to-social", "civil-to-social", "civil-to-tax"):
        bad = [(r.rule, r.message) for r in demo.report.for_seam(seam) if r.status != "pass"]
        assert bad == [], seam
    rules = rows_of(demo, "civil-to-tax")
    assert set(rules) >= {
        "schema",
        "unique:national_id",
        "volume:rows",
        "volume:change",
        "freshness",
    }
    assert rules["unique:national_id"].owner == "Bakyt Sadykov (tax-service)"


def test_each_rule_matches_a_reference_computed_in_pyarrow(demo: Demo) -> None:
    t = harmonized(demo, "civil_persons")
    n = t.num_rows
    death, birth = t.column("death_date"), t.column("birth_date")
    got = rows_of(demo, "rules-lab")

    def share(rule: str) -> float:
        value = got[rule].observed
        assert value is not None, got[rule].message
        return float(value)

    assert share("not_null:death_date") == pytest.approx(death.null_count / n)
    assert got["not_null:death_date"].status == "fail"
    names = t.column("family_name")
    assert share("unique:family_name") == pytest.approx(
        (len(names) - len(pc.unique(names))) / len(names)
    )
    assert got["pattern:national_id"].status == "pass"
    young = pc.sum(pc.less(birth, pc.cast(dt.date(2000, 1, 1), birth.type))).as_py()
    assert share("range:birth_date") == pytest.approx(young / (n - birth.null_count))
    assert got["range:birth_date"].status == "fail"
    # The same range with a tolerated share of 50 % passes when fewer fail.
    assert got["range:birth_date#2"].status == "pass"
    known = set(harmonized(demo, "addresses").column("address_id").to_pylist())
    ids = [v for v in t.column("address_id").to_pylist() if v is not None]
    assert share("referential:address_id") == pytest.approx(
        sum(v not in known for v in ids) / len(ids)
    )
    dead = n - death.null_count
    assert dead > 0
    assert got["cross_field:death_date"].status == "pass"
    assert share("cross_field:death_date") == 0.0
    # Active people have no death date: the expression is NULL for them, not failing.
    assert got["cross_field:death_date#2"].details["considered"] == pytest.approx(
        pc.sum(pc.or_(pc.is_valid(death), pc.equal(t.column("status"), "active"))).as_py()
    )
    flags = t.column("national_id__flag").to_pylist()
    assert share("valid_identifier:national_id") == pytest.approx(
        flags.count("invalid_identifier") / n
    )
    assert got["in_codelist:status"].status == "pass"
    assert got["cross_field:status"].status == "error"
    assert "LOWER" in got["cross_field:status"].message
    assert got["not_null:email"].status == "error"
    assert got["volume:rows"].status == "fail"
    # LAST_CHANGE is a YYYYMMDD number in the landing zone: its newest day is measured.
    assert got["freshness"].status == "fail"
    assert got["freshness"].details["newest"].startswith("20")
    # email is read by a rule but civil_persons does not map it.
    assert got["schema"].status == "fail"
    assert got["schema"].details["problems"] == ["email: not mapped by dataset civil_persons"]
    # Every landed column is declared in the dataset's fields: nothing new.
    assert got["schema:new_columns"].status == "pass"
    assert got["schema:new_columns"].details["new_columns"] == []


def test_results_are_recorded_and_failures_become_owned_findings(demo: Demo) -> None:
    with demo.store.session() as s:
        stored = list(
            s.scalars(select(CheckResult).where(CheckResult.run_id == demo.report.run_id))
        )
    assert len(stored) == len(demo.report.rows)
    failed = [f for f in demo.store.findings(kind="contract.failed") if f.subject == "rules-lab"]
    failing_rules = {r.rule for r in demo.report.for_seam("rules-lab") if r.status == "fail"}
    assert {f.evidence["rule"] for f in failed} == failing_rules
    assert {f.owner for f in failed} == {"Nurlan Osmonov (civil-registry)"}
    errors = {f.evidence["rule"] for f in demo.store.findings(kind="contract.error")}
    assert errors == {"cross_field:status", "not_null:email"}


def test_junit_has_a_suite_per_seam_and_a_case_per_rule(demo: Demo, tmp_path: Path) -> None:
    path = write_junit(demo.report, tmp_path / "out" / "seams.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == set(demo.ws.seams)
    lab = suites["rules-lab"]
    cases = lab.findall("testcase")
    assert len(cases) == len(demo.report.for_seam("rules-lab")) == int(lab.get("tests", "0"))
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == int(lab.get("failures", "0")) > 0
    message = failures[0].find("failure")
    assert message is not None and "observed" in message.get("message", "")
    assert "expected" in message.get("message", "")
    props = {p.get("name"): p.get("value") for p in lab.iter("property")}
    assert props["owner"] == "Nurlan Osmonov (civil-registry)"
    assert suites["civil-to-tax"].get("failures") == "0"
    body = json.loads(demo.report.to_json())
    assert body["ok"] is False and body["counts"]["checks"] == len(demo.report.rows)


def test_agreements_expiry_and_attributes_outside(demo: Demo) -> None:
    issues = check_agreements(demo.ws, demo.store, demo.report.run_id, today=dt.date(2026, 3, 1))
    found = {(i.seam, i.what) for i in issues}
    assert ("civil-to-tax", "outside_attributes") in found  # marital_status is not agreed
    assert ("rules-lab", "expiring") in found
    assert ("rules-lab", "outside_attributes") in found  # email is not agreed
    assert not any(s == "civil-to-social" for s, _ in found)
    later = check_agreements(
        demo.ws, demo.store, None, seams=["rules-lab"], today=dt.date(2026, 4, 1)
    )
    assert "expired" in {i.what for i in later}
    lab = demo.ws.seams["rules-lab"]
    assert agreement_status(lab, dt.date(2025, 12, 1)) == "not_started"
    assert agreement_status(lab, dt.date(2026, 1, 15)) == "valid"
    owners = {f.owner for f in demo.store.findings(kind="agreement.expired")}
    assert owners == {"Nurlan Osmonov (civil-registry)"}


def test_seam_health_answers_who_is_responsible(demo: Demo) -> None:
    health = {h.seam: h for h in seam_health(demo.ws, demo.store, today=dt.date(2026, 3, 1))}
    assert set(health) == set(demo.ws.seams)
    lab, tax = health["rules-lab"], health["civil-to-tax"]
    assert lab.last_check == "fail" and "not_null:death_date" in lab.failed_rules
    assert lab.open_findings >= len(lab.failed_rules)
    assert tax.last_check == "pass" and tax.owner == "Bakyt Sadykov (tax-service)"
    assert (
        tax.last_delivery is not None
        and tax.last_delivery_rows == harmonized(demo, "civil_persons").num_rows
    )
    assert lab.agreement_status == "expiring"


def test_all_rules_of_a_seam_compile_to_one_scan(demo: Demo) -> None:
    columns = {f.name: str(f.type) for f in harmonized(demo, "civil_persons").schema}
    rules = compile_rules(
        demo.ws.seams["rules-lab"],
        columns,
        today=dt.date(2026, 3, 1),
        references={"addresses": {"address_id"}},
    )
    sql = check_query(rules).sql(dialect="duckdb")
    # One scan of the data; the only other FROM is the referential rule's lookup.
    assert sql.count("FROM seam_data") == 1
    assert sql.count("FROM ") == 2 and "FROM ref_5" in sql
    assert sum(r.runnable for r in rules) == len(rules) - 2


def test_unknown_seam_is_a_usage_error(demo: Demo) -> None:
    with pytest.raises(UsageError, match="did you mean 'civil-to-tax'"):
        run_checks(demo.ws, demo.store, ["civil-to-taks"], demo.report.run_id)


@pytest.mark.parametrize(
    "text",
    ["death_date >= birth_date", "a IS NULL OR (b < 3 AND NOT c = 'x')", "x <> -1"],
)
def test_allowed_expressions_parse(text: str) -> None:
    assert parse_condition(text) is not None


@pytest.mark.parametrize(
    "text",
    ["lower(a) = 'b'", "a = (SELECT 1)", "a; DROP TABLE t", "a", "t.a = 1", "a + 1 > 2", "1 +"],
)
def test_forbidden_expressions_are_spec_errors(text: str) -> None:
    with pytest.raises(SpecError):
        parse_condition(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_expression_text_parses_or_is_a_spec_error(text: str) -> None:
    message = ""
    try:
        tree = parse_condition(text)
    except SpecError as exc:
        message = str(exc)
    else:
        assert tree.sql(dialect="duckdb")
    assert message == "" or "cross-field expression" in message


def test_robust_anomaly_needs_a_real_departure() -> None:
    history = [1000.0, 1010.0, 990.0, 1005.0, 995.0]
    assert robust_anomaly(1002.0, history, 50.0)[0] is False
    assert robust_anomaly(300.0, history, 50.0)[0] is True
    assert robust_anomaly(0.03, [0.0] * 5, 0.02)[0] is False
    assert robust_anomaly(0.5, [0.0] * 5, 0.02)[0] is True


def test_durations() -> None:
    assert parse_duration("P1D") == dt.timedelta(days=1)
    assert parse_duration("PT6H") == dt.timedelta(hours=6)
    assert parse_duration("P2DT12H") == dt.timedelta(days=2, hours=12)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("P")


def test_check_stage_in_the_pipeline(demo: Demo) -> None:
    from seamline.seams.stage import CheckStage

    summary = run_pipeline(demo.ws, demo.store, stages=[CheckStage()])
    (stage,) = summary.stages
    assert stage.status == "checks_failed"
    assert int(summary.exit_code) == 1
    junit = ET.parse(stage.reports["checks"]).getroot()
    assert {s.get("name") for s in junit.findall("testsuite")} == set(demo.ws.seams)
    assert any("rules-lab: not_null:death_date fail" in m for m in stage.messages)
    # The run's console shows one row per seam; every rule is in `seamline check` and JUnit.
    lab = next(d for d in stage.details if d["seam"] == "rules-lab")
    report = json.loads(Path(stage.reports["checks"]).with_name("check-latest.json").read_text())
    lab_rows = [r for r in report["results"] if r["seam"] == "rules-lab"]
    passing = sum(1 for r in lab_rows if r["status"] == "pass")
    assert lab["passed"] == f"{passing}/{len(lab_rows)}"
    assert "not_null:death_date" in lab["not passing"].split(", ")
    assert len(stage.details) == len(demo.ws.seams)
