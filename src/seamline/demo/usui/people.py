"""The us-ui population: invented people, their employers and where they appear.

Drawn with :class:`random.Random` (per-record choices in plain Python are much
faster there than numpy scalar calls, and its sequence is stable for a seed).
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field

from seamline.demo.usui import lists

REFERENCE_DATE = dt.date(2026, 3, 1)
"""The scenario's "today" (as in the civil scenario), so a seed gives the same files any day."""

QUARTERS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")

_IN_STATE = sum(1 for p in lists.PLACES if p[1] == "NJ")  # they come first in the list
_BLOCKED_SSNS = frozenset({"078051120", "457555462", "219099999", "123456789"})  # void, placeholder


@dataclass
class Address:
    house: str
    direction: int  # index into lists.DIRECTIONS, -1 for none
    street: int  # index into lists.STREET_NAMES
    suffix: int  # index into lists.STREET_SUFFIXES
    unit_kind: int  # index into lists.UNITS, -1 for none
    unit: str
    city: str
    state: str
    zip5: str
    zip4: str  # "" when the ZIP+4 is not known

    @property
    def street_std(self) -> str:
        """The street as USPS standardizes it: N MAIN ST."""
        parts = []
        if self.direction >= 0:
            parts.append(lists.DIRECTIONS[self.direction][0])
        parts.append(lists.STREET_NAMES[self.street].upper())
        parts.append(lists.STREET_SUFFIXES[self.suffix][0])
        return " ".join(parts)

    @property
    def unit_std(self) -> str:
        if self.unit_kind < 0:
            return ""
        return f"{lists.UNITS[self.unit_kind][0]} {self.unit}"


@dataclass
class Person:
    person_id: str
    ssn: str
    given: str
    middle: str  # "" when none
    family: str
    suffix: str  # "" when none
    sex: str  # "M" | "F"
    birth: dt.date
    address: Address
    phone: str  # 10 digits; "" when no agency has a phone number
    license: str  # "" when the person holds no licence or ID card of this state
    employers: list[int] = field(default_factory=list)
    quarters: list[str] = field(default_factory=list)
    claimant: bool = False
    in_mva: bool = False


@dataclass(frozen=True)
class Employer:
    ein: str  # 9 digits
    name: str


def ascii_upper(text: str) -> str:
    """JOSÉ -> JOSE: what systems without accents store."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _ssn(rng: random.Random, seen: set[str]) -> str:
    """An invented SSN of valid shape: area 001-665 or 667-899, group 01-99, serial 0001-9999."""
    while True:
        area = rng.randrange(1, 899)
        if area == 666:
            continue
        value = f"{area:03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"
        if value not in seen and value not in _BLOCKED_SSNS and len(set(value)) > 1:
            seen.add(value)
            return value


def _address(rng: random.Random) -> Address:
    # Most live in the state; some commute from across the rivers (any place).
    pool = len(lists.PLACES) if rng.random() < 0.15 else _IN_STATE
    city, state, zips = lists.PLACES[rng.randrange(pool)]
    unit_kind = -1
    unit = ""
    if rng.random() < 0.25:
        unit_kind = 0 if rng.random() < 0.8 else rng.randrange(1, len(lists.UNITS))
        unit = str(rng.randrange(1, 40)) + (rng.choice("ABCD") if rng.random() < 0.3 else "")
    return Address(
        house=str(rng.randrange(1, 2500)),
        direction=rng.randrange(len(lists.DIRECTIONS)) if rng.random() < 0.15 else -1,
        street=rng.randrange(len(lists.STREET_NAMES)),
        suffix=rng.randrange(len(lists.STREET_SUFFIXES)),
        unit_kind=unit_kind,
        unit=unit,
        city=city,
        state=state,
        zip5=rng.choice(zips),
        zip4=f"{rng.randrange(1, 10000):04d}" if rng.random() < 0.6 else "",
    )


def _phone(rng: random.Random, state: str) -> str:
    area = rng.choice(lists.AREA_CODES.get(state, lists.AREA_CODES["NJ"]))
    exchange = rng.randrange(200, 1000)
    if exchange == 555:
        exchange = 556
    return f"{area}{exchange:03d}{rng.randrange(0, 10000):04d}"


def make_employers(rng: random.Random, count: int) -> list[Employer]:
    """Invented employers: an EIN (valid prefix, random serial) and a business name."""
    prefixes = (10, 12, 20, 22, 26, 27, 30, 32, 35, 45, 46, 47, 52, 54, 80, 81, 84, 88)
    out: list[Employer] = []
    seen: set[str] = set()
    while len(out) < count:
        ein = f"{rng.choice(prefixes):02d}{rng.randrange(0, 10_000_000):07d}"
        if ein in seen:
            continue
        seen.add(ein)
        name = (
            f"{rng.choice(lists.BUSINESS_WORDS)} {rng.choice(lists.BUSINESS_KINDS)} "
            f"{rng.choice(lists.BUSINESS_FORMS)}"
        )
        out.append(Employer(ein, name))
    return out


def _license(rng: random.Random, family: str, seen: set[str]) -> str:
    """A New-Jersey-shaped licence number: the family name's initial and 14 digits."""
    initial = ascii_upper(family)[0]
    while True:
        value = initial + "".join(str(rng.randrange(10)) for _ in range(14))
        if value not in seen:
            seen.add(value)
            return value


def make_population(rng: random.Random, count: int, employers: int) -> list[Person]:
    """``count`` invented people; each appears in two to four of the four datasets."""
    ssns: set[str] = set()
    licences: set[str] = set()
    people: list[Person] = []
    for i in range(count):
        sex = "M" if rng.random() < 0.5 else "F"
        pool = lists.MALE_GIVEN if sex == "M" else lists.FEMALE_GIVEN
        family = rng.choice(lists.FAMILY)
        age_days = rng.randrange(18 * 365 + 5, 74 * 365)
        birth = REFERENCE_DATE - dt.timedelta(days=age_days)
        address = _address(rng)
        person = Person(
            person_id=f"U{i + 1:06d}",
            ssn=_ssn(rng, ssns),
            given=rng.choice(pool),
            middle=rng.choice(pool) if rng.random() < 0.7 else "",
            family=family,
            suffix=rng.choice(lists.SUFFIXES) if sex == "M" and rng.random() < 0.05 else "",
            sex=sex,
            birth=birth,
            address=address,
            phone=_phone(rng, address.state) if rng.random() < 0.92 else "",
            license="",
        )
        _membership(rng, person, employers)
        if person.in_mva:  # only the MVA issues licences and ID cards
            person.license = _license(rng, family, licences)
        people.append(person)
    return people


def _membership(rng: random.Random, person: Person, employers: int) -> None:
    """Wages for everyone (a past job at least), a claim for some workers, the MVA for most.

    Everyone is in two datasets or more: a person without a claim is in the MVA file.
    """
    worker = rng.random() < 0.85
    in_mva = rng.random() < 0.9
    if worker:
        start = rng.randrange(len(QUARTERS))
        length = rng.randrange(1, len(QUARTERS) - start + 1)
        person.quarters = list(QUARTERS[start : start + length])
        person.employers = [rng.randrange(employers)]
        if rng.random() < 0.1:
            person.employers.append(rng.randrange(employers))
        person.claimant = rng.random() < 0.35
    else:  # not working now: one quarter of a past job
        person.quarters = [QUARTERS[0]]
        person.employers = [rng.randrange(employers)]
    person.in_mva = in_mva or not person.claimant
