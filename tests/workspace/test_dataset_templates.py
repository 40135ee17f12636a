"""Dataset templates: ``for_each:`` expands into ordinary datasets; errors name the instance."""

from __future__ import annotations

from pathlib import Path

import pytest
from templatekit import TEMPLATE, line_of, template_workspace

from seamline.plugins import default_registry
from seamline.workspace import Issue, check_workspace
from seamline.workspace.issues import merge_instances
from seamline.workspace.models import DatasetSpec
from seamline.workspace.templates import Instance, expand_template
from seamline.workspace.yamlpos import load_yaml

SPEC = "datasets/agency.yaml"


def issues_of(root: Path) -> list[Issue]:
    _, issues = check_workspace(root, env={})
    return issues


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def test_a_listed_template_expands_into_one_dataset_per_instance(tmp_path: Path) -> None:
    ws, issues = check_workspace(template_workspace(tmp_path / "ws"), env={})
    assert issues == [], "\n".join(map(str, issues))
    assert ws is not None
    assert sorted(ws.datasets) == ["agency-east", "agency-north", "agency-south", "civil_persons"]
    north, south = ws.datasets["agency-north"], ws.datasets["agency-south"]
    # Each instance has its own owner and steward; the template's owner is the default.
    assert (north.owner, north.steward) == ("civil-registry", "Aigul Toktogulova")
    assert (south.owner, south.steward) == ("tax-service", "Bakyt Sadykov")
    assert north.title == "Agency north: clients"
    # ${name} is filled into the source path; the other options come from the template.
    assert ws.sources["agency-east"].model_dump()["path"] == "data/agencies/east.csv"
    # Overrides merge into the source mapping key by key.
    assert ws.sources["agency-south"].model_dump()["delimiter"] == ";"
    assert ws.sources["agency-south"].model_dump()["path"] == "data/agencies/south.csv"
    assert ws.sources["agency-east"].model_dump()["skip_rows"] == 2
    assert ws.sources["agency-east"].model_dump()["delimiter"] == ","
    # The renamed column is renamed in this instance only.
    assert [f.column for f in south.fields] == ["pin", "surname", "given_name", "marital"]
    assert [f.column for f in north.fields] == ["pin", "family_name", "given_name", "marital"]


def test_ids_are_the_template_id_with_the_name_as_suffix_or_given_in_full(
    tmp_path: Path,
) -> None:
    text = TEMPLATE.replace("id: agency-${name}", "id: agency")
    text = text.replace("  - name: east\n", "  - name: east\n    id: east-clients\n")
    ws, issues = check_workspace(template_workspace(tmp_path / "ws", text), env={})
    assert ws is not None
    assert sorted(ws.datasets) == ["agency-north", "agency-south", "civil_persons", "east-clients"]
    # The crosswalk still names agency-east, which no instance is now.
    assert [i.message for i in issues] == [
        "unknown dataset 'agency-east' (did you mean 'agency-south'?)"
    ]


def test_positions_of_an_instance_point_into_the_template(tmp_path: Path) -> None:
    ws, _ = check_workspace(template_workspace(tmp_path / "ws"), env={})
    assert ws is not None
    south = ws.origin("dataset", "agency-south")
    north = ws.origin("dataset", "agency-north")
    assert south is not None and north is not None
    assert (south.path, south.instance) == (SPEC, "south")
    # Where the instance overrode a value, its override; else the template's line.
    assert south.at("fields", 1, "column")[0] == line_of(TEMPLATE, "columns: {family_name")
    assert north.at("fields", 1, "column")[0] == line_of(TEMPLATE, "{column: family_name")
    assert south.at("source", "delimiter")[0] == line_of(TEMPLATE, 'source: {delimiter: ";"}')
    assert north.at("source", "delimiter")[0] == line_of(TEMPLATE, 'delimiter: ","')


def test_overrides_merge_mappings_and_replace_lists(tmp_path: Path) -> None:
    text = TEMPLATE.replace(
        "      source: {skip_rows: 2}",
        "      source: {skip_rows: 2}\n"
        "      fields:\n"
        "        - {column: pin, attribute: national_id}\n"
        "        - {column: marital, attribute: marital_status, codelist: marital_status}",
    )
    ws, issues = check_workspace(template_workspace(tmp_path / "ws", text), env={})
    assert issues == [], "\n".join(map(str, issues))
    assert ws is not None
    east = ws.datasets["agency-east"]
    assert [f.column for f in east.fields] == ["pin", "marital"]  # the list is replaced
    assert east.fields[0].normalize == []  # not merged item by item with the template's
    assert ws.sources["agency-east"].model_dump()["path"] == "data/agencies/east.csv"  # kept
    assert len(ws.datasets["agency-north"].fields) == 4  # other instances keep the template's


def test_a_glob_yields_one_instance_per_file(tmp_path: Path) -> None:
    text = TEMPLATE.split("for_each:")[0].replace("data/agencies/${name}.csv", "${file}")
    text += 'for_each: {files: "data/agencies/*.csv"}\n'
    text = text.replace("owner: civil-registry", "owner: civil-registry\nsteward: Data desk")
    root = template_workspace(tmp_path / "ws", text)
    (root / "data" / "agencies" / "notes.txt").write_text("not matched", encoding="utf-8")
    ws, issues = check_workspace(root, env={})
    assert ws is not None
    # south.csv uses ';' and a renamed column, east.csv two title lines: the glob cannot
    # know that, but each instance is still an ordinary dataset.
    assert sorted(d for d in ws.datasets if d.startswith("agency-")) == [
        "agency-east",
        "agency-north",
        "agency-south",
    ]
    assert ws.sources["agency-north"].model_dump()["path"] == "data/agencies/north.csv"
    origin = ws.origin("dataset", "agency-east")
    assert origin is not None and origin.instance == "east"
    assert issues == [], "\n".join(map(str, issues))


def test_a_glob_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    text = TEMPLATE.split("for_each:")[0] + 'for_each: {files: "data/billing/*.xlsx"}\n'
    issue = only(issues_of(template_workspace(tmp_path / "ws", text)))
    assert (issue.path, issue.line) == (SPEC, text.count("\n"))
    assert "matches no file" in issue.message and "data/billing/*.xlsx" in issue.message


ERRORS: dict[str, tuple[str, str, str, str]] = {
    # case: (text replaced, replacement, instance, words of the message)
    "override key the template lacks": (
        '      source: {delimiter: ";"}',
        '      source: {delimter: ";"}',
        "south",
        "override 'delimter' is not a key of the template at source (did you mean 'delimiter'?)",
    ),
    "override key at the top level": (
        "      source: {skip_rows: 2}",
        "      source: {skip_rows: 2}\n      titel: Clients",
        "east",
        "override 'titel' is not a key of the template at the top level (did you mean 'title'?)",
    ),
    "renamed column the template lacks": (
        "columns: {family_name: surname}",
        "columns: {family_nam: surname}",
        "south",
        "'family_nam' is not a column of the template's fields (did you mean 'family_name'?)",
    ),
    "undefined variable": (
        '      source: {delimiter: ";"}',
        '      source: {delimiter: ";"}\n      title: "Agency ${nmae}"',
        "south",
        "the template variable ${nmae} is not defined (did you mean ${name}?)",
    ),
    "unknown instance key": (
        "  - name: east\n",
        "  - name: east\n    ower: tax-service\n",
        "east",
        "unknown instance key 'ower' (did you mean 'owner'?)",
    ),
    "duplicate expanded id": (
        "  - name: east\n",
        "  - name: east\n    id: agency-north\n",
        "east",
        "the id 'agency-north' is also the id of instance north",
    ),
    "a later check (reference) on an instance": (
        "    owner: tax-service\n",
        "    owner: tax-servce\n",
        "south",
        "unknown owner agency 'tax-servce' (did you mean 'tax-service'?)",
    ),
    "schema error in an overridden value": (
        "      source: {skip_rows: 2}",
        "      source: {skip_rows: -2}",
        "east",
        "skip_rows",
    ),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_each_template_error_names_file_line_and_instance(tmp_path: Path, case: str) -> None:
    old, new, instance, words = ERRORS[case]
    assert old in TEMPLATE
    text = TEMPLATE.replace(old, new, 1)
    issue = only(issues_of(template_workspace(tmp_path / "ws", text)))
    bad_line = line_of(text, new.strip().splitlines()[-1].strip())
    assert (issue.path, issue.line, issue.instance) == (SPEC, bad_line, instance)
    assert words in issue.message
    assert str(issue).startswith(f"{SPEC}:{bad_line}:{issue.column} (instance {instance}): ")


def test_undefined_variable_is_reported_once_naming_the_instances(tmp_path: Path) -> None:
    text = TEMPLATE.replace('title: "Agency ${name}: clients"', 'title: "${region}"')
    text = text.replace("  - name: north\n", "  - name: north\n    vars: {region: North}\n")
    issue = only(issues_of(template_workspace(tmp_path / "ws", text)))
    # One problem of the template's line, reported once, naming each instance it hits.
    assert (issue.line, issue.instance) == (line_of(text, "${region}"), "south, east")
    assert f"{SPEC}:{issue.line}:{issue.column} (instances south, east): " in str(issue)


def test_a_duplicate_id_with_another_file_names_the_instance(tmp_path: Path) -> None:
    text = TEMPLATE.replace("  - name: east\n", "  - name: east\n    id: civil_persons\n")
    issues = issues_of(template_workspace(tmp_path / "ws", text))
    # agency-east is gone, so its crosswalk is now a reference to an unknown dataset.
    assert [i.path for i in issues] == [
        "datasets/civil_persons.yaml",
        "codelists/marital_status.yaml",
    ]
    issue = issues[0]
    # The ordinary file comes second in loading order, so it is the one reported; the
    # template's line and instance are named as the first holder of the id.
    assert issue.path == "datasets/civil_persons.yaml"
    assert f"{SPEC}:{line_of(text, 'id: civil_persons')} (instance east)" in issue.message


def test_upper_case_references_stay_environment_variables(tmp_path: Path) -> None:
    text = TEMPLATE.replace('title: "Agency ${name}: clients"', 'title: "${PROGRAM} ${name}"')
    root = template_workspace(tmp_path / "ws", text)
    ws, issues = check_workspace(root, env={"PROGRAM": "Clients"})
    assert issues == [] and ws is not None
    assert ws.datasets["agency-south"].title == "Clients south"
    _, missing = check_workspace(root, env={})
    assert [(i.instance, i.message) for i in missing] == [
        ("north, south, east", "the environment variable PROGRAM is not set")
    ]


def test_a_mistake_in_the_template_body_is_reported_once(tmp_path: Path) -> None:
    text = TEMPLATE.replace("system: civil-registry-db", "system: civil-registry-dbb")
    issue = only(issues_of(template_workspace(tmp_path / "ws", text)))
    assert (issue.path, issue.line) == (SPEC, line_of(text, "system: civil-registry-dbb"))
    assert issue.instance == "north, south, east"
    assert "unknown system 'civil-registry-dbb' (did you mean 'civil-registry-db'?)" in str(issue)


def test_many_instances_are_named_up_to_five() -> None:
    names = [f"agency-{i:02d}" for i in range(1, 9)]
    same = [Issue(SPEC, 3, 9, "unknown system 'x'", instance=n) for n in names]
    other = Issue(SPEC, 20, 5, "override 'titel' is not a key", instance="agency-04")
    (merged, alone) = sorted(merge_instances([*same, other]))
    assert merged.instance == "agency-01, agency-02, agency-03, agency-04, agency-05 and 3 more"
    assert alone == other


def _documented_example() -> str:
    doc = (Path(__file__).parents[2] / "docs" / "workspace.md").read_text(encoding="utf-8")
    section = doc.split("## Dataset templates", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def _expand(text: str, tmp_path: Path) -> tuple[list[Instance], list[Issue]]:
    path = tmp_path / "agency-billing.yaml"
    path.write_text(text, encoding="utf-8")
    data, pos, problems = load_yaml(path, "datasets/agency-billing.yaml")
    assert problems == []
    options = set(default_registry().connectors["spreadsheet"].options_model.model_fields)
    instances, issues = expand_template(data, pos, tmp_path, DatasetSpec, lambda _: options)
    return instances, merge_instances(issues)


def test_the_documented_example_expands_as_documented(tmp_path: Path) -> None:
    text = _documented_example()
    instances, issues = _expand(text, tmp_path)
    assert issues == []
    got = {i.name: DatasetSpec.model_validate(i.data) for i in instances}
    assert [d.id for d in got.values()] == [
        "billing-agency-01",
        "billing-agency-07",
        "registry-billing",
    ]
    seven = got["agency-07"]
    assert (seven.owner, seven.steward) == ("agency-07", "Timur Beishenov")
    assert seven.source == {
        "kind": "spreadsheet",
        "path": "data/billing/agency-07.xlsx",
        "sheet": "Invoices 2026",
        "header_row": 3,
    }
    assert [f.column for f in seven.fields] == ["invoice_no", "amount_kgs", "status"]
    assert got["agency-01"].source["sheet"] == "Billing"
    assert got["agency-01"].steward == "Dana Ormonova"
    # The documented messages are the ones the code writes.
    doc = (Path(__file__).parents[2] / "docs" / "workspace.md").read_text(encoding="utf-8")
    for old, new in (
        ("header_row: 3}", "header_rw: 3}"),
        ('"Service billing: ${name}"', '"Service billing: ${region}"'),
    ):
        _, wrong = _expand(text.replace(old, new), tmp_path)
        shown = only(wrong)
        assert f"{shown.where}: {shown.message}" in doc


GLOB = TEMPLATE.split("for_each:")[0].replace("data/agencies/${name}.csv", "${file}") + (
    "for_each:\n"
    '  files: "data/agencies/*.csv"\n'
    "  instances:\n"
    "    - name: south\n"
    "      owner: tax-service\n"
    "      columns: {family_name: surname}\n"
    '      overrides: {source: {delimiter: ";"}}\n'
)


def test_a_glob_instance_listed_by_name_gets_its_own_values(tmp_path: Path) -> None:
    ws, issues = check_workspace(template_workspace(tmp_path / "ws", GLOB), env={})
    assert issues == [], "\n".join(map(str, issues))
    assert ws is not None
    south, north = ws.datasets["agency-south"], ws.datasets["agency-north"]
    assert (south.owner, north.owner) == ("tax-service", "civil-registry")
    assert south.fields[1].column == "surname" and north.fields[1].column == "family_name"
    assert ws.sources["agency-south"].model_dump()["delimiter"] == ";"
    assert ws.sources["agency-south"].model_dump()["path"] == "data/agencies/south.csv"
    origin = ws.origin("dataset", "agency-south")
    assert origin is not None
    assert origin.at("owner")[0] == line_of(GLOB, "owner: tax-service")


def test_a_glob_instance_without_its_file_is_an_error(tmp_path: Path) -> None:
    text = GLOB.replace("    - name: south", "    - name: suoth")
    issue = only(issues_of(template_workspace(tmp_path / "ws", text)))
    assert (issue.path, issue.line, issue.instance) == (SPEC, line_of(text, "suoth"), "suoth")
    assert "no file matched by 'data/agencies/*.csv' is named 'suoth'" in issue.message
    assert "(did you mean 'south'?)" in issue.message
