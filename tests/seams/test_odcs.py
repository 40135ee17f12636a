"""ODCS export and import: round trips, a contract from other tools, malformed input."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from seamline.demo.generate import generate_demo
from seamline.errors import SpecError
from seamline.seams.odcs import export_odcs, import_odcs
from seamline.workspace import Workspace, load_workspace
from seamline.workspace.models import ContractSpec, RuleSpec, SeamSpec

LAB = """\
id: rules-lab
title: "Every kind of rule over the civil registry"
description: "Checks the tax service asked for after the 2026 name-change incident."
provider: civil_persons
consumer: tax-db
owner: {name: "Nurlan Osmonov", agency: civil-registry, email: n.osmonov@civil.example.kg}
agreement:
  reference: "DSA-TEST-001"
  purpose: testing
  legal_basis: "none (test)"
  attributes: [national_id, family_name, birth_date, death_date, status, address_id]
  retention: P2Y6M
  starts: 2026-01-01
  expires: 2026-03-20
change_windows: {civil_persons: "Sun 02:00-04:00", tax-db: "Sat 22:00-23:00"}
contract:
  allow_new_columns: false
  rules:
    - {attribute: death_date, check: not_null, tolerance: 0.95}
    - {attribute: family_name, check: unique, tolerance: 0.2}
    - {attribute: national_id, check: pattern, pattern: "^[12][0-9]{13}$", description: "sex digit first"}
    - {attribute: birth_date, check: range, min: 2000-01-01, max: today}
    - {attribute: national_id, check: not_null}
    - {attribute: birth_date, check: range, min: 1900-01-01, max: today, tolerance: 0.5}
    - {attribute: address_id, check: referential, reference: addresses}
    - {attribute: death_date, check: cross_field, expression: "death_date >= birth_date"}
    - {attribute: national_id, check: valid_identifier, tolerance: 0.0001}
    - {attribute: status, check: in_codelist}
    - {attribute: national_id, check: unique}
  volume: {min_rows: 100, max_rows: 900000, max_change: 0.25}
  freshness: {max_age: PT1H, column: LAST_CHANGE}
"""

FOREIGN = """\
apiVersion: v3.0.2
kind: DataContract
id: social-cases-out
name: Social cases for the pension fund
version: 2.1.0
status: active
schema:
  - name: social_cases
    physicalName: social_cases
    logicalType: object
    properties:
      - name: case_id
        logicalType: string
        required: true
        quality:
          - rule: duplicateCount
            mustBeLessThan: 1
            unit: rows
      - name: national_id
        logicalType: string
        logicalTypeOptions: {pattern: "^[0-9]{14}$"}
        quality:
          - type: library
            rule: nullCheck
            mustBeLessOrEqualTo: 2.5
            unit: percent
          - type: sql
            query: SELECT COUNT(*) FROM social_cases WHERE national_id = ''
            mustBe: 0
      - name: opened
        logicalType: date
        logicalTypeOptions: {minimum: 2000-01-01, maximum: 2030-12-31}
      - name: benefit
        logicalType: string
        quality:
          - type: text
            description: Benefit names follow the fund's catalogue.
    quality:
      - rule: rowCount
        mustBeBetween: [10, 5000]
slaProperties:
  - property: latency
    value: 4
    unit: h
    element: social_cases.updated_at
team:
  - username: g.tokonova@socfund.example.kg
    name: Gulnara Tokonova
    role: Data owner
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("odcs") / "demo"
    generate_demo(root, people=60)
    (root / "seams" / "rules-lab.yaml").write_text(LAB, encoding="utf-8")
    return load_workspace(root, env={})


def parse(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def test_every_demo_seam_round_trips(ws: Workspace) -> None:
    assert len(ws.seams) >= 4
    for seam in ws.seams.values():
        back = import_odcs(export_odcs(ws, seam.id))
        assert back.contract == seam.contract, seam.id
        assert back.agreement == seam.agreement
        assert back.owner == seam.owner
        assert back.seam() == seam


def test_the_document_speaks_odcs_v3(ws: Workspace) -> None:
    doc = parse(export_odcs(ws, "rules-lab", today=dt.date(2026, 3, 1)))
    assert doc["apiVersion"].startswith("v3.0.")
    assert doc["kind"] == "DataContract"
    assert (doc["id"], doc["status"], doc["version"]) == ("rules-lab", "active", "1.0.0")
    assert doc["description"]["purpose"].startswith("testing: Checks the tax service")
    assert "DSA-TEST-001" in doc["description"]["usage"]
    assert [s["name"] for s in doc["schema"]] == ["civil_persons"]
    props = {p["name"]: p for p in doc["schema"][0]["properties"]}
    assert set(props) == {
        "national_id",
        "family_name",
        "birth_date",
        "death_date",
        "status",
        "address_id",
    }
    assert props["national_id"]["required"] is True  # a zero-tolerance not_null rule
    assert props["death_date"]["required"] is False  # not_null, but 95 % may be missing
    assert props["birth_date"]["logicalType"] == "date"
    assert props["status"]["logicalType"] == "string"
    quality = {q["name"]: q for p in props.values() for q in p.get("quality", [])}
    assert quality["not_null:death_date"]["rule"] == "nullCheck"
    assert quality["not_null:death_date"]["mustBeLessOrEqualTo"] == 95
    assert quality["not_null:death_date"]["unit"] == "percent"
    assert quality["unique:family_name"]["rule"] == "duplicateCount"
    assert quality["in_codelist:status"]["validValues"] == [
        "active",
        "suspended",
        "closed",
        "deceased",
    ]
    assert quality["pattern:national_id"]["type"] == "custom"
    assert quality["pattern:national_id"]["engine"] == "seamline"
    assert quality["range:birth_date#2"]["implementation"]["min"] == dt.date(1900, 1, 1)
    table = doc["schema"][0]["quality"]
    assert table[0] == {
        "type": "library",
        "rule": "rowCount",
        "dimension": "completeness",
        "mustBeBetween": [100, 900000],
        "unit": "rows",
    }
    assert doc["team"][0]["username"] == "n.osmonov@civil.example.kg"
    assert doc["team"][0]["role"] == "owner"
    assert doc["roles"][0]["access"] == "read"
    assert {
        "property": "latency",
        "value": 1,
        "unit": "h",
        "element": "civil_persons.LAST_CHANGE",
    } in doc["slaProperties"]
    assert {"property": "retention", "value": "P2Y6M"} in doc["slaProperties"]
    assert parse(export_odcs(ws, "rules-lab", today=dt.date(2026, 4, 1)))["status"] == "retired"


def test_an_unknown_seam_is_a_spec_error(ws: Workspace) -> None:
    with pytest.raises(SpecError, match="no seam"):
        export_odcs(ws, "civil-to-nowhere")


def test_a_contract_written_with_other_tools_imports(ws: Workspace) -> None:
    got = import_odcs(FOREIGN)
    assert got.id == "social-cases-out"
    assert got.provider == "social_cases"
    assert got.attributes == ("case_id", "national_id", "opened", "benefit")
    assert got.skipped == (
        "national_id: sql SELECT COUNT(*) FROM social_cases WHERE national_id = ''",
        "benefit: text Benefit names follow the fund's catalogue.",
    )
    assert got.contract == ContractSpec(
        rules=[
            RuleSpec(attribute="case_id", check="unique"),
            RuleSpec(attribute="case_id", check="not_null"),
            RuleSpec(attribute="national_id", check="not_null", tolerance=0.025),
            RuleSpec(attribute="national_id", check="pattern", pattern="^[0-9]{14}$"),
            RuleSpec(
                attribute="opened",
                check="range",
                min=dt.date(2000, 1, 1),
                max=dt.date(2030, 12, 31),
            ),
        ],
        volume={"min_rows": 10, "max_rows": 5000},
        freshness={"max_age": "PT4H", "column": "updated_at"},
    )
    assert got.owner is not None
    assert (got.owner.name, got.owner.email) == (
        "Gulnara Tokonova",
        "g.tokonova@socfund.example.kg",
    )
    with pytest.raises(SpecError, match="consumer, agreement"):
        got.seam()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "not a mapping"),
        ("apiVersion: v2.2.2\nkind: DataContract\nid: x\n", "not an ODCS v3"),
        (
            "apiVersion: v3.0.2\nkind: DataContract\nid: x\nschema: [{name: a}, {name: b}]\n",
            "one object",
        ),
        (
            "apiVersion: v3.0.2\nkind: DataContract\nid: x\nschema:\n  - name: a\n    properties:\n"
            "      - name: b\n        quality: [{type: custom, engine: seamline, implementation: {check: bogus}}]\n",
            "does not fit a seam",
        ),
        (
            "apiVersion: v3.0.2\nkind: DataContract\nid: x\nschema:\n  - properties: [{}]\n",
            "malformed",
        ),
        (
            "apiVersion: v3.0.2\nkind: DataContract\nid: x\nschema: [{name: a}]\n"
            "slaProperties: [{property: latency, value: 3, unit: weeks}]\n",
            "not days, hours or minutes",
        ),
    ],
)
def test_malformed_documents_are_spec_errors(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        import_odcs(text)


ATTRS = ["national_id", "family_name", "birth_date", "death_date", "status", "address_id"]
tolerances = st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
rules = st.one_of(
    st.builds(
        RuleSpec,
        attribute=st.sampled_from(ATTRS),
        check=st.sampled_from(["not_null", "unique", "in_codelist", "valid_identifier"]),
        tolerance=tolerances,
    ),
    st.builds(
        RuleSpec,
        attribute=st.sampled_from(ATTRS),
        check=st.just("pattern"),
        pattern=st.from_regex(r"\^[A-Z0-9]{1,3}\$", fullmatch=True),
        tolerance=tolerances,
    ),
    st.builds(
        RuleSpec,
        attribute=st.just("birth_date"),
        check=st.just("range"),
        min=st.one_of(st.none(), st.dates(), st.integers(-5, 5)),
        max=st.one_of(st.just("today"), st.dates()),
        tolerance=tolerances,
    ),
    st.builds(
        RuleSpec,
        attribute=st.just("death_date"),
        check=st.just("cross_field"),
        expression=st.just("death_date >= birth_date"),
        description=st.text(max_size=20),
    ),
)
contracts = st.builds(
    ContractSpec,
    allow_new_columns=st.booleans(),
    rules=st.lists(rules, max_size=8),
    volume=st.one_of(
        st.none(),
        st.builds(
            dict, min_rows=st.integers(0, 10**6), max_change=st.one_of(st.none(), st.floats(0, 5))
        ),
        st.builds(dict, max_rows=st.integers(0, 10**6)),
    ),
    freshness=st.one_of(
        st.none(),
        st.builds(
            dict,
            max_age=st.sampled_from(["P1D", "PT6H", "PT30M", "P2DT3H", "PT1H30M"]),
            column=st.sampled_from([None, "LAST_CHANGE"]),
        ),
    ),
)


class Small:
    """The workspace behind a short repr, so hypothesis reports stay readable."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def __repr__(self) -> str:
        return "<demo workspace>"


@pytest.fixture(scope="module")
def small(ws: Workspace) -> Small:
    return Small(ws)


@settings(max_examples=60)
@given(contract=contracts)
def test_any_contract_round_trips(small: Small, contract: ContractSpec) -> None:
    seam = small.ws.seams["rules-lab"].model_copy(update={"contract": contract})
    one = dataclasses.replace(small.ws, seams={seam.id: seam})
    back = import_odcs(export_odcs(one, seam.id))
    assert back.contract == contract
    assert back.seam() == seam


json_like = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "properties",
                    "quality",
                    "type",
                    "rule",
                    "engine",
                    "implementation",
                    "check",
                    "unit",
                    "mustBeLessOrEqualTo",
                    "required",
                    "logicalTypeOptions",
                    "pattern",
                    "minimum",
                    "property",
                    "value",
                    "role",
                    "username",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=150)
@given(
    body=st.dictionaries(
        st.sampled_from(["schema", "slaProperties", "team", "customProperties", "id", "name"]),
        json_like,
        max_size=5,
    ),
    junk=st.text(max_size=40),
)
def test_import_never_crashes(body: dict[str, Any], junk: str) -> None:
    import json

    doc = {"apiVersion": "v3.0.2", "kind": "DataContract", "id": "x", **body}
    for text in (json.dumps(doc), junk):
        with contextlib.suppress(SpecError):
            import_odcs(text)


def test_export_writes_utf8_text(ws: Workspace, tmp_path: Path) -> None:
    seam = ws.seams["rules-lab"]
    named = seam.model_copy(update={"title": "Бакыт Садыков: налоговая служба"})
    one = dataclasses.replace(ws, seams={seam.id: named})
    text = export_odcs(one, seam.id)
    assert "Бакыт Садыков: налоговая служба" in text  # unicode kept, not escaped
    assert import_odcs(text).title == named.title


def test_seam_spec_shape_is_unchanged() -> None:
    # The export maps every key of a seam; a new key must be mapped too.
    assert set(SeamSpec.model_fields) == {
        "id",
        "title",
        "description",
        "provider",
        "consumer",
        "owner",
        "agreement",
        "change_windows",
        "contract",
        "approvals",
    }
