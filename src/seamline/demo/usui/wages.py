"""Employers' quarterly wage reports: a fixed-width text file, one line per employee and quarter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from seamline.demo.usui import mess
from seamline.demo.usui.people import Employer, Person

# (name, start, length): the layout the dataset spec declares.
COLUMNS = (
    ("rec_type", 1, 1),
    ("ssn", 2, 11),
    ("employee_name", 13, 40),
    ("ein", 53, 10),
    ("quarter", 63, 6),
    ("wages", 69, 11),
    ("employer_name", 80, 40),
)
LINE_LENGTH = 119


@dataclass
class Wages:
    keys: list[str] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    defects: dict[int, list[str]] = field(default_factory=dict)
    short_lines: list[int] = field(default_factory=list)


def write_wages(
    path: Path, people: list[Person], employers: list[Employer], rng: random.Random
) -> Wages:
    """Write ``wages.txt``: employers' lines grouped by quarter, a few sent twice or cut short."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, int, int, int]] = []  # (quarter, employer, person, cents)
    for i, p in enumerate(people):
        for q, quarter in enumerate(p.quarters):
            employer = p.employers[q % len(p.employers)]  # a second job takes turns
            rows.append((quarter, employer, i, rng.randrange(150_000, 2_600_000)))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    out = Wages()
    lines: list[str] = []
    for quarter, employer, i, cents in rows:
        copies = 2 if rng.random() < 0.005 else 1  # a resubmitted line
        p = people[i]
        emp = employers[employer]
        ssn, defect = mess.messy_ssn(p.ssn, rng, (0.7, 0.2, 0.1), bad=0.002, placeholder=0.0015)
        name, slipped = mess.maybe_typo(mess.last_first(p, rng), rng, 0.008)
        ein = emp.ein if rng.random() < 0.6 else f"{emp.ein[:2]}-{emp.ein[2:]}"
        line = (
            "S"
            + ssn.ljust(11)
            + name[:40].ljust(40)
            + ein.ljust(10)
            + quarter
            + f"{cents:011d}"
            + emp.name.upper()[:40].ljust(40)
        )
        for _ in range(copies):
            r = len(lines)
            defects = [d for d in (defect, "typo" if slipped else "") if d]
            if copies > 1:
                defects.append("duplicate")
            if defects:
                out.defects[r] = defects
            lines.append(line)
            out.keys.append(str(r + 1))  # the landing's _record_no: 1-based line number
            out.person.append(i)
    # A transfer that cut two lines short: the reader quarantines them.
    for r in sorted(rng.sample(range(len(lines)), k=min(2, len(lines) // 200))):
        lines[r] = lines[r][: rng.randrange(20, 60)].rstrip()
        out.defects.setdefault(r, []).append("short_line")
        out.short_lines.append(r)
    path.write_text("".join(line + "\n" for line in lines), encoding="ascii")
    return out
