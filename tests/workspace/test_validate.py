"""`seamline validate`: every kind of spec error, each reported with file and line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from seamline.workspace import Issue, check_workspace
from seamline.workspace.template import write_example


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_example(root)
    return root


def edit(root: Path, name: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in a file; return the 1-based line where ``new`` starts."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text[: text.index(new)].count("\n") + 1


def issues_of(root: Path, env: dict[str, str] | None = None) -> list[Issue]:
    _, issues = check_workspace(root, env=env or {})
    return issues


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def test_example_workspace_is_valid(ws: Path) -> None:
    workspace, issues = check_workspace(ws, env={})
    assert issues == []
    assert workspace is not None
    assert set(workspace.datasets) == {"civil_persons"}
    assert workspace.entities["Person"].attribute_names()[0] == "national_id"


Case = tuple[str, str, str, str, str]  # file, old, new, expected message fragment, allowed fragment

CASES: dict[str, Case] = {
    "yaml_syntax": (
        "seamline.yaml",
        "name: example-program",
        "name: [example-program",
        "is not valid YAML",
        "",
    ),
    "unknown_key_did_you_mean": (
        "datasets/civil_persons.yaml",
        "steward:",
        "stewart:",
        "did you mean 'steward'",
        "steward",
    ),
    "wrong_type": (
        "seamline.yaml",
        "quarantine_max_share: 0.05",
        "quarantine_max_share: lots",
        "quarantine_max_share",
        "",
    ),
    "out_of_range": (
        "seamline.yaml",
        "quarantine_max_share: 0.05",
        "quarantine_max_share: 1.5",
        "less than or equal to 1",
        "",
    ),
    "bad_enum": ("seamline.yaml", "engine: duckdb", "engine: postgres", "engine", "duckdb"),
    "spark_needs_server_store": (
        "seamline.yaml",
        "engine: duckdb",
        "engine: spark",
        "engine: spark needs a server store, and the store is sqlite",
        "postgresql",
    ),
    "enum_did_you_mean": (
        "systems/tax.yaml",
        "interface: database",
        "interface: databse",
        "did you mean 'database'",
        "batch-file",
    ),
    "unknown_agency": (
        "systems/tax.yaml",
        "agency: tax-service",
        "agency: tax-servce",
        "unknown agency 'tax-servce' (did you mean 'tax-service'?)",
        "civil-registry",
    ),
    "unknown_system": (
        "datasets/civil_persons.yaml",
        "system: civil-registry-db",
        "system: civil-db",
        "unknown system 'civil-db'",
        "tax-db",
    ),
    "unknown_provider_dataset": (
        "seams/civil-to-tax.yaml",
        "provider: civil_persons",
        "provider: civil_person",
        "unknown provider dataset 'civil_person' (did you mean 'civil_persons'?)",
        "civil_persons",
    ),
    "unknown_codelist": (
        "datasets/civil_persons.yaml",
        "codelist: marital_status",
        "codelist: marital",
        "unknown code list 'marital'",
        "marital_status",
    ),
    "unknown_attribute": (
        "datasets/civil_persons.yaml",
        "attribute: birth_date, description",
        "attribute: birthdate, description",
        "unknown Person attribute 'birthdate' (did you mean 'birth_date'?)",
        "birth_date",
    ),
    "unknown_entity": (
        "datasets/civil_persons.yaml",
        "entity: Person ",
        "entity: Persons ",
        "unknown entity 'Persons'",
        "Address",
    ),
    "unknown_source_kind": (
        "datasets/civil_persons.yaml",
        "kind: csv",
        "kind: cvs",
        "unknown source kind 'cvs' (did you mean 'csv'?)",
        "csv",
    ),
    "unknown_source_option": (
        "datasets/civil_persons.yaml",
        "encoding: auto",
        "encodng: auto",
        "did you mean 'encoding'",
        "encoding",
    ),
    "crosswalk_unknown_code": (
        "codelists/marital_status.yaml",
        '{local: "W", code: widowed}',
        '{local: "W", code: widow}',
        "unknown code of marital_status 'widow'",
        "widowed",
    ),
    "crosswalk_unknown_column": (
        "codelists/marital_status.yaml",
        "column: marital",
        "column: maritl",
        "unknown column of dataset civil_persons 'maritl'",
        "marital",
    ),
    "agreement_dates": (
        "seams/civil-to-tax.yaml",
        "expires: 2027-12-31",
        "expires: 2025-12-31",
        "expires (2025-12-31) before it starts",
        "",
    ),
    "bad_id": (
        "datasets/civil_persons.yaml",
        "id: civil_persons",
        "id: Civil Persons",
        "id: String should match pattern",
        "",
    ),
    "bad_email": (
        "agencies.yaml",
        "email: a.toktogulova@registry.example.gov.kg",
        "email: a.toktogulova",
        "email",
        "",
    ),
    "authoritative_unknown": (
        "datasets/civil_persons.yaml",
        "authoritative_for: [birth_date,",
        "authoritative_for: [date_of_birth,",
        "unknown Person attribute 'date_of_birth'",
        "",
    ),
    "seam_unknown_consumer": (
        "seams/civil-to-tax.yaml",
        "consumer: tax-db",
        "consumer: tax-dbs",
        "unknown consumer system 'tax-dbs'",
        "tax-db",
    ),
    "rule_unknown_check": (
        "seams/civil-to-tax.yaml",
        "check: unique",
        "check: uniq",
        "did you mean 'unique'",
        "not_null",
    ),
    "duplicate_yaml_key": (
        "seamline.yaml",
        "engine: duckdb",
        "engine: duckdb\nengine: spark",
        "is not valid YAML",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_error_kind_names_file_and_line(ws: Path, case: str) -> None:
    name, old, new, fragment, allowed = CASES[case]
    line = edit(ws, name, old, new)
    issue = only(issues_of(ws))
    assert issue.path == name
    if case == "duplicate_yaml_key":
        line += 1  # the second, repeated key is the one reported
    assert issue.line == line, str(issue)
    assert issue.column >= 1
    assert fragment in issue.message, str(issue)
    if allowed:
        assert issue.allowed is not None and allowed in issue.allowed, str(issue)
    assert str(issue).startswith(f"{name}:{line}:")


def test_missing_project_file(ws: Path) -> None:
    (ws / "seamline.yaml").unlink()
    issue = only(issues_of(ws))
    assert issue.path == "seamline.yaml"
    assert "is missing" in issue.message
    assert issue.hint is not None and "seamline init" in issue.hint


def test_missing_required_key_points_at_the_mapping(ws: Path) -> None:
    edit(ws, "datasets/civil_persons.yaml", 'title: "Civil registry: persons"\n', "")
    issue = only(issues_of(ws))
    assert (issue.path, issue.line) == ("datasets/civil_persons.yaml", 2)
    assert "missing required key 'title'" in issue.message


def test_empty_file(ws: Path) -> None:
    (ws / "systems" / "tax.yaml").write_text("# nothing yet\n", encoding="utf-8")
    issue = only(issues_of(ws))
    assert issue.path == "systems/tax.yaml"
    assert "is empty" in issue.message


def test_duplicate_id_across_files(ws: Path) -> None:
    shutil.copy(ws / "systems" / "tax.yaml", ws / "systems" / "tax2.yaml")
    issue = only(issues_of(ws))
    assert issue.path == "systems/tax2.yaml"
    assert issue.line == 1
    assert "system id 'tax-db' is already used by systems/tax.yaml:1" in issue.message


def test_missing_environment_variable(ws: Path) -> None:
    line = edit(ws, "seamline.yaml", "# store: ${SEAMLINE_STORE}", "store: ${PROGRAM_STORE_URL}")
    issue = only(issues_of(ws, env={}))
    assert (issue.path, issue.line) == ("seamline.yaml", line)
    assert "PROGRAM_STORE_URL is not set" in issue.message


def test_environment_values_are_resolved_and_never_echoed(ws: Path) -> None:
    edit(ws, "seamline.yaml", "quarantine_max_share: 0.05", "quarantine_max_share: ${SHARE}")
    secret = "s3cr3t-value-do-not-print"
    issue = only(issues_of(ws, env={"SHARE": secret}))
    assert "quarantine_max_share" in issue.message
    assert secret not in str(issue)
    assert "environment variable" in issue.message
    good, issues = check_workspace(ws, env={"SHARE": "0.5"})
    assert issues == [] and good is not None
    assert good.project.quarantine_max_share == 0.5
    assert "${SHARE}" in (ws / "seamline.yaml").read_text(encoding="utf-8")  # never written back


def test_all_errors_are_reported_at_once(ws: Path) -> None:
    mutations: list[Callable[[], int]] = [
        lambda: edit(ws, "seamline.yaml", "engine: duckdb", "engine: oracle"),
        lambda: edit(ws, "systems/tax.yaml", "agency: tax-service", "agency: nobody"),
        lambda: edit(ws, "datasets/civil_persons.yaml", "kind: csv", "kind: cvs"),
        lambda: edit(ws, "seams/civil-to-tax.yaml", "provider: civil_persons", "provider: ghost"),
    ]
    lines = [m() for m in mutations]
    issues = issues_of(ws)
    assert [(i.path, i.line) for i in sorted(issues)] == sorted(
        zip(
            [
                "seamline.yaml",
                "systems/tax.yaml",
                "datasets/civil_persons.yaml",
                "seams/civil-to-tax.yaml",
            ],
            lines,
            strict=True,
        )
    )


def test_store_url_relative_sqlite_is_resolved_in_the_workspace(ws: Path) -> None:
    workspace, _ = check_workspace(ws, env={})
    assert workspace is not None
    url = workspace.store_url(env={})
    assert url == f"sqlite:///{(ws / '.seamline' / 'seamline.db').resolve()}"
    assert workspace.store_url(env={"SEAMLINE_STORE": "postgresql://db/x"}) == "postgresql://db/x"


def test_one_round_shows_parse_schema_reference_and_file_errors(tmp_path: Path) -> None:
    """A broken file does not hide the others' errors; schema errors do not hide references."""
    from seamline.workspace.sourcefiles import source_file_issues
    from seamline.workspace.template import write_example

    ws_dir = tmp_path / "w"
    write_example(ws_dir)
    (ws_dir / "systems" / "tax.yaml").write_text(
        'id: tax-db\nname: "Taxpayer register\nagency: tax-service\n', encoding="utf-8"
    )
    seam = ws_dir / "seams" / "civil-to-tax.yaml"
    seam.write_text(
        seam.read_text(encoding="utf-8")
        .replace("consumer: tax-db", "consumer: tax-dbx")
        .replace("retention: P5Y", "retention: P5Y\n  bogus_key: 1"),
        encoding="utf-8",
    )
    ds = ws_dir / "datasets" / "civil_persons.yaml"
    ds.write_text(
        ds.read_text(encoding="utf-8")
        .replace("path: data/persons.csv", "path: data/nope.csv")
        .replace("sensitivity: personal ", "sensitivity: secretive ")
        .replace("owner: civil-registry", "owner: civil-registryy"),
        encoding="utf-8",
    )
    ws, issues = check_workspace(ws_dir)
    assert ws is not None
    issues += source_file_issues(ws)
    text = "\n".join(str(i) for i in issues)
    for expected in (
        "systems/tax.yaml:4:1: is not valid YAML",
        "unknown key 'bogus_key'",
        "unknown consumer system 'tax-dbx'",
        "(got 'secretive')",
        "unknown owner agency 'civil-registryy'",
        "source.path: data/nope.csv does not exist",
    ):
        assert expected in text, text
    assert len(issues) == 6, text


def test_validate_parses_copybooks(tmp_path: Path) -> None:
    from seamline.workspace.sourcefiles import source_file_issues
    from seamline.workspace.template import write_example

    ws_dir = tmp_path / "w"
    write_example(ws_dir)
    (ws_dir / "data" / "p.cpy").write_text("       01 REC.\n          05 A PIC XX(.\n")
    (ws_dir / "data" / "p.dat").write_bytes(b"")
    ds = ws_dir / "datasets" / "civil_persons.yaml"
    text = ds.read_text(encoding="utf-8")
    start = text.index("source:")
    end = text.index("fields:")
    ds.write_text(
        text[:start]
        + "source: {kind: copybook, path: data/p.dat, copybook: data/p.cpy}\n"
        + text[end:],
        encoding="utf-8",
    )
    ws, issues = check_workspace(ws_dir)
    assert ws is not None and issues == []
    found = source_file_issues(ws)
    assert len(found) == 1
    assert "source.copybook: the copybook data/p.cpy does not parse" in str(found[0])
    assert str(found[0]).startswith("datasets/civil_persons.yaml:")


def test_issue_text_keeps_problem_and_fix_apart() -> None:
    from seamline.workspace.issues import Issue

    issue = Issue("seamline.yaml", 3, 7, "the environment variable X is not set", hint="Export X")
    assert str(issue) == "seamline.yaml:3:7: the environment variable X is not set. Export X."
