"""Write the us-ui scenario's data, ground truth, spec and README into a prepared folder."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from seamline.demo.usui import truth
from seamline.demo.usui.claims import write_claims
from seamline.demo.usui.mva import write_mva
from seamline.demo.usui.payments import write_payments
from seamline.demo.usui.people import make_employers, make_population
from seamline.demo.usui.readme import readme
from seamline.demo.usui.spec import write_spec
from seamline.demo.usui.wages import write_wages


def write_usui(
    target: Path, *, people: int, seed: int, step: Callable[[int], None]
) -> dict[str, int]:
    """Generate ``people`` invented people into ``target``; return records per dataset.

    The same ``seed`` and ``people`` give byte-identical files.
    """
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not secrets
    employers = make_employers(rng, max(5, people // 25))
    pop = make_population(rng, people, len(employers))
    data = target / "data"
    claims = write_claims(data / "claims", pop, employers, rng)
    step(len(claims.keys))
    wages = write_wages(data / "wages" / "wages.txt", pop, employers, rng)
    step(len(wages.keys))
    mva = write_mva(data / "mva" / "identities.ndjson", pop, rng)
    step(len(mva.keys))
    payments = write_payments(data / "payments" / "payments.csv", pop, claims.claim_of, rng, seed)
    step(len(payments.keys))
    truth.write_truth(
        target / "_truth",
        pop,
        [
            ("ui_claims", claims.keys, claims.person, claims.defects),
            ("wage_records", wages.keys, wages.person, wages.defects),
            ("mva_identities", mva.keys, mva.person, mva.defects),
            ("benefit_payments", payments.keys, payments.person, payments.defects),
        ],
    )
    records = {
        "ui_claims": len(claims.keys),
        "wage_records": len(wages.keys),
        "mva_identities": len(mva.keys),
        "benefit_payments": len(payments.keys),
    }
    write_spec(target, people=people, records=records)
    quarantined = {
        "ui_claims": len(claims.bad_packed),
        "wage_records": len(wages.short_lines),
        "mva_identities": len(mva.malformed),
    }
    (target / "README.md").write_text(
        readme(seed=seed, people=people, records=records, quarantined=quarantined),
        encoding="utf-8",
    )
    return records
