"""Address rules a workspace declares in ``addresses/<country>.yaml``."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from seamline.normalize import default_normalizers
from seamline.normalize.address import AddressNormalizer
from seamline.normalize.base import StepContext
from seamline.workspace import Issue, check_workspace
from seamline.workspace.template import write_example

DE_RULES = """\
# Germany: the street type is often glued to the name (Hauptstraße), the number follows.
country: DE
house_number: after
street_types:
  Str.: [Strasse, Straße]
  Weg: []
unit_words:
  Whg: [Wohnung]
post_code:
  pattern: '[0-9]{5}'
  restore_leading_zeros: 5
"""

FIELD = "  - {column: family_name, attribute: family_name}\n"
ADDRESS_FIELD = (
    "  - {column: addr, attribute: street, normalize: [{address: {country: DE, part: street}}]}\n"
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_example(root)
    (root / "addresses").mkdir()
    return root


def issues_of(root: Path) -> list[Issue]:
    return check_workspace(root, env={})[1]


def test_declared_country_loads_and_reaches_the_step(ws: Path) -> None:
    (ws / "addresses" / "de.yaml").write_text(DE_RULES, encoding="utf-8")
    dataset = ws / "datasets" / "civil_persons.yaml"
    text = dataset.read_text(encoding="utf-8")
    dataset.write_text(text.replace(FIELD, FIELD + ADDRESS_FIELD), encoding="utf-8")
    workspace, issues = check_workspace(ws, env={})
    assert issues == []
    assert workspace is not None and set(workspace.addresses) == {"DE"}
    context = StepContext(country="KG", extras={"addresses": workspace.addresses})
    step = default_normalizers().build({"address": {"country": "DE", "part": "street"}}, context)
    assert isinstance(step, AddressNormalizer)
    res = step.arrow(pa.array(["Am Weg 12, 1067 Dresden"]))
    assert res.values.to_pylist() == ["Am Weg"]
    assert res.flags.to_pylist() == ["leading_zeros_restored"]


def test_errors_name_file_and_line(ws: Path) -> None:
    bad = DE_RULES.replace("'[0-9]{5}'", "'([0-9]{5}'").replace("Weg: []", "Weg: [' ']")
    (ws / "addresses" / "de.yaml").write_text(bad, encoding="utf-8")
    (ws / "addresses" / "fr.yaml").write_text("country: BE\nparser: cis\n", encoding="utf-8")
    (ws / "addresses" / "nl.yaml").write_text("country: NL\nstreet_type: {}\n", encoding="utf-8")
    found = sorted(str(i) for i in issues_of(ws))
    assert len(found) == 3, found
    assert found[0].startswith("addresses/de.yaml:")
    assert "empty word" in found[0] or "regular expression" in found[0]
    assert found[1].startswith("addresses/fr.yaml:1:")
    assert "does not match the file name" in found[1]
    assert found[2].startswith("addresses/nl.yaml:2:") and "street_type" in found[2]


def test_undeclared_group_in_a_step_is_reported_where_the_step_is(ws: Path) -> None:
    dataset = ws / "datasets" / "civil_persons.yaml"
    text = dataset.read_text(encoding="utf-8")
    line = "  - {column: addr, attribute: post_code, normalize: [{address: {country: GB, part: post_code.fsa}}]}\n"
    dataset.write_text(text.replace(FIELD, FIELD + line), encoding="utf-8")
    (issue,) = issues_of(ws)
    assert issue.path == "datasets/civil_persons.yaml" and issue.line > 1
    assert (
        "no part 'fsa'" in issue.message and issue.allowed == "post_code.outward, post_code.inward"
    )


def test_one_file_per_country(ws: Path) -> None:
    (ws / "addresses" / "de.yaml").write_text(DE_RULES, encoding="utf-8")
    (ws / "addresses" / "de.yml").write_text(DE_RULES, encoding="utf-8")
    (issue,) = issues_of(ws)
    assert issue.path == "addresses/de.yml" and issue.line == 2
    assert "already in addresses/de.yaml" in issue.message


def test_extends_false_replaces_the_builtin_rules(ws: Path) -> None:
    (ws / "addresses" / "us.yaml").write_text(
        "country: US\nextends: false\ncase: upper\nstreet_types: {ST: [STREET]}\n",
        encoding="utf-8",
    )
    workspace, issues = check_workspace(ws, env={})
    assert issues == [] and workspace is not None
    context = StepContext(extras={"addresses": workspace.addresses})
    step = default_normalizers().build({"address": {"country": "US"}}, context)
    assert isinstance(step, AddressNormalizer)
    assert step.rules is not None and step.rules.parser == "table"
    assert step.rules.post_code is None and "AVENUE" not in step.rules.street_types
    res = step.arrow(pa.array(["12 Main Street, Springfield", "12 Main Avenue 62704"]))
    assert res.values.to_pylist() == ["12 MAIN ST, SPRINGFIELD", "12 MAIN AVENUE 62704"]
    assert res.flags.to_pylist() == [None, None]


def test_designators_from_a_country_without_them(ws: Path) -> None:
    (ws / "addresses" / "kz.yaml").write_text(
        "# Kazakhstan, with the words of a country that has none\ncountry: KZ\ndesignators_from: US\n",
        encoding="utf-8",
    )
    (issue,) = issues_of(ws)
    assert (issue.path, issue.line) == ("addresses/kz.yaml", 2)
    assert "designators_from: US has no designators of its own" in issue.message
