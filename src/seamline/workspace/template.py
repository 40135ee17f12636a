"""``seamline init``: a small, commented example workspace that validates and runs."""

from __future__ import annotations

from pathlib import Path

from seamline.errors import UsageError

FILES: dict[str, str] = {
    "seamline.yaml": """\
# The integration program. Configuration lives in these files (commit them);
# observations and history live in the store (.seamline/, not committed).
name: example-program
title: "Example integration program"
country: KG                 # default country for normalizers (ISO 3166-1 alpha-2)
engine: duckdb              # embedded; spark runs harmonize, inventory and checks on a cluster (docs/scale.md)
# store: ${SEAMLINE_STORE}  # a SQLAlchemy URL; default: SQLite in .seamline/seamline.db
data_dir: .seamline/data    # landing/, quarantine/, harmonized/, reference/, reports/
quarantine_max_share: 0.05  # a source with more undecodable records than this fails the run
# evaluate: {truth: _truth}  # score runs against ground truth (format: docs/reconcile.md)
# retention: {apply: true}   # `seamline run` deletes data past its period (docs/retention.md)
# audit: {retention: P10Y}   # how long the audit log is kept (reported, never cut by data retention)
""",
    "agencies.yaml": """\
# Who owns what. Ids are referenced from systems, datasets and seams.
agencies:
  - id: civil-registry
    name: "State Civil Registry Service"
    country: KG
    contacts:
      - {name: "Aigul Toktogulova", role: steward, email: a.toktogulova@registry.example.gov.kg}
  - id: tax-service
    name: "State Tax Service"
    country: KG
""",
    "systems/civil-registry.yaml": """\
# A system of record: who runs it, how it is reached, when it may change.
id: civil-registry-db
name: "Civil registry database"
agency: civil-registry
interface: file-export      # batch-file | database | api | message-queue | spreadsheet | file-export
change_window: "Sun 02:00-06:00"
""",
    "systems/tax.yaml": """\
id: tax-db
name: "Taxpayer register"
agency: tax-service
interface: database
""",
    "datasets/civil_persons.yaml": """\
# One dataset: where it comes from (source), who owns it, and what its columns mean.
id: civil_persons
title: "Civil registry: persons"
system: civil-registry-db
owner: civil-registry
steward: "Aigul Toktogulova"
entity: Person              # Person | Address | Business | your own from entities/
sensitivity: personal       # public | internal | personal | special
authoritative_for: [birth_date, family_name, given_name, marital_status, national_id]
source:
  kind: csv                 # see `seamline --help` and docs/connectors.md for every kind
  path: data/persons.csv
  encoding: auto            # or utf-8, utf-8-sig, cp1251, latin-1 ...
fields:
  # normalize: identifier validates the number by its scheme (docs/harmonize.md lists them);
  # the scheme is also how `seamline serve` looks a person up: /v1/persons/kg_pin:<pin>
  - {column: pin, attribute: national_id, description: "Personal identification number", normalize: [{identifier: {scheme: kg_pin}}]}
  - {column: family_name, attribute: family_name}
  - {column: given_name, attribute: given_name}
  - {column: birth_date, attribute: birth_date, description: "DD.MM.YYYY", normalize: [{date: {format: "DD.MM.YYYY"}}]}
  - {column: marital, attribute: marital_status, codelist: marital_status}
""",
    "codelists/marital_status.yaml": """\
# A canonical code list and the crosswalks from each dataset's local codes.
id: marital_status
title: "Marital status"
version: "2026.1"
codes:
  - {code: single, labels: {en: "Single", ru: "Холост / не замужем", ky: "Бойдок"}}
  - {code: married, labels: {en: "Married", ru: "Женат / замужем", ky: "Үй-бүлөлүү"}}
  - {code: widowed, labels: {en: "Widowed", ru: "Вдовец / вдова", ky: "Жесир"}}
  - {code: divorced, labels: {en: "Divorced", ru: "Разведён / разведена", ky: "Ажырашкан"}}
# The data also holds "D", which no crosswalk maps yet: harmonize flags it as
# unmapped_code, and `seamline codes suggest marital_status civil_persons.marital`
# proposes a mapping to review.
crosswalks:
  - dataset: civil_persons
    column: marital
    map:
      - {local: "S", code: single}
      - {local: "M", code: married}
      - {local: "W", code: widowed}
""",
    "identifiers/kg_pin.yaml": """\
# An identifier scheme declared as data (python-stdnum's schemes are built in: iban,
# pl.pesel, ...). 14 digits: the sex (1 or 2), the birth date as ddmmyyyy, a serial.
id: kg_pin
title: "Personal identification number (PIN)"
length: 14
pattern: "[12][0-9]{13}"
separators: " -./"
check: none
""",
    "seams/civil-to-tax.yaml": """\
# A seam: provider data -> consumer system, with an accountable owner,
# the data-sharing agreement and the contract checked on every delivery.
id: civil-to-tax
title: "Civil registry -> tax service"
provider: civil_persons
consumer: tax-db
owner: {name: "Bakyt Sadykov", agency: tax-service}
agreement:
  reference: "DSA-2026-001"
  purpose: tax-registration
  legal_basis: "Tax Code, article 12 (example)"
  attributes: [national_id, family_name, given_name, birth_date]
  retention: P5Y
  starts: 2026-01-01
  expires: 2027-12-31
contract:
  rules:
    - {attribute: national_id, check: not_null}
    - {attribute: national_id, check: unique}
  volume: {min_rows: 1}
""",
    "data/persons.csv": """\
pin,family_name,given_name,birth_date,marital
21203198700123,Toktogulova,Aigul,12.03.1987,M
10507199000456,Sadykov,Bakyt,05.07.1990,S
10101195500789,Abdyrakhmanova,Nurzhan,01.01.1955,W
21506198200345,Isakova,Gulnara,15.06.1982,D
""",
    ".gitignore": ".seamline/\n",
}


def write_example(target: Path, *, force: bool = False) -> list[Path]:
    """Write the example workspace into ``target``; refuse to overwrite unless ``force``."""
    if target.exists() and any(target.iterdir()) and not force:
        raise UsageError(
            f"{target} is not empty",
            hint=f"Choose an empty folder, or pass --force to write the example files into {target}.",
        )
    written = []
    for name, text in FILES.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
