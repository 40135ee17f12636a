"""The us-ui workspace spec: agencies, systems, datasets, code lists, schemes, seams.

Written as commented text, like the civil scenario's, for people learning the format.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from seamline.demo.usui.mva import FIELDS as MVA_FIELDS
from seamline.demo.usui.vocabulary import CLAIM_SEAMS, CODELISTS, IDENTIFIERS, RECONCILE, state_list
from seamline.demo.usui.wages import COLUMNS as WAGE_COLUMNS

NAME = "demo-us-ui"

PROJECT = """\
# The us-ui demo: a state unemployment-insurance program shares claimant data with the
# motor-vehicle agency, employers and the disbursement bank (all invented).
# Written by `seamline demo --scenario us-ui`. The ground truth in _truth/ is read only
# because `evaluate:` below declares it: `seamline run` then scores links and golden values.
name: demo-us-ui
title: "Demo: unemployment insurance claims, wages, identities and payments"
description: "A state workforce agency's claims, employers' wage reports, the MVA identity file and the bank's payments."
country: US
engine: duckdb
data_dir: .seamline/data
quarantine_max_share: 0.05
evaluate:
  truth: _truth
  # The truth spells names as the MVA card does (García López); the mainframe's GARCIA
  # LOPEZ counts as right when the name keys agree. Cities are compared ignoring case.
  compare: {family_name: name, given_name: name, middle_name: name, name_suffix: text, locality: text}
"""

AGENCIES = """\
# Invented agencies and contacts; any likeness to real offices is coincidental.
agencies:
  - id: workforce-agency
    name: "State Workforce Agency, Division of Unemployment Insurance"
    country: US
    contacts:
      - {name: "Dana Whitfield", role: steward, email: d.whitfield@swa.example.gov}
      - {name: "Luis Ortega", role: mainframe operations, email: l.ortega@swa.example.gov}
  - id: employer-accounts
    name: "State Workforce Agency, Employer Accounts (wage reporting)"
    country: US
    contacts:
      - {name: "Priya Raman", role: data owner, email: p.raman@swa.example.gov}
  - id: motor-vehicles
    name: "State Motor Vehicle Agency"
    country: US
    contacts:
      - {name: "Kevin O'Donnell", role: steward, email: k.odonnell@mva.example.gov}
  - id: disbursement-bank
    name: "Commonwealth Payments Bank (benefit disbursement contractor)"
    country: US
    contacts:
      - {name: "Renée Castillo", role: data owner, email: r.castillo@bank.example.com}
"""

SYSTEMS = {
    "systems/uics-mainframe.yaml": """\
id: uics-mainframe
name: "Unemployment Insurance Claims System (mainframe)"
agency: workforce-agency
interface: batch-file
change_window: "Sun 01:00-05:00"
description: "Nightly EBCDIC extract of the claims master, laid out by a COBOL copybook."
""",
    "systems/wage-reporting.yaml": """\
id: wage-reporting
name: "Quarterly wage reporting"
agency: employer-accounts
interface: batch-file
description: "Employers file one fixed-width line per employee and quarter."
""",
    "systems/mva-identity.yaml": """\
id: mva-identity
name: "MVA customer identity file"
agency: motor-vehicles
interface: file-export
description: "Licence and ID-card holders as NDJSON, one customer object a line."
""",
    "systems/disbursement.yaml": """\
id: disbursement
name: "Benefit disbursement (bank)"
agency: disbursement-bank
interface: file-export
description: "Daily CSV of benefit payments made, from the bank's payment platform."
""",
}

CLAIMS = """\
id: ui_claims
title: "UI claims master"
description: "One record per claim filed; names in capitals without accents (EBCDIC cp037)."
system: uics-mainframe
owner: workforce-agency
steward: "Dana Whitfield"
entity: Person
sensitivity: personal
authoritative_for: [national_id, claim_id, phone]
source:
  kind: copybook
  path: data/claims/claims.dat
  copybook: data/claims/claims.cpy
  encoding: cp037
  record_format: F
  blank_text: "null"     # a blank middle name or suffix is not known, not an empty name
fields:
  - {column: CLAIM_ID, attribute: claim_id, description: "UI + 8 digits", normalize: [{identifier: {scheme: ui_claim}}]}
  - {column: CLMT_SSN, attribute: national_id, description: "SSN, with or without dashes; placeholders when unknown", normalize: [{identifier: {scheme: us_ssn}}]}
  - {column: CLMT_NAME_LAST_NAME, attribute: family_name, normalize: [{name: {}}]}
  - {column: CLMT_NAME_FIRST_NAME, attribute: given_name, normalize: [{name: {}}]}
  - {column: CLMT_NAME_MIDDLE_NAME, attribute: middle_name, normalize: [{name: {}}]}
  - {column: CLMT_NAME_NAME_SUFFIX, attribute: name_suffix, normalize: [{text: {case: upper, remove: "."}}]}
  - {column: BIRTH_DATE, attribute: birth_date, description: "CCYYMMDD, packed decimal; 0 = not known", normalize: [{date: {format: "%Y%m%d", zero_is_null: true}}]}
  - {column: SEX_CD, attribute: sex, codelist: sex}
  - column: MAIL_ADDR_STREET_LINE
    description: "House number, street and unit in one line, several spellings"
    split:
      - {attribute: house_number, normalize: [{address: {country: US, part: house_number}}]}
      - {attribute: street, normalize: [{address: {country: US, part: street}}]}
      - {attribute: unit, normalize: [{address: {country: US, part: unit}}]}
  - {column: MAIL_ADDR_CITY, attribute: locality, normalize: [{text: {case: upper}}]}
  - {column: MAIL_ADDR_STATE_CD, attribute: region, codelist: us_state}
  - column: MAIL_ADDR_ZIP_CODE
    description: "ZIP (5 digits) or ZIP+4 (9 digits, no dash)"
    split:
      - {attribute: post_code, normalize: [{address: {country: US, part: post_code}}]}
      - {attribute: post_code_ext, normalize: [{address: {country: US, part: post_code_ext}}]}
  - {column: PHONE_NO, attribute: phone, normalize: [{phone: {region: US}}]}
  - {column: BYB_DATE, description: "Benefit year begin date, CCYYMMDD"}
  - {column: WBA_AMT, description: "Weekly benefit amount, USD", sensitivity: personal}
  - {column: CLAIM_STAT, description: "A active, I inactive, D denied, X exhausted"}
  - {column: LAST_UPDT, description: "Date of the last change to the claim"}
  - {column: SEP_EMPLOYER_EIN, attribute: employer_ein, description: "The employer the claimant separated from", normalize: [{identifier: {scheme: us_ein}}]}
"""

WAGES_HEAD = """\
id: wage_records
title: "Quarterly wage records"
description: "One line per employee, employer and quarter; names as LAST, FIRST M."
system: wage-reporting
owner: employer-accounts
steward: "Priya Raman"
entity: Person
sensitivity: personal
source:
  kind: fixed_width
  path: data/wages/wages.txt
  encoding: ascii
  columns:
"""

WAGES_TAIL = """\
fields:
  - {column: rec_type, description: "S = employee wage line"}
  - {column: ssn, attribute: national_id, normalize: [{identifier: {scheme: us_ssn}}]}
  - column: employee_name
    description: "LAST, FIRST M (middle initial only, so not mapped to middle_name)"
    split:
      - {attribute: family_name, normalize: [{name: {part: family}}]}
      - {attribute: given_name, normalize: [{name: {part: given}}]}
  - {column: ein, attribute: employer_ein, description: "Employer identification number, with or without the dash", normalize: [{identifier: {scheme: us_ein}}]}
  - {column: quarter, description: "Reporting quarter, YYYYQn"}
  - {column: wages, description: "Wages paid in the quarter, USD", sensitivity: personal}
  - {column: employer_name, description: "Employer's name as filed"}
"""

MVA_HEAD = """\
id: mva_identities
title: "MVA identity file"
description: "Driver licence and ID-card holders; names with accents, addresses as one line."
system: mva-identity
owner: motor-vehicles
steward: "Kevin O'Donnell"
entity: Person
sensitivity: personal
authoritative_for: [family_name, given_name, middle_name, name_suffix, birth_date, sex, driver_license, house_number, street, unit, locality, region, post_code, post_code_ext]
source:
  kind: json
  path: data/mva/identities.ndjson
  format: ndjson
  types: {zip: string, ssn: string}
  fields:
"""

MVA_TAIL = """\
fields:
  - {column: customer_no, description: "MVA customer number"}
  - {column: license_no, attribute: driver_license, description: "Letter and 14 digits, sometimes spaced", normalize: [{identifier: {scheme: nj_dl}}]}
  - {column: credential_type, description: "DL driver licence, ID identification card"}
  - {column: ssn, attribute: national_id, description: "Mostly with dashes; null or masked for some", normalize: [{identifier: {scheme: us_ssn}}]}
  - {column: last_name, attribute: family_name}
  - {column: first_name, attribute: given_name}
  - {column: middle_name, attribute: middle_name}
  - {column: name_suffix, attribute: name_suffix, normalize: [{text: {case: upper, remove: "."}}]}
  - {column: dob, attribute: birth_date, description: "MM/DD/YYYY", normalize: [{date: {format: "%m/%d/%Y"}}]}
  - {column: sex, attribute: sex, codelist: sex, description: "1 male, 2 female"}
  - column: street
    description: "Street line with the unit, mixed spellings"
    split:
      - {attribute: house_number, normalize: [{address: {country: US, part: house_number}}]}
      - {attribute: street, normalize: [{address: {country: US, part: street}}]}
      - {attribute: unit, normalize: [{address: {country: US, part: unit}}]}
  - {column: city, attribute: locality, normalize: [{text: {case: upper}}]}
  - {column: state, attribute: region, codelist: us_state, description: "Code or name"}
  - column: zip
    description: "ZIP+4 with a dash, a 5-digit string, or a JSON number that lost its leading zero"
    split:
      - {attribute: post_code, normalize: [{address: {country: US, part: post_code}}]}
      - {attribute: post_code_ext, normalize: [{address: {country: US, part: post_code_ext}}]}
  - {column: phone, attribute: phone, normalize: [{phone: {region: US}}]}
  - {column: last_updated, description: "Last change, ISO 8601 UTC"}
"""

PAYMENTS = """\
id: benefit_payments
title: "Benefit payments"
description: "Payments made by the disbursement bank; the payee as one name line."
system: disbursement
owner: disbursement-bank
steward: "Renée Castillo"
entity: Person
sensitivity: personal
source:
  kind: csv
  path: data/payments/payments.csv
  encoding: utf-8
  delimiter: ","
fields:
  - {column: payment_id, description: "Bank payment reference"}
  - {column: claim_id, attribute: claim_id, description: "Sometimes with a dash after UI", normalize: [{identifier: {scheme: ui_claim}}]}
  - {column: payee_ssn, attribute: national_id, description: "Dashes, spaces or none", normalize: [{identifier: {scheme: us_ssn}}]}
  - {column: payee_name, attribute: full_name, description: "FIRST M LAST, capitals"}
  - {column: amount, description: "USD", sensitivity: personal}
  - {column: paid_on, description: "Payment date, ISO"}
  - {column: method, description: "ACH or DEBIT CARD"}
  - {column: account_hash, description: "Hash of the payee's bank account (the bank keeps the number)"}
"""

ENTITY = """\
# Identifiers this program links on besides the SSN.
id: Person
attributes:
  - {name: driver_license, type: identifier, description: "MVA licence or ID-card number"}
  - {name: claim_id, type: identifier, description: "UI claim number (a person may have filed twice)"}
  - {name: employer_ein, type: identifier, description: "An employer of the person: of a wage line, or the one a claimant separated from"}
"""


def _columns(columns: tuple[tuple[str, int, int], ...]) -> str:
    def line(name: str, start: int, length: int) -> str:
        extra = ", type: decimal, scale: 2" if name == "wages" else ""
        return f"    - {{name: {name}, start: {start}, length: {length}{extra}}}\n"

    return "".join(line(*c) for c in columns)


def spec_files(*, people: int, records: dict[str, int]) -> dict[str, str]:
    """Every spec file of the us-ui workspace, by relative path."""
    values = {
        "mva_min": max(1, records["mva_identities"] * 9 // 10),
        "wage_min": max(1, records["wage_records"] * 9 // 10),
        "claims_min": max(1, records["ui_claims"] * 9 // 10),
    }
    mva_fields = "".join(f"    {col}: {path}\n" for col, path in MVA_FIELDS.items())
    return {
        "seamline.yaml": PROJECT,
        "agencies.yaml": AGENCIES,
        **SYSTEMS,
        "datasets/ui_claims.yaml": CLAIMS,
        "datasets/wage_records.yaml": WAGES_HEAD + _columns(WAGE_COLUMNS) + WAGES_TAIL,
        "datasets/mva_identities.yaml": MVA_HEAD + mva_fields + MVA_TAIL,
        "datasets/benefit_payments.yaml": PAYMENTS,
        "entities/person.yaml": ENTITY,
        "reconcile/person.yaml": RECONCILE,
        **IDENTIFIERS,
        **CODELISTS,
        "codelists/us_state.yaml": state_list(),
        **{name: Template(text).substitute(values) for name, text in CLAIM_SEAMS.items()},
        ".gitignore": ".seamline/\n",
    }


def write_spec(root: Path, *, people: int, records: dict[str, int]) -> None:
    for name, text in spec_files(people=people, records=records).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
