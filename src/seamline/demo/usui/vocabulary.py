"""The us-ui workspace's shared vocabulary: identifier schemes, code lists, seams, reconcile."""

from __future__ import annotations

from seamline.demo.usui.lists import STATES

IDENTIFIERS = {
    "identifiers/us_ssn.yaml": """\
# The Social Security number: 9 digits; area 001-665 or 667-899, group 01-99, serial
# 0001-9999 (areas 000, 666 and 900-999 are never issued: 9xx are ITINs). The digits
# clerks type when the number is unknown are placeholders, flagged and never linked.
id: us_ssn
title: "Social Security number (SSN)"
length: 9
pattern: "(00[1-9]|0[1-9][0-9]|[1-5][0-9]{2}|6[0-5][0-9]|66[0-57-9]|6[7-9][0-9]|[78][0-9]{2})(0[1-9]|[1-9][0-9])(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
separators: " -"
check: none
placeholders: ["000000000", "111111111", "123456789", "999999999"]
link: exact
unique: true
""",
    "identifiers/nj_dl.yaml": """\
# The motor-vehicle agency's licence number: the initial of the family name and 14
# digits, printed in groups of 5-5-5 on the card.
id: nj_dl
title: "Driver licence / ID card number"
length: 15
pattern: "[A-Z][0-9]{14}"
separators: " -"
check: none
link: exact
unique: true
""",
    "identifiers/us_ein.yaml": """\
# The employer identification number: 9 digits, written 12-3456789. It names an
# employer, not a person: evidence that two records are one person, never a link alone.
id: us_ein
title: "Employer identification number (EIN)"
length: 9
pattern: "[0-9]{9}"
separators: " -"
check: none
link: evidence
unique: false
""",
    "identifiers/ui_claim.yaml": """\
# The claims system's claim number: UI and 8 digits. One person may hold two claims.
id: ui_claim
title: "UI claim number"
length: 10
pattern: "UI[0-9]{8}"
separators: " -"
check: none
link: exact
unique: false
""",
}

CODELISTS = {
    "codelists/sex.yaml": """\
id: sex
title: "Sex"
version: "2026.1"
codes:
  - {code: male, labels: {en: "Male", es: "Masculino"}}
  - {code: female, labels: {en: "Female", es: "Femenino"}}
crosswalks:
  - dataset: ui_claims          # letters on the mainframe
    column: SEX_CD
    map:
      - {local: "M", code: male}
      - {local: "F", code: female}
  - dataset: mva_identities     # numbers at the MVA
    column: sex
    map:
      - {local: "1", code: male}
      - {local: "2", code: female}
""",
}

CLAIM_SEAMS = {
    "seams/mva-to-claims.yaml": """\
id: mva-to-claims
title: "MVA -> UI claims: identity verification of claimants"
provider: mva_identities
consumer: uics-mainframe
owner: {name: "Dana Whitfield", agency: workforce-agency, email: d.whitfield@swa.example.gov}
agreement:
  reference: "MOU-2025-UI-07"
  purpose: identity-verification
  legal_basis: "State UI law, identity verification of claimants (invented)"
  attributes: [national_id, driver_license, family_name, given_name, middle_name, birth_date, house_number, street, unit, locality, region, post_code]
  retention: P3Y
  starts: 2025-07-01
  expires: 2027-06-30
contract:
  allow_new_columns: true
  rules:
    - {attribute: driver_license, check: not_null, tolerance: 0.001}
    - {attribute: driver_license, check: valid_identifier, tolerance: 0.001}
    - {attribute: birth_date, check: range, min: 1900-01-01, max: today, tolerance: 0.001}
    - {attribute: region, check: in_codelist, tolerance: 0.001}
  volume: {min_rows: $mva_min, max_change: 0.2}
""",
    "seams/wages-to-claims.yaml": """\
id: wages-to-claims
title: "Wage records -> UI claims: monetary eligibility"
provider: wage_records
consumer: uics-mainframe
owner: {name: "Priya Raman", agency: employer-accounts, email: p.raman@swa.example.gov}
agreement:
  reference: "SWA-INT-2024-03"
  purpose: benefit-eligibility
  legal_basis: "State UI law, base-period wages (invented)"
  attributes: [national_id, family_name, given_name]
  starts: 2024-01-01
contract:
  rules:
    - {attribute: national_id, check: not_null, tolerance: 0.01}
    - {attribute: national_id, check: valid_identifier, tolerance: 0.01}
  volume: {min_rows: $wage_min}
""",
    "seams/claims-to-bank.yaml": """\
id: claims-to-bank
title: "UI claims -> disbursement bank: payees"
provider: ui_claims
consumer: disbursement
owner: {name: "Renée Castillo", agency: disbursement-bank, email: r.castillo@bank.example.com}
agreement:
  reference: "CTR-2025-118"
  purpose: benefit-payment
  legal_basis: "Disbursement services contract, sec. 4 (invented)"
  attributes: [claim_id, national_id, family_name, given_name, middle_name, house_number, street, unit, locality, region, post_code]
  retention: P7Y
  starts: 2025-01-01
  expires: 2027-12-31
contract:
  rules:
    - {attribute: claim_id, check: not_null}
    - {attribute: claim_id, check: unique}
    - {attribute: national_id, check: valid_identifier, tolerance: 0.02}
    - {attribute: region, check: in_codelist}
  volume: {min_rows: $claims_min}
  freshness: {max_age: P1D}
""",
}

RECONCILE = """\
# How claimants are linked across the four systems. Record keys survive re-runs:
# the claim number, the MVA customer number, the bank's payment id; a wage line has
# none, so its line number in the file is its key. How far each identifier is trusted
# (SSN, licence and claim number link outright; the EIN is evidence) is said by its scheme.
id: person
entity: Person
datasets: [ui_claims, wage_records, mva_identities, benefit_payments]
keys: {ui_claims: [CLAIM_ID], wage_records: [_record_no], mva_identities: [customer_no], benefit_payments: [payment_id]}
recency: {ui_claims: LAST_UPDT, mva_identities: last_updated, benefit_payments: paid_on}
truth: [authoritative, most_recent, most_frequent]
attributes: [national_id, driver_license, claim_id, employer_ein, family_name, given_name, middle_name, name_suffix, full_name, birth_date, sex, phone, house_number, street, unit, locality, region, post_code, post_code_ext]
"""


def state_list() -> str:
    """The US state code list, with the crosswalk from the MVA's state names."""
    codes = "".join(f'  - {{code: {c}, labels: {{en: "{n}"}}}}\n' for c, n in STATES)
    names = "".join(f'      - {{local: "{n}", code: {c}}}\n' for c, n in STATES)
    upper = "".join(f'      - {{local: "{n.upper()}", code: {c}}}\n' for c, n in STATES)
    return (
        "# USPS state codes; the MVA writes some states by name.\n"
        'id: us_state\ntitle: "US state or territory"\nversion: "2026.1"\ncodes:\n'
        + codes
        + "crosswalks:\n  - dataset: mva_identities\n    column: state\n    map:\n"
        + names
        + upper
    )
