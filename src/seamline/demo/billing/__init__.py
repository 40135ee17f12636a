"""The billing scenario: 38 agencies' billing workbooks and a bank statement, seeded, with truth.

Each agency bills the shared services it used in a workbook of its own layout; the
bank's statement (CSV and camt.053) shows the payments, with mistyped or missing
references. The ground truth in ``_truth/`` holds every line's category and amount,
each invoice's total and which invoice each payment pays.
"""

from seamline.demo.billing.generate import write_billing

__all__ = ["write_billing"]
