"""A small billing workspace: two harmonized datasets and two derived ones, one reading the other."""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "seamline.yaml": "name: billing-lab\ndata_dir: .seamline/data\n",
    "agencies.yaml": """\
agencies:
  - {id: ssc, name: Shared Services Centre}
  - {id: water-board, name: Water Board}
""",
    "systems/ledger.yaml": "id: ledger\nname: Billing ledger\nagency: ssc\ninterface: spreadsheet\n",
    "entities/billing.yaml": """\
id: BillingLine
attributes:
  - {name: agency_id, type: code}
  - {name: period, type: string}
  - {name: amount, type: decimal}
""",
    "entities/agency.yaml": """\
id: AgencyEntry
attributes:
  - {name: agency_id, type: code}
  - {name: agency_name, type: string}
""",
    "datasets/billing_lines.yaml": """\
id: billing_lines
title: Billable lines
system: ledger
owner: ssc
entity: BillingLine
source: {kind: csv, path: data/lines.csv}
fields:
  - {column: agency, attribute: agency_id}
  - {column: month, attribute: period}
  - {column: amount, attribute: amount}
""",
    "datasets/agency_list.yaml": """\
id: agency_list
title: Agencies billed
system: ledger
owner: ssc
entity: AgencyEntry
source: {kind: csv, path: data/agencies.csv}
fields:
  - {column: code, attribute: agency_id}
  - {column: name, attribute: agency_name}
""",
    "derived/invoices.yaml": """\
id: invoices
title: Invoices per agency and month
description: One invoice per agency and month, the sum of its billable lines.
owner: {agency: Shared Services Centre, contact: billing@example.org}
entity: BillingLine
primary_key: [agency_id, period]
sensitivity: internal
sql: |
  SELECT agency_id, period, SUM(CAST(amount AS DECIMAL(18, 2))) AS total, COUNT(*) AS lines
  FROM billing_lines GROUP BY agency_id, period
contract:
  rules:
    - {attribute: total, check: range, min: 0}
    - {attribute: agency_id, check: referential, reference: agency_list}
retention: P7Y
""",
    "derived/agency_totals.yaml": """\
id: agency_totals
title: Totals per agency
owner: ssc
sql: |
  WITH named AS (
    SELECT i.agency_id, a.agency_name, i.total FROM invoices AS i
    JOIN agency_list AS a ON a.agency_id = i.agency_id
  )
  SELECT agency_id, agency_name, SUM(total) AS total, COUNT(*) AS invoices
  FROM named GROUP BY agency_id, agency_name
""",
    "data/lines.csv": """\
agency,month,amount
ssc,2026-01,100.50
ssc,2026-01,20.25
water-board,2026-01,300.00
water-board,2026-02,45.10
ssc,2026-02,9.99
""",
    "data/agencies.csv": "code,name\nssc,Shared Services Centre\nwater-board,Water Board\n",
}


def billing_workspace(root: Path, **replace: str) -> Path:
    """Write the workspace; ``replace`` maps a file name to other content ('' drops it)."""
    for name, text in {**FILES, **replace}.items():
        if not text:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
