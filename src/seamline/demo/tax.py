"""The tax service's taxpayer register: a SQLite database with one row per TIN."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from seamline.demo.address import Addresses, free_text
from seamline.demo.noise import pin_variant, typo
from seamline.demo.people import Population, iso

SCHEMA = """\
CREATE TABLE taxpayers (
    tin         TEXT PRIMARY KEY,   -- 10 digits, leading zeros kept
    pin         TEXT,               -- personal number as typed at the counter
    full_name   TEXT NOT NULL,      -- Cyrillic, family name first
    birth_date  TEXT,               -- ISO yyyy-mm-dd
    status      TEXT NOT NULL,      -- active | suspended | closed | deceased
    address     TEXT,               -- free text
    updated_at  TEXT NOT NULL       -- yyyy-mm-dd hh:mm:ss
)"""


@dataclass(frozen=True)
class TaxRegister:
    keys: list[str]  # tin of each row, in table order
    person: list[int]  # person index of each row
    defects: dict[int, list[str]]  # row index -> deliberate defects
    registered: npt.NDArray[np.bool_]  # per person: has a primary TIN


def _full_name(pop: Population, i: int, style: int) -> str:
    parts = [pop.family[i], pop.given[i], pop.patronymic[i]]
    if style == 1:
        return " ".join(parts).upper()
    if style == 2:
        return f"{pop.given[i]} {pop.family[i]}"
    if style == 3:
        return "  ".join(parts)
    return " ".join(parts)


def _fresh_tins(rng: np.random.Generator, taken: set[str], count: int) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        tin = f"{int(rng.integers(1, 3 * 10**9)):010d}"
        if tin not in taken:
            taken.add(tin)
            out.append(tin)
    return out


def write_tax(
    path: Path, pop: Population, addresses: Addresses, rng: np.random.Generator
) -> TaxRegister:
    """Write ``taxpayers`` into a new SQLite file at ``path``."""
    n = len(pop)
    age = pop.age
    registered = (age >= 18) & (rng.random(n) < 0.85)
    people = np.flatnonzero(registered)
    dup_of = people[rng.random(len(people)) < 0.01]
    rows_person = np.concatenate([people, dup_of])
    is_dup = np.concatenate([np.zeros(len(people), bool), np.ones(len(dup_of), bool)])
    order = rng.permutation(len(rows_person))
    rows_person, is_dup = rows_person[order], is_dup[order]
    m = len(rows_person)

    birth_iso = iso(pop.birth)
    # Python lists: indexing numpy arrays one scalar at a time is slow in this loop.
    u = rng.random((m, 8)).tolist()
    pin_style = rng.choice(4, size=m, p=[0.70, 0.15, 0.10, 0.05]).tolist()
    name_style = rng.choice(4, size=m, p=[0.88, 0.05, 0.04, 0.03]).tolist()
    addr_style = rng.integers(0, 4, size=m).tolist()
    stamp_days = (np.datetime64("2021-01-01") + rng.integers(0, 5 * 365, size=m)).astype(str)
    stamp_secs = rng.integers(8 * 3600, 18 * 3600, size=m).tolist()
    status_of, address_of, old_of = (
        pop.status.tolist(),
        pop.address.tolist(),
        pop.old_address.tolist(),
    )
    taken = set(pop.tin)
    dup_tins = iter(_fresh_tins(rng, taken, int(is_dup.sum())))

    rows: list[tuple[str, str | None, str, str | None, str, str, str]] = []
    keys: list[str] = []
    defects: dict[int, list[str]] = {}
    for r, (p, dup) in enumerate(zip(rows_person.tolist(), is_dup.tolist(), strict=True)):
        marks: list[str] = []
        tin = next(dup_tins) if dup else pop.tin[p]
        if dup:
            marks.append("duplicate")
        pin: str | None = pin_variant(pop.pin[p], pin_style[r])
        if pin_style[r]:
            marks.append("pin_format")
        if u[r][0] < 0.02:
            pin = None
            marks.append("pin_missing")
        name = _full_name(pop, p, name_style[r])
        if u[r][1] < 0.02 or (dup and u[r][1] < 0.5):
            name = typo(name, rng)
            marks.append("typo")
        birth: str | None = birth_iso[p]
        if u[r][2] < 0.005:
            birth = None
            marks.append("birth_missing")
        status_code = status_of[p]
        if status_code == 3 and u[r][3] < 0.25:
            status = "active"
            marks.append("death_not_propagated")
        elif status_code == 0 and u[r][3] < 0.03:
            status = "suspended"
        else:
            status = ("active", "suspended", "closed", "deceased")[status_code]
        if dup and status == "active":
            status = "closed"
        a = address_of[p]
        if old_of[p] >= 0 and u[r][4] < 0.5:
            a = old_of[p]
            marks.append("stale_address")
        secs = stamp_secs[r]
        stamp = f"{stamp_days[r]} {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        rows.append((tin, pin, name, birth, status, free_text(addresses, a, addr_style[r]), stamp))
        keys.append(tin)
        if marks:
            defects[r] = marks

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(SCHEMA)
            con.executemany("INSERT INTO taxpayers VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    finally:
        con.close()
    return TaxRegister(keys, rows_person.tolist(), defects, registered)
