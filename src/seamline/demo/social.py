"""The social fund's case export: one JSON object per line, nested the way its API is."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seamline.demo import names
from seamline.demo.address import Addresses
from seamline.demo.noise import pin_variant, typo
from seamline.demo.people import Population, ymd

# Source column -> path inside a record (the json connector's ``fields:``).
FIELDS: dict[str, str] = {
    "case_id": "case_id",
    "pin": "person.pin",
    "tin": "person.tin",
    "last_name": "person.name.last",
    "first_name": "person.name.first",
    "middle_name": "person.name.middle",
    "birth": "birth",
    "status": "status",
    "marital": "marital",
    "region": "address.region",
    "district": "address.district",
    "locality": "address.locality",
    "street": "address.street",
    "house": "address.house",
    "benefit_type": "benefit.type",
    "benefit_amount": "benefit.amount",
    "benefit_since": "benefit.since",
}

MARITAL_NUMBERS = (1, 2, 3, 4)  # single, married, divorced, widowed
STATUS_NUMBERS = {0: 1, 1: 2, 2: 3, 3: 3}  # active 1, suspended 2, closed/deceased 3


@dataclass(frozen=True)
class SocialCases:
    keys: list[str]
    person: list[int]
    defects: dict[int, list[str]]
    malformed: list[int]  # line indexes (0-based) that are not valid JSON


def _dmy(y: int, m: int, d: int) -> str:
    return f"{d:02d}.{m:02d}.{y:04d}"


def write_social(
    path: Path,
    pop: Population,
    addresses: Addresses,
    rng: np.random.Generator,
    registered: Sequence[bool],
) -> SocialCases:
    """Write ``beneficiaries.ndjson``: pensioners, families with children, disability cases.

    ``registered`` says who has a TIN (a row in the tax register); only they can have one here.
    """
    n = len(pop)
    age = pop.age
    p_case = np.where(age >= 60, 0.9, np.where(age < 16, 0.2, 0.05))
    chosen = np.flatnonzero(rng.random(n) < p_case)
    chosen = chosen[rng.permutation(len(chosen))]
    m = len(chosen)
    # Python lists: indexing numpy arrays one scalar at a time is slow in this loop.
    u = rng.random((m, 8)).tolist()
    pin_style = rng.choice(5, size=m, p=[0.80, 0.05, 0.03, 0.02, 0.10]).tolist()
    since_days = rng.integers(30, 15 * 365, size=m)
    days_alive = np.maximum(age[chosen] * 365 - since_days, 0)
    since_ymd = ymd(pop.birth[chosen] + days_alive.astype("timedelta64[D]"))
    amount = np.round(rng.uniform(2500, 14000, size=m), 2).tolist()
    sy, sm, sd = (part.tolist() for part in since_ymd)
    by, bm, bd = (part.tolist() for part in ymd(pop.birth))
    ages, status_of = age.tolist(), pop.status.tolist()
    address_of, old_of, marital_of = (
        pop.address.tolist(),
        pop.old_address.tolist(),
        pop.marital.tolist(),
    )
    bad = set(rng.choice(m, size=min(2, m // 25), replace=False).tolist()) if m else set()

    lines: list[str] = []
    keys: list[str] = []
    defects: dict[int, list[str]] = {}
    malformed: list[int] = []
    for r, p in enumerate(chosen.tolist()):
        marks: list[str] = []
        case_id = f"SF-{r * 13 + 4001:07d}"
        pin: str | int = pin_variant(pop.pin[p], min(pin_style[r], 3))
        if pin_style[r] == 4:
            pin = int(pop.pin[p])
        if pin_style[r]:
            marks.append("pin_format")
        tin: int | None = None
        if registered[p] and u[r][0] < 0.7:
            tin = int(pop.tin[p])  # stored as a number: leading zeros are lost
            if pop.tin[p].startswith("0"):
                marks.append("tin_leading_zeros_lost")
        first, last, middle = pop.given[p], pop.family[p], pop.patronymic[p]
        if u[r][1] < 0.2:
            first, last, middle = (names.clerk_latin(x) for x in (first, last, middle))
            marks.append("latin_name")
        if u[r][2] < 0.02:
            last = typo(last, rng)
            marks.append("typo")
        elif u[r][2] < 0.03:
            first = typo(first, rng)
            marks.append("typo")
        status = STATUS_NUMBERS[status_of[p]]
        if status_of[p] == 3 and u[r][3] < 0.6:
            status = 1
            marks.append("death_not_propagated")
        elif status_of[p] == 0 and u[r][3] < 0.04:
            status = 2
        a = address_of[p]
        if old_of[p] >= 0 and u[r][4] < 0.7:
            a = old_of[p]
            marks.append("stale_address")
        kind = "pension" if ages[p] >= 60 else ("child" if ages[p] < 16 else "disability")
        record: dict[str, Any] = {
            "case_id": case_id,
            "person": {
                "pin": pin,
                "tin": tin,
                "name": {"last": last, "first": first, "middle": middle},
            },
            "birth": _dmy(by[p], bm[p], bd[p]),
            "status": status,
            "marital": MARITAL_NUMBERS[marital_of[p]],
            "address": {
                "region": addresses.region[a],
                "district": addresses.district[a],
                "locality": addresses.locality[a],
                "street": addresses.street[a],
                "house": addresses.house[a],
            },
            "benefit": {
                "type": kind,
                "amount": amount[r],
                "since": _dmy(sy[r], sm[r], sd[r]),
            },
        }
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        if r in bad:
            # Cut off mid-record, as when the export job was killed while writing.
            line = line[: len(line) // 2]
            malformed.append(r)
            marks.append("malformed_json")
        lines.append(line)
        keys.append(case_id)
        if marks:
            defects[r] = marks

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return SocialCases(keys, chosen.tolist(), defects, sorted(malformed))
