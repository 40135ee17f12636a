"""The demo workspace's YAML spec: agencies, systems, datasets, code lists and seams.

Written as commented text (not dumped from objects) because the files are meant to be
read by people learning the spec format.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from seamline.demo.social import FIELDS as SOCIAL_FIELDS

NAME = "demo-registers"

PROJECT = """\
# The demo program: four agencies of one (invented) country share person data.
# Written by `seamline demo`. The ground truth in _truth/ is read only because
# `evaluate:` below declares it: `seamline run` then scores links and golden values.
name: demo-registers
title: "Demo: four registers of one country"
description: "Civil registry, tax service, social fund and address register (all invented)."
country: KG
engine: duckdb
data_dir: .seamline/data
quarantine_max_share: 0.05
evaluate:
  truth: _truth
  # Names are true in Cyrillic; a golden value in one agency's Latin spelling counts
  # as right when its name key (script, case and spelling variants folded) agrees.
  compare: {family_name: name, given_name: name, patronymic: name}
"""

AGENCIES = """\
# Invented agencies and contacts; any likeness to real offices is coincidental.
agencies:
  - id: civil-registry
    name: "State Civil Registration Service"
    country: KG
    contacts:
      - {name: "Aigul Toktogulova", role: steward, email: a.toktogulova@civil.example.kg}
      - {name: "Nurlan Osmonov", role: mainframe operations, email: n.osmonov@civil.example.kg}
  - id: tax-service
    name: "State Tax Service"
    country: KG
    contacts:
      - {name: "Bakyt Sadykov", role: data owner, email: b.sadykov@tax.example.kg}
  - id: social-fund
    name: "Social Fund"
    country: KG
    contacts:
      - {name: "Zhyldyz Asanova", role: steward, email: z.asanova@socfund.example.kg}
  - id: address-registry
    name: "State Address Register Agency"
    country: KG
    contacts:
      - {name: "Emil Bakirov", role: steward, email: e.bakirov@address.example.kg}
"""

SYSTEMS = {
    "systems/cris-mainframe.yaml": """\
id: cris-mainframe
name: "Civil Registry Information System (mainframe)"
agency: civil-registry
interface: batch-file
change_window: "Sun 02:00-06:00"
description: "Nightly EBCDIC extract of all registered persons, laid out by a COBOL copybook."
""",
    "systems/tax-db.yaml": """\
id: tax-db
name: "Taxpayer register"
agency: tax-service
interface: database
change_window: "Sat 22:00-Sun 04:00"
description: "Relational database of taxpayers; one row per TIN (duplicates happen)."
""",
    "systems/social-case-system.yaml": """\
id: social-case-system
name: "Social fund case management"
agency: social-fund
interface: file-export
description: "Exports benefit cases as NDJSON, one nested object per line."
""",
    "systems/address-register.yaml": """\
id: address-register
name: "State address register"
agency: address-registry
interface: file-export
description: "Publishes the structured address list as UTF-8 CSV."
""",
}

CIVIL = """\
id: civil_persons
title: "Civil registry: persons extract"
description: "Every registered person, living or dead. Names in Latin capitals (EBCDIC cp037)."
system: cris-mainframe
owner: civil-registry
steward: "Aigul Toktogulova"
entity: Person
sensitivity: personal
authoritative_for: [national_id, family_name, given_name, patronymic, birth_date, sex, death_date, marital_status, status]
source:
  kind: copybook
  path: data/civil/persons.dat
  copybook: data/civil/persons.cpy
  encoding: cp037
  record_format: F
fields:
  - {column: REG_NO, description: "Registration number, packed decimal S9(9)"}
  - {column: PIN, attribute: national_id, description: "Personal number: sex digit, ddmmyyyy, serial", normalize: [{identifier: {scheme: kg_pin}}]}
  - {column: FAMILY_NAME, attribute: family_name, description: "Latin capitals"}
  - {column: GIVEN_NAME, attribute: given_name}
  - {column: PATRONYMIC, attribute: patronymic}
  - {column: SEX_CD, attribute: sex, codelist: sex}
  - {column: BIRTH_DATE, attribute: birth_date, description: "yyyymmdd, packed decimal", normalize: [{date: {format: "%Y%m%d"}}]}
  - {column: MARITAL_CD, attribute: marital_status, codelist: marital_status}
  - {column: STATUS_CD, attribute: status, codelist: person_status}
  - {column: DEATH_DATE, attribute: death_date, description: "yyyymmdd; 0 when alive", normalize: [{date: {format: "%Y%m%d", zero_is_null: true}}]}
  - {column: ADDRESS_ID, attribute: address_id, description: "Registered address (address register id)"}
  - {column: LAST_CHANGE, description: "Date of the last change to the record"}
"""

TAX = """\
id: tax_payers
title: "Tax service: taxpayer register"
description: "Adults registered for tax. PINs typed with separators; addresses as free text."
system: tax-db
owner: tax-service
steward: "Bakyt Sadykov"
entity: Person
sensitivity: personal
authoritative_for: [tax_number]
source:
  kind: sql
  path: data/tax/tax.sqlite
  table: taxpayers
  key: [tin]
fields:
  - {column: tin, attribute: tax_number, description: "10 digits with leading zeros", normalize: [{identifier: {scheme: kg_tin}}]}
  - {column: pin, attribute: national_id, normalize: [{identifier: {scheme: kg_pin}}]}
  - {column: full_name, attribute: full_name, description: "Cyrillic, family name first (mostly)"}
  - {column: birth_date, attribute: birth_date, description: "ISO yyyy-mm-dd", normalize: [{date: {format: "YYYY-MM-DD"}}]}
  - {column: status, attribute: status, codelist: person_status}
  - {column: address, attribute: address_full, description: "Free text, several styles"}
  - {column: updated_at, description: "Last change of the row"}
"""

SOCIAL_HEAD = """\
id: social_cases
title: "Social fund: benefit cases"
description: "Pensions, child and disability benefits. Names mostly Cyrillic, some Latin."
system: social-case-system
owner: social-fund
steward: "Zhyldyz Asanova"
entity: Person
sensitivity: special
source:
  kind: json
  path: data/social/beneficiaries.ndjson
  format: ndjson
  fields:
"""

SOCIAL_TAIL = """\
fields:
  - {column: case_id, description: "Case number"}
  - {column: pin, attribute: national_id, description: "Text, sometimes a JSON number", normalize: [{identifier: {scheme: kg_pin}}]}
  - {column: tin, attribute: tax_number, description: "A JSON number: leading zeros lost", normalize: [{identifier: {scheme: kg_tin}}]}
  - {column: last_name, attribute: family_name}
  - {column: first_name, attribute: given_name}
  - {column: middle_name, attribute: patronymic}
  - {column: birth, attribute: birth_date, description: "DD.MM.YYYY", normalize: [{date: {format: "%d.%m.%Y"}}]}
  - {column: status, attribute: status, codelist: person_status}
  - {column: marital, attribute: marital_status, codelist: marital_status}
  - {column: region, attribute: address_region}
  - {column: district, attribute: address_district}
  - {column: locality, attribute: address_locality}
  - {column: street, attribute: address_street}
  - {column: house, attribute: address_house}
  - {column: benefit_type, description: "pension | child | disability"}
  - {column: benefit_amount, description: "Monthly amount, KGS", sensitivity: special}
  - {column: benefit_since, description: "DD.MM.YYYY"}
"""

ADDRESSES = """\
id: addresses
title: "Address register"
description: "Structured addresses; the reference the other registers should point to."
system: address-register
owner: address-registry
steward: "Emil Bakirov"
entity: Address
reference: true
sensitivity: public
authoritative_for: [address_id, admin_unit_l1, admin_unit_l2, locality, thoroughfare, locator_designator, post_code]
source:
  kind: csv
  path: data/address/addresses.csv
  encoding: utf-8
  delimiter: ","
fields:
  - {column: address_id, attribute: address_id}
  - {column: region, attribute: admin_unit_l1}
  - {column: district, attribute: admin_unit_l2}
  - {column: locality, attribute: locality}
  - {column: street, attribute: thoroughfare}
  - {column: house, attribute: locator_designator}
  - {column: post_code, attribute: post_code}
"""

ENTITY = """\
# The social fund keeps addresses in parts; these attributes carry them until they
# are matched to the address register.
id: Person
attributes:
  - {name: address_region, type: string, description: "Region (oblast) as the source wrote it"}
  - {name: address_district, type: string}
  - {name: address_locality, type: string}
  - {name: address_street, type: string}
  - {name: address_house, type: string}
"""

CODELISTS = {
    "codelists/marital_status.yaml": """\
id: marital_status
title: "Marital status"
version: "2026.1"
codes:
  - {code: single, labels: {en: "Single", ru: "Холост / не замужем", ky: "Бойдок"}}
  - {code: married, labels: {en: "Married", ru: "Женат / замужем", ky: "Үй-бүлөлүү"}}
  - {code: divorced, labels: {en: "Divorced", ru: "Разведён / разведена", ky: "Ажырашкан"}}
  - {code: widowed, labels: {en: "Widowed", ru: "Вдовец / вдова", ky: "Жесир"}}
crosswalks:
  - dataset: civil_persons      # letters on the mainframe
    column: MARITAL_CD
    map:
      - {local: "S", code: single}
      - {local: "M", code: married}
      - {local: "D", code: divorced}
      - {local: "W", code: widowed}
  - dataset: social_cases       # numbers in the case system
    column: marital
    map:
      - {local: "1", code: single}
      - {local: "2", code: married}
      - {local: "3", code: divorced}
      - {local: "4", code: widowed}
""",
    "codelists/person_status.yaml": """\
id: person_status
title: "Status of a person in a register"
version: "2026.1"
codes:
  - {code: active, labels: {en: "Active", ru: "Действующий"}}
  - {code: suspended, labels: {en: "Suspended", ru: "Приостановлен"}}
  - {code: closed, labels: {en: "Closed (emigrated, deregistered)", ru: "Закрыт"}}
  - {code: deceased, labels: {en: "Deceased", ru: "Умер"}}
crosswalks:
  - dataset: civil_persons      # letters
    column: STATUS_CD
    map:
      - {local: "A", code: active}
      - {local: "E", code: closed}
      - {local: "D", code: deceased}
  - dataset: tax_payers         # words
    column: status
    map:
      - {local: "active", code: active}
      - {local: "suspended", code: suspended}
      - {local: "closed", code: closed}
      - {local: "deceased", code: deceased}
  - dataset: social_cases       # numbers; 3 covers both closed and deceased
    column: status
    map:
      - {local: "1", code: active}
      - {local: "2", code: suspended}
      - {local: "3", code: closed}
""",
    "codelists/sex.yaml": """\
id: sex
title: "Sex"
version: "2026.1"
codes:
  - {code: male, labels: {en: "Male", ru: "Мужской", ky: "Эркек"}}
  - {code: female, labels: {en: "Female", ru: "Женский", ky: "Аял"}}
crosswalks:
  - dataset: civil_persons
    column: SEX_CD
    map:
      - {local: "M", code: male}
      - {local: "F", code: female}
""",
}

SEAMS = {
    "seams/civil-to-tax.yaml": """\
id: civil-to-tax
title: "Civil registry -> tax service: identities, name changes and deaths"
provider: civil_persons
consumer: tax-db
owner: {name: "Bakyt Sadykov", agency: tax-service, email: b.sadykov@tax.example.kg}
agreement:
  reference: "DSA-2026-014"
  purpose: tax-registration
  legal_basis: "Tax Code, art. 12 (invented)"
  attributes: [national_id, family_name, given_name, patronymic, birth_date, death_date, status]
  retention: P5Y
  starts: 2026-01-01
  expires: 2027-12-31
contract:
  allow_new_columns: true
  rules:
    - {attribute: national_id, check: not_null}
    - {attribute: national_id, check: unique}
    - {attribute: birth_date, check: range, min: 1900-01-01, max: today, tolerance: 0.001}
    - {attribute: marital_status, check: in_codelist}
    - {attribute: status, check: in_codelist}
  volume: {min_rows: $civil_min, max_change: 0.2}
  freshness: {max_age: P2D}
""",
    "seams/civil-to-social.yaml": """\
id: civil-to-social
title: "Civil registry -> social fund: deaths stop benefit payments"
provider: civil_persons
consumer: social-case-system
owner: {name: "Zhyldyz Asanova", agency: social-fund, email: z.asanova@socfund.example.kg}
agreement:
  reference: "DSA-2026-021"
  purpose: benefit-eligibility
  legal_basis: "Law on State Social Insurance, art. 7 (invented)"
  attributes: [national_id, family_name, given_name, birth_date, death_date, status]
  retention: P10Y
  starts: 2026-01-01
contract:
  rules:
    - {attribute: national_id, check: not_null}
    - {attribute: status, check: in_codelist}
    - {attribute: death_date, check: range, min: 1900-01-01, max: today}
  volume: {min_rows: $civil_min}
  freshness: {max_age: P1D}
""",
    "seams/addresses-to-social.yaml": """\
id: addresses-to-social
title: "Address register -> social fund: structured addresses"
provider: addresses
consumer: social-case-system
owner: {name: "Emil Bakirov", agency: address-registry, email: e.bakirov@address.example.kg}
agreement:
  reference: "DSA-2026-022"
  purpose: address-validation
  legal_basis: "Regulation on the State Address Register, para. 4 (invented)"
  attributes: [address_id, admin_unit_l1, admin_unit_l2, locality, thoroughfare, locator_designator, post_code]
  starts: 2026-02-01
  expires: 2028-01-31
contract:
  rules:
    - {attribute: address_id, check: not_null}
    - {attribute: address_id, check: unique}
    - {attribute: post_code, check: pattern, pattern: "^[0-9]{6}$$"}
  volume: {min_rows: $address_min}
""",
}


IDENTIFIERS = {
    "identifiers/kg_pin.yaml": """\
# The personal identification number (PIN) of this invented country, declared as data
# because python-stdnum has no module for it: 14 digits, the first the sex (1 male,
# 2 female), then the birth date as ddmmyyyy, then a 5-digit serial. No check digit.
id: kg_pin
title: "Personal identification number (PIN)"
length: 14
pattern: "[12][0-9]{13}"
separators: " -./"
check: none
embedded:
  - {name: sex, start: 1, length: 1, kind: code, values: {"1": male, "2": female}, attribute: sex}
  - {name: birth_date, start: 2, length: 8, kind: date, format: "%d%m%Y", attribute: birth_date}
""",
    "identifiers/kg_tin.yaml": """\
# The taxpayer identification number: 10 digits, leading zeros significant. Exports that
# went through a spreadsheet or a JSON number lost them; the scheme restores them.
id: kg_tin
title: "Taxpayer identification number (TIN)"
length: 10
pattern: "[0-9]{10}"
separators: " -"
check: none
restore_leading_zeros: true
""",
}


def _social() -> str:
    mapping = "".join(f"    {col}: {path}\n" for col, path in SOCIAL_FIELDS.items())
    return SOCIAL_HEAD + mapping + SOCIAL_TAIL


def spec_files(*, people: int, addresses: int) -> dict[str, str]:
    """Every spec file of the demo workspace, by relative path."""
    values = {"civil_min": max(1, people * 9 // 10), "address_min": max(1, addresses * 9 // 10)}
    files = {
        "seamline.yaml": PROJECT,
        "agencies.yaml": AGENCIES,
        **SYSTEMS,
        "datasets/civil_persons.yaml": CIVIL,
        "datasets/tax_payers.yaml": TAX,
        "datasets/social_cases.yaml": _social(),
        "datasets/addresses.yaml": ADDRESSES,
        "entities/person.yaml": ENTITY,
        **IDENTIFIERS,
        **CODELISTS,
        **{name: Template(text).substitute(values) for name, text in SEAMS.items()},
        ".gitignore": ".seamline/\n",
    }
    return files


def write_spec(root: Path, *, people: int, addresses: int) -> list[Path]:
    """Write the spec files into ``root``; return their paths."""
    written = []
    for name, text in spec_files(people=people, addresses=addresses).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
