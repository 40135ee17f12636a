"""The billing ground truth, beside the data in ``_truth/``.

``lines.csv``: every billing line generated, by dataset and sheet row (as the connector
names positions: ``sheet Billing row 5``), with its true category, amount in cents,
invoice and deliberate defect. ``invoices.csv``: each invoice's total to the cent (lines
whose amount cannot be read are not invoiced). ``payment_links.csv``: which invoice each
bank transfer pays and how much of it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from seamline.demo.billing.bank import Invoice, Payment
from seamline.demo.billing.workbooks import LAYOUTS, Line

LINE_COLUMNS = (
    "dataset", "position", "line_ref", "agency_id", "period", "invoice_id", "category",
    "local_code", "amount_cents", "defect",
)  # fmt: skip


def write_truth(
    folder: Path, lines: list[Line], invoices: list[Invoice], payments: list[Payment]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lines.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(LINE_COLUMNS)
        for x in lines:
            sheet = LAYOUTS[x.agency.layout].sheet
            w.writerow(
                (x.agency.dataset, f"sheet {sheet} row {x.row}", x.line_ref, x.agency.id,
                 x.period, x.invoice_id, x.category, x.local_code, x.amount_cents, x.defect)
            )  # fmt: skip
    with (folder / "invoices.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("invoice_id", "agency_id", "period", "total_cents"))
        w.writerows((i.id, i.agency.id, i.period, i.total_cents) for i in invoices)
    with (folder / "payment_links.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("bank_ref", "invoice_id", "allocated_cents", "kind"))
        for p in payments:
            if not p.links:
                w.writerow((p.bank_ref, "", 0, p.kind))
            w.writerows((p.bank_ref, inv, cents, p.kind) for inv, cents in p.links)


def invoices_of(lines: list[Line]) -> list[Invoice]:
    """One invoice per agency and month, summing the lines that can be billed."""
    totals: dict[str, Invoice] = {}
    for x in lines:
        inv = totals.get(x.invoice_id) or Invoice(x.invoice_id, x.agency, x.period, 0)
        add = x.amount_cents if x.billable else 0
        totals[x.invoice_id] = Invoice(inv.id, inv.agency, inv.period, inv.total_cents + add)
    return sorted(totals.values(), key=lambda i: (i.agency.number, i.period))
