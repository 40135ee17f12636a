"""The billing workspace spec, written as a user would: one dataset template for the 38
agencies' workbooks, the bank's two files, the entities, the category code list with a
crosswalk per agency, and seams per agency for its own billing lines and its own
invoices (the derived ``invoices``, restricted to its rows)."""

from __future__ import annotations

from pathlib import Path

from seamline.demo.billing.agencies import CATEGORIES, CATEGORY_LABELS, Agency
from seamline.demo.billing.derived import derived_files
from seamline.demo.billing.workbooks import LAYOUTS

NAME = "demo-billing"

PROJECT = """\
# The billing demo: 38 agencies bill the shared services they used, each in a workbook
# of its own making; the bank's statement shows what they paid. All invented.
# Written by `seamline demo --scenario billing`. The ground truth is in _truth/;
# `python -m seamline.demo.billing.evaluate .` scores a run against it.
name: demo-billing
title: "Demo: shared-services billing between 38 agencies"
description: "Monthly billing workbooks in six layouts, a bank statement as CSV and camt.053."
country: XX
engine: duckdb
data_dir: .seamline/data
quarantine_max_share: 0.2   # a small workbook with one Excel error is still delivered
"""

_NETWORK = """\
  - id: shared-services
    name: "Shared Services Network (billing and collections)"
    country: XX
    contacts:
      - {name: "Mira Calder", role: steward, email: m.calder@ssn.example.gov}
  - id: collection-bank
    name: "Northbridge Bank (collection account)"
    country: XX
    contacts:
      - {name: "Ivo Brandt", role: data owner, email: i.brandt@bank.example.com}
"""

SYSTEMS = {
    "systems/billing-workbooks.yaml": """\
id: billing-workbooks
name: "Agencies' billing workbooks"
agency: shared-services
interface: file-export
description: "Each agency's workbook of the shared services it billed, dropped monthly."
""",
    "systems/collections-ledger.yaml": """\
id: collections-ledger
name: "Collections ledger"
agency: shared-services
interface: batch-file
description: "Books the invoices and the payments received against them."
""",
    "systems/bank-statements.yaml": """\
id: bank-statements
name: "Bank statement export"
agency: collection-bank
interface: file-export
description: "Daily statement of the collection account: CSV and ISO 20022 camt.053."
""",
}

ENTITIES = {
    "entities/billing_line.yaml": """\
id: BillingLine
title: "Billing line"
description: "One service billed by an agency: when, which category, how much."
attributes:
  - {name: line_ref, type: identifier, description: "The agency's own line reference"}
  - {name: service_date, type: date}
  - {name: category, type: code, description: "Canonical billing category (codelist billing_category)"}
  - {name: description, type: string}
  - {name: amount, type: decimal, description: "Amount in currency units"}
  - {name: amount_cents, type: integer, description: "Amount in cents, where the workbook keeps cents"}
  - {name: month_block, type: string, description: "The month title a line was written under"}
""",
    "entities/invoice.yaml": """\
id: Invoice
title: "Invoice"
description: "What an agency owes for one month: the sum of its billable lines (derived)."
attributes:
  - {name: invoice_id, type: identifier}
  - {name: agency_id, type: code}
  - {name: period, type: string, description: "YYYY-MM"}
  - {name: total, type: decimal}
  - {name: lines, type: integer, description: "Billing lines of the month"}
  - {name: lines_held, type: integer, description: "Lines whose amount cannot be read (not in the total)"}
  - {name: lines_uncategorized, type: integer, description: "Lines whose code maps to no category"}
""",
    "entities/payment.yaml": """\
id: Payment
title: "Payment"
description: "A credit to the collection account."
attributes:
  - {name: bank_ref, type: identifier}
  - {name: booking_date, type: date}
  - {name: amount, type: decimal}
  - {name: currency, type: code}
  - {name: debtor_name, type: string}
  - {name: debtor_iban, type: identifier}
  - {name: reference, type: string, description: "Remittance text as typed by the payer"}
""",
}

AMOUNT = """\
# Amounts as the workbooks write them: 1234.5, "1,234.50", "1 234.50" or cents.
# Separators are removed; anything else than digits and a decimal point is flagged.
id: billing_amount
title: "Amount in a billing workbook"
pattern: "-?[0-9]+(\\\\.[0-9]{1,2})?"
separators: ", "
"""

TEMPLATE_HEAD = """\
# One template for the 38 agencies' workbooks. Every agency keeps its own layout: the
# instance renames the template's columns (columns:), moves the header and sheet
# (overrides:) and names its date notation and amount kind (vars:).
id: billing_${name}
title: "Shared services billed: ${agency_name}"
description: "The agency's running register of shared services billed, one line each."
system: billing-workbooks
owner: shared-services
steward: "Mira Calder"
entity: BillingLine
sensitivity: internal
source:
  kind: spreadsheet
  path: data/billing/${name}.xlsx
  sheet: Billing
  header_row: 1
  columns_as_text: [Line, Service code]
  total_labels: [total, grand total]
fields:
  - {column: Line, attribute: line_ref}
  - {column: Date, attribute: service_date, normalize: [{date: {format: "${date_format}", min: 2026-01-01, max: 2026-12-31}}]}
  - {column: Service code, attribute: category, codelist: billing_category, description: "The agency's local code"}
  - {column: Description, attribute: description}
  - {column: Amount, attribute: "${amount_attribute}", normalize: [{identifier: {scheme: billing_amount, placeholders: false}}]}
for_each:
"""

_TEMPLATE_COLUMNS = LAYOUTS["plain"].columns
_DATE = {"excel": "%Y-%m-%d"}


def _instance(a: Agency) -> str:
    lay = LAYOUTS[a.layout]
    renamed = {t: c for t, c in zip(_TEMPLATE_COLUMNS, lay.columns, strict=True) if t != c}
    source: dict[str, str] = {}
    if lay.sheet != "Billing":
        source["sheet"] = f'"{lay.sheet}"'
    if lay.header_row != 1:
        source["header_row"] = str(lay.header_row)
    if renamed:
        source["columns_as_text"] = f'["{lay.columns[0]}", "{lay.columns[2]}"]'
    if lay.totals == "month":
        source["section_column"] = "month_block"
    fmt = _DATE.get(lay.date, lay.date)
    amount = "amount_cents" if lay.amount == "cents" else "amount"
    out = [
        f"  - name: a{a.number:02d}                   # layout: {a.layout}\n",
        f"    owner: {a.id}\n",
        f'    vars: {{agency_name: "{a.name}", date_format: "{fmt}", amount_attribute: {amount}}}\n',
    ]
    if renamed:
        pairs = ", ".join(f'"{t}": "{c}"' for t, c in renamed.items())
        out.append(f"    columns: {{{pairs}}}\n")
    if source:
        inner = ", ".join(f"{k}: {v}" for k, v in source.items())
        out.append(f"    overrides: {{source: {{{inner}}}}}\n")
    return "".join(out)


def _codelist(agencies: list[Agency]) -> str:
    codes = "".join(
        f'  - {{code: {c}, labels: {{en: "{CATEGORY_LABELS[c]}"}}}}\n' for c in CATEGORIES
    )
    walks = []
    for a in agencies:
        column = LAYOUTS[a.layout].columns[2]
        entries = ", ".join(f'{{local: "{a.local(c)}", code: {c}}}' for c in CATEGORIES)
        walks.append(f'  - dataset: {a.dataset}\n    column: "{column}"\n    map: [{entries}]\n')
    return (
        "# The four billing categories, and each agency's own codes for them.\n"
        'id: billing_category\ntitle: "Shared-service billing category"\nversion: "2026"\n'
        f"codes:\n{codes}crosswalks:\n" + "".join(walks)
    )


PAYMENT_FIELDS = """\
fields:
  - {column: bank_ref, attribute: bank_ref}
  - {column: booking_date, attribute: booking_date, normalize: [{date: {format: "%DATE%"}}]}
  - {column: amount, attribute: amount, normalize: [{identifier: {scheme: billing_amount, placeholders: false}}]}
  - {column: currency, attribute: currency}
  - {column: debtor_name, attribute: debtor_name, normalize: [{text: {case: upper}}]}
  - {column: debtor_iban, attribute: debtor_iban, normalize: [{text: {remove: " "}}]}
  - {column: reference, attribute: reference}
"""

PAYMENTS_CSV = """\
id: bank_payments
title: "Collection account payments (CSV export)"
description: "Credits to the network's collection account; the reference as the payer typed it."
system: bank-statements
owner: collection-bank
steward: "Ivo Brandt"
entity: Payment
sensitivity: internal
authoritative_for: [bank_ref, booking_date, amount]
source:
  kind: csv
  path: data/bank/payments.csv
  encoding: utf-8
  delimiter: ";"
""" + PAYMENT_FIELDS.replace("%DATE%", "%d.%m.%Y")

PAYMENTS_XML = """\
id: bank_statement
title: "Collection account statement (ISO 20022 camt.053.001.08)"
description: "The same credits as the CSV export, as the bank's camt.053 statement."
system: bank-statements
owner: collection-bank
steward: "Ivo Brandt"
entity: Payment
sensitivity: internal
source:
  kind: xml
  path: data/bank/statement.camt053.xml
  record_path: //c:Stmt/c:Ntry
  namespaces: {c: "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}
  fields:
    bank_ref: c:AcctSvcrRef
    booking_date: c:BookgDt/c:Dt
    amount: c:Amt
    currency: c:Amt/@Ccy
    debtor_name: c:NtryDtls/c:TxDtls/c:RltdPties/c:Dbtr/c:Pty/c:Nm
    debtor_iban: c:NtryDtls/c:TxDtls/c:RltdPties/c:DbtrAcct/c:Id/c:IBAN
    reference: c:NtryDtls/c:TxDtls/c:RmtInf/c:Ustrd
""" + PAYMENT_FIELDS.replace("%DATE%", "%Y-%m-%d")


def _seam(a: Agency) -> str:
    return f"""\
# {a.name} sees its own billing lines only: one dataset, one agreement.
id: own-billing-a{a.number:02d}
title: "{a.name}: its own billing lines"
provider: {a.dataset}
consumer: portal-a{a.number:02d}
owner: {{name: "Mira Calder", agency: shared-services, email: m.calder@ssn.example.gov}}
agreement:
  reference: "SSN-BILL-{a.number:02d}"
  purpose: billing-review
  legal_basis: "Shared services agreement 2026, annex B (invented)"
  attributes: [line_ref, service_date, category, description]
  starts: 2026-01-01
  expires: 2027-12-31
contract:
  rules:
    - {{attribute: category, check: in_codelist, tolerance: 0.06}}
    - {{attribute: service_date, check: not_null, tolerance: 0.01}}
"""


def _invoices_seam(a: Agency) -> str:
    return f"""\
# {a.name} reads its own invoices only: the derived invoices, its rows.
id: own-invoices-a{a.number:02d}
title: "{a.name}: its own invoices"
provider: invoices
consumer: portal-a{a.number:02d}
owner: {{name: "Mira Calder", agency: shared-services, email: m.calder@ssn.example.gov}}
agreement:
  reference: "SSN-INV-{a.number:02d}"
  purpose: billing-review
  legal_basis: "Shared services agreement 2026, annex B (invented)"
  attributes: [invoice_id, agency_id, period, total, lines]
  rows: {{column: agency_id, equals: {a.id}}}
  starts: 2026-01-01
  expires: 2027-12-31
"""


def _portal(a: Agency) -> str:
    return f"""\
id: portal-a{a.number:02d}
name: "{a.name}: finance portal"
agency: {a.id}
interface: api
"""


def spec_files(agencies: list[Agency]) -> dict[str, str]:
    """Every spec file of the billing workspace, by relative path."""
    people = "".join(
        f'  - id: {a.id}\n    name: "{a.name}"\n    country: XX\n'
        f'    contacts:\n      - {{name: "Finance unit", role: data owner, '
        f"email: finance@a{a.number:02d}.example.gov}}\n"
        for a in agencies
    )
    files = {
        "seamline.yaml": PROJECT,
        "agencies.yaml": "# Invented agencies of an invented country.\nagencies:\n"
        + _NETWORK
        + people,
        **SYSTEMS,
        **ENTITIES,
        "identifiers/billing_amount.yaml": AMOUNT,
        "datasets/agency-billing.yaml": TEMPLATE_HEAD + "".join(_instance(a) for a in agencies),
        "datasets/bank_payments.yaml": PAYMENTS_CSV,
        "datasets/bank_statement.yaml": PAYMENTS_XML,
        "codelists/billing_category.yaml": _codelist(agencies),
        **derived_files(agencies),
        ".gitignore": ".seamline/\n",
    }
    for a in agencies:
        files[f"systems/portal-a{a.number:02d}.yaml"] = _portal(a)
        files[f"seams/own-billing-a{a.number:02d}.yaml"] = _seam(a)
        files[f"seams/own-invoices-a{a.number:02d}.yaml"] = _invoices_seam(a)
    return files


def write_spec(root: Path, agencies: list[Agency]) -> None:
    for name, text in spec_files(agencies).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
