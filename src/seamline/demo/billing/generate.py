"""Write the billing scenario's workbooks, bank files, ground truth, spec and README."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from seamline.demo.billing import bank, truth
from seamline.demo.billing.agencies import AGENCY_COUNT, make_agencies
from seamline.demo.billing.readme import readme
from seamline.demo.billing.spec import write_spec
from seamline.demo.billing.workbooks import MONTHS, Line, write_workbook


def write_billing(
    target: Path, *, lines: int, seed: int, step: Callable[[int], None]
) -> dict[str, int]:
    """About ``lines`` billing lines over the year into ``target``; records per dataset.

    The same ``seed`` and ``lines`` give byte-identical files.
    """
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not secrets
    agencies = make_agencies(rng)
    per_month = max(2, lines // (AGENCY_COUNT * len(MONTHS)))
    data = target / "data"
    every: list[Line] = []
    records: dict[str, int] = {}
    for a in agencies:
        written = write_workbook(data / "billing" / f"a{a.number:02d}.xlsx", a, per_month, rng)
        every += written
        records[a.dataset] = len(written)
        step(len(written))
    invoices = truth.invoices_of(every)
    payments = bank.make_payments(invoices, rng)
    bank.write_csv(data / "bank" / "payments.csv", payments)
    bank.write_camt(data / "bank" / "statement.camt053.xml", payments, seed)
    records["bank_payments"] = records["bank_statement"] = len(payments)
    step(2 * len(payments))
    truth.write_truth(target / "_truth", every, invoices, payments)
    write_spec(target, agencies)
    defects = {
        d: sum(1 for x in every if x.defect == d)
        for d in ("unknown_code", "bad_amount", "amount_error")
    }
    (target / "README.md").write_text(
        readme(
            seed=seed,
            lines=len(every),
            invoices=len(invoices),
            payments=len(payments),
            defects=defects,
        ),
        encoding="utf-8",
    )
    return records
