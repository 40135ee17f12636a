"""Workspaces for the catalogue tests: the example, the example with extras, the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamline.workspace import Workspace, load_workspace
from seamline.workspace.template import write_example

SECRET_URL = "postgresql://svc_reader:S3cr3t-Pa55w0rd@db.tax.internal:5432/taxdb"

EXTRA_FILES = {
    "datasets/social_register.yaml": """\
id: social_register
title: "Реестр получателей пособий"
description: "Физические лица, получающие социальные пособия; ФИО на кириллице. Жесир аялдар, ҮЙ-БҮЛӨЛҮҮ."
system: civil-registry-db
owner: tax-service
steward: "Бакыт Садыков"
entity: Person
sensitivity: special
source: {kind: csv, path: data/persons.csv}
fields:
  - {column: фамилия, attribute: family_name, description: "Фамилия получателя"}
  - {column: pin, attribute: national_id}
""",
    "datasets/tax_companies.yaml": """\
id: tax_companies
title: "Tax service: registered companies"
description: "Companies registered for VAT."
system: tax-db
owner: tax-service
entity: Business
sensitivity: internal
source:
  kind: sql
  url: ${TAX_DB_URL}
  table: vat_company_rows
fields:
  - {column: tin, description: "Taxpayer identification number"}
""",
    "datasets/public_addresses.yaml": """\
id: public_addresses
title: "Published street addresses"
description: "The street address list the registry publishes for everyone; it is long enough that a search excerpt has to cut it somewhere in the middle of the text."
system: civil-registry-db
owner: civil-registry
entity: Address
sensitivity: public
reference: true
source: {kind: csv, path: /srv/exports/secret-share/addresses.csv}
""",
    "derived/companies_by_form.yaml": """\
id: companies_by_form
title: "Companies per legal form"
owner: {agency: State Tax Service, contact: "Бакыт Садыков"}
entity: Business
sql: |
  SELECT legal_form, COUNT(*) AS companies FROM tax_companies GROUP BY legal_form
""",
    "seams/addresses-to-tax.yaml": """\
id: addresses-to-tax
provider: public_addresses
consumer: tax-db
owner: {name: "Bakyt Sadykov", agency: tax-service, email: b.sadykov@tax.example.kg}
agreement:
  reference: "DSA-2026-002"
  purpose: address-check
  legal_basis: "Tax Code, article 14 (example)"
  attributes: [thoroughfare]
  starts: 2026-02-01
""",
}


@pytest.fixture
def secret_url() -> str:
    """The database URL (with a password) behind ``tax_companies`` in ``extended_ws``."""
    return SECRET_URL


@pytest.fixture
def example_ws(tmp_path: Path) -> Workspace:
    write_example(tmp_path / "ws")
    return load_workspace(tmp_path / "ws")


@pytest.fixture
def extended_ws(tmp_path: Path) -> Workspace:
    """The example plus Cyrillic text, a SQL source with a password, public data, and a
    derived dataset."""
    root = tmp_path / "ws"
    write_example(root)
    for name, text in EXTRA_FILES.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return load_workspace(root, env={"TAX_DB_URL": SECRET_URL})


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from seamline.demo import generate_demo

    root = tmp_path_factory.mktemp("demo") / "ws"
    generate_demo(root, people=200)
    return load_workspace(root)
