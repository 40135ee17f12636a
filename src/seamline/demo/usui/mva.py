"""The motor-vehicle agency's identity file: NDJSON, one nested customer object per line."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamline.demo.usui import mess
from seamline.demo.usui.people import REFERENCE_DATE, Person

# Source column -> path inside a customer object (the json connector's ``fields:``).
FIELDS: dict[str, str] = {
    "customer_no": "customer_no",
    "license_no": "credential.number",
    "credential_type": "credential.type",
    "ssn": "ssn",
    "last_name": "name.last",
    "first_name": "name.first",
    "middle_name": "name.middle",
    "name_suffix": "name.suffix",
    "dob": "dob",
    "sex": "sex",
    "street": "address.line1",
    "city": "address.city",
    "state": "address.state",
    "zip": "address.zip",
    "phone": "phone",
    "last_updated": "last_updated",
}

_SUFFIX_SPELLING = {"JR": ("Jr.", "JR", "Jr"), "SR": ("Sr.", "SR"), "II": ("II",), "III": ("III",)}


@dataclass
class Identities:
    keys: list[str] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    defects: dict[int, list[str]] = field(default_factory=dict)
    malformed: list[int] = field(default_factory=list)


def _zip(zip5: str, zip4: str, rng: random.Random) -> Any:
    """08144-1234 when known; else a JSON number (zeros lost) or a string."""
    if zip4:
        return f"{zip5}-{zip4}"
    return int(zip5) if rng.random() < 0.4 else zip5


def _state(code: str, rng: random.Random) -> str:
    u = rng.random()
    if u < 0.6:
        return code
    name = mess.state_name(code)
    return name if u < 0.9 else name.upper()


def _as_printed(number: str) -> str:
    """G1234 56789 01234: the licence number as printed on the card, in groups of five."""
    return f"{number[:5]} {number[5:10]} {number[10:]}"


def _customer(p: Person, number: int, rng: random.Random, defects: list[str]) -> dict[str, Any]:
    ssn: str | None
    u = rng.random()
    if u < 0.0015:  # an old record from before SSNs were verified with SSA
        ssn = None
        defects.append("no_ssn")
    elif u < 0.003:
        ssn = f"***-**-{p.ssn[5:]}"
        defects.append("masked_ssn")
    else:
        ssn, defect = mess.messy_ssn(p.ssn, rng, (0.15, 0.85, 0.0), bad=0.001, placeholder=0.0)
        if defect:
            defects.append(defect)
    family, slipped = mess.maybe_typo(p.family, rng, 0.002)
    if slipped:
        defects.append("typo")
    midnight = dt.datetime.combine(REFERENCE_DATE, dt.time())
    updated = midnight - dt.timedelta(days=rng.randrange(1, 2000), seconds=rng.randrange(86400))
    a = p.address
    return {
        "customer_no": f"C{number:09d}",
        "credential": {
            "type": "DL" if rng.random() < 0.9 else "ID",
            "number": p.license if rng.random() < 0.8 else _as_printed(p.license),
            "state": "NJ",
        },
        "ssn": ssn,
        "name": {
            "last": family,
            "first": p.given,
            "middle": p.middle or None,
            "suffix": rng.choice(_SUFFIX_SPELLING[p.suffix]) if p.suffix else None,
        },
        "dob": f"{p.birth.month:02d}/{p.birth.day:02d}/{p.birth.year:04d}",
        "sex": 1 if p.sex == "M" else 2,
        "address": {
            "line1": mess.street_line(
                a, rng, upper=rng.random() < 0.3, with_unit=True, hash_sign=False
            ),
            "city": a.city if rng.random() < 0.7 else a.city.upper(),
            "state": _state(a.state, rng),
            "zip": _zip(a.zip5, a.zip4, rng),
        },
        "phone": mess.phone_notation(p.phone, rng) if p.phone else None,
        "last_updated": updated.isoformat() + "Z",
    }


def write_mva(path: Path, people: list[Person], rng: random.Random) -> Identities:
    """Write ``identities.ndjson``; a few customers twice (migrated records), one line garbled."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = Identities()
    lines: list[str] = []
    number = rng.randrange(100_000_000, 200_000_000)
    chosen = [i for i, p in enumerate(people) if p.in_mva]
    order = chosen + [i for i in chosen if rng.random() < 0.008]
    for i in order:
        number += rng.randrange(1, 30)
        defects: list[str] = []
        record = _customer(people[i], number, rng, defects)
        if len(out.keys) >= len(chosen):
            defects.append("duplicate")
        r = len(lines)
        if defects:
            out.defects[r] = defects
        lines.append(json.dumps(record, ensure_ascii=False))
        out.keys.append(record["customer_no"])
        out.person.append(i)
    for r in sorted(rng.sample(range(len(lines)), k=min(1, len(lines) // 100))):
        lines[r] = lines[r][: len(lines[r]) // 2]  # a line cut in two by a failed transfer
        out.defects.setdefault(r, []).append("malformed_json")
        out.malformed.append(r)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return out
