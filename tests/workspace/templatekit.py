"""A workspace with one dataset template of three CSV instances, for the template tests."""

from __future__ import annotations

from pathlib import Path

from seamline.workspace.template import write_example

TEMPLATE = """\
# Three agencies send the same client list, each a little differently.
id: agency-${name}
title: "Agency ${name}: clients"
system: civil-registry-db
owner: civil-registry
entity: Person
sensitivity: personal
source:
  kind: csv
  path: data/agencies/${name}.csv
  delimiter: ","
  skip_rows: 0
fields:
  - {column: pin, attribute: national_id, normalize: [{identifier: {scheme: kg_pin}}]}
  - {column: family_name, attribute: family_name}
  - {column: given_name, attribute: given_name}
  - {column: marital, attribute: marital_status, codelist: marital_status}
for_each:
  - name: north
    steward: "Aigul Toktogulova"
  - name: south
    owner: tax-service
    steward: "Bakyt Sadykov"
    columns: {family_name: surname}
    overrides:
      source: {delimiter: ";"}
  - name: east
    steward: "Aigul Toktogulova"
    overrides:
      source: {skip_rows: 2}
"""

DATA = {
    "north.csv": "pin,family_name,given_name,marital\n"
    "21203198700123,Toktogulova,Aigul,M\n"
    "10507199000456,Sadykov,Bakyt,S\n",
    "south.csv": "pin;surname;given_name;marital\n"
    "21203198700123;Toktogulova;Aigul;married\n"
    "10101195500789;Abdyrakhmanova;Nurzhan;W\n"
    "20202199100555;Omurbekova;Cholpon;single\n",
    "east.csv": "Clients export\nAgency east, December\n"
    "pin,family_name,given_name,marital\n"
    "21506198200345,Isakova,Gulnara,D\n",
}

CROSSWALKS = """\
  - dataset: agency-north
    column: marital
    map:
      - {local: "M", code: married}
      - {local: "S", code: single}
  - dataset: agency-south
    column: marital
    map:
      - {local: "married", code: married}
      - {local: "single", code: single}
      - {local: "W", code: widowed}
  - dataset: agency-east
    column: marital
    map:
      - {local: "D", code: divorced}
"""


def template_workspace(root: Path, template: str = TEMPLATE) -> Path:
    """The example workspace plus ``datasets/agency.yaml`` (a template) and its data."""
    write_example(root)
    (root / "datasets" / "agency.yaml").write_text(template, encoding="utf-8")
    folder = root / "data" / "agencies"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DATA.items():
        (folder / name).write_text(text, encoding="utf-8")
    codelist = root / "codelists" / "marital_status.yaml"
    codelist.write_text(codelist.read_text(encoding="utf-8") + CROSSWALKS, encoding="utf-8")
    return root


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``text`` where ``needle`` first occurs."""
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1
