"""Benefit payments as the disbursement bank reports them: a CSV file, one row per payment."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

from seamline.demo.usui import mess
from seamline.demo.usui.people import REFERENCE_DATE, Person

HEADER = (
    "payment_id", "claim_id", "payee_ssn", "payee_name", "amount", "paid_on", "method",
    "account_hash",
)  # fmt: skip


@dataclass
class Payments:
    keys: list[str] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    defects: dict[int, list[str]] = field(default_factory=dict)


def write_payments(
    path: Path, people: list[Person], claim_of: dict[int, str], rng: random.Random, seed: int
) -> Payments:
    """Write ``payments.csv``: one to three recent weekly payments for most claimants."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = Payments()
    rows: list[tuple[str, ...]] = []
    number = rng.randrange(5_000_000, 6_000_000)
    for i, claim_id in claim_of.items():
        if rng.random() >= 0.85:
            continue
        p = people[i]
        account = f"{seed}:{i}:{rng.randrange(10**9)}"
        digest = hashlib.sha256(account.encode()).hexdigest()[:32]
        method = "ACH" if rng.random() < 0.8 else "DEBIT CARD"
        week = REFERENCE_DATE - dt.timedelta(days=7 * rng.randrange(1, 30))
        amount = rng.randrange(10_000, 85_400)
        for k in range(rng.randrange(1, 4)):
            number += rng.randrange(1, 9)
            defects: list[str] = []
            ssn, defect = mess.messy_ssn(p.ssn, rng, (0.4, 0.4, 0.2), bad=0.003, placeholder=0.002)
            if rng.random() < 0.01:
                ssn, defect = "", "no_ssn"
            if defect:
                defects.append(defect)
            name, slipped = mess.maybe_typo(mess.first_last(p), rng, 0.005)
            if slipped:
                defects.append("typo")
            paid = week + dt.timedelta(days=7 * k)
            rows.append(
                (
                    f"PMT{number:09d}",
                    claim_id if rng.random() < 0.7 else f"{claim_id[:2]}-{claim_id[2:]}",
                    ssn,
                    name,
                    f"{amount / 100:.2f}",
                    paid.isoformat(),
                    method,
                    digest,
                )
            )
            if defects:
                out.defects[len(out.keys)] = defects
            out.keys.append(rows[-1][0])
            out.person.append(i)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
    return out
