"""The synthetic population: one true record per invented person, generated in bulk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seamline.demo import names

REFERENCE_DATE = dt.date(2026, 3, 1)
"""The scenario's "today": fixed so the same seed gives the same files on any day."""

_REF = np.datetime64(REFERENCE_DATE.isoformat(), "D")

MARITAL_CODES = ("single", "married", "divorced", "widowed")
STATUS_CODES = ("active", "suspended", "closed", "deceased")

IntArray = npt.NDArray[np.int64]
DateArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class Population:
    """Parallel columns, index = person. Names are the true (Cyrillic) spelling."""

    person_id: list[str]
    sex: IntArray  # 1 male, 2 female
    birth: DateArray
    given: list[str]
    family: list[str]
    patronymic: list[str]
    pin: list[str]
    tin: list[str]
    reg_no: IntArray
    marital: IntArray  # index into MARITAL_CODES
    status: IntArray  # index into STATUS_CODES (true civil status)
    death: DateArray  # NaT when alive
    address: IntArray  # current address row
    old_address: IntArray  # address before the last move, -1 when never moved

    def __len__(self) -> int:
        return len(self.person_id)

    @property
    def age(self) -> IntArray:
        return ((_REF - self.birth).astype(np.int64) // 365).astype(np.int64)

    @property
    def dead(self) -> npt.NDArray[np.bool_]:
        return ~np.isnat(self.death)


def ymd(dates: DateArray) -> tuple[IntArray, IntArray, IntArray]:
    """Year, month, day of a datetime64[D] array (NaT gives garbage: mask it first)."""
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return years, months, days


def yyyymmdd(dates: DateArray) -> IntArray:
    """Dates as integers 19870312; NaT as 0."""
    y, m, d = ymd(dates)
    out = y * 10_000 + m * 100 + d
    out[np.isnat(dates)] = 0
    return out


def iso(dates: DateArray) -> list[str]:
    """Dates as ``1987-03-12``; NaT as an empty string."""
    text = np.datetime_as_string(dates, unit="D")
    return ["" if t == "NaT" else str(t) for t in text.tolist()]


def unique_draw(rng: np.random.Generator, low: int, high: int, size: int) -> IntArray:
    """``size`` distinct integers in [low, high), drawn until no value repeats."""
    values = rng.integers(low, high, size=size)
    while True:
        _, first = np.unique(values, return_index=True)
        dup = np.ones(size, dtype=bool)
        dup[first] = False
        if not dup.any():
            return values
        values[dup] = rng.integers(low, high, size=int(dup.sum()))


def _pins(rng: np.random.Generator, sex: IntArray, birth: DateArray) -> IntArray:
    """PIN = sex digit, ddmmyyyy birth date, 5-digit serial (an invented scheme)."""
    y, m, d = ymd(birth)
    base = sex * 10**13 + d * 10**11 + m * 10**9 + y * 10**5
    serial = rng.integers(0, 100_000, size=len(sex))
    pins = base + serial
    while True:
        _, first = np.unique(pins, return_index=True)
        dup = np.ones(len(pins), dtype=bool)
        dup[first] = False
        if not dup.any():
            return pins
        pins[dup] = base[dup] + rng.integers(0, 100_000, size=int(dup.sum()))


def _marital(rng: np.random.Generator, age: IntArray) -> IntArray:
    u = rng.random(len(age))
    young = np.select([u < 0.70, u < 0.98], [0, 1], 2)
    middle = np.select([u < 0.15, u < 0.85, u < 0.95], [0, 1, 2], 3)
    old = np.select([u < 0.05, u < 0.60, u < 0.68], [0, 1, 2], 3)
    out = np.where(age < 26, young, np.where(age <= 60, middle, old))
    return np.where(age < 18, 0, out).astype(np.int64)


def make_population(rng: np.random.Generator, count: int, address_count: int) -> Population:
    """``count`` invented people living at ``address_count`` addresses."""
    sex = rng.integers(1, 3, size=count).astype(np.int64)
    # Ages 0..90 with fewer old people (a linearly falling density).
    age_days = (90 * 365.25 * (1 - np.sqrt(rng.random(count)))).astype(np.int64)
    birth = _REF - age_days.astype("timedelta64[D]") - np.timedelta64(1, "D")
    age = (age_days // 365).astype(np.int64)

    given_i = rng.integers(0, len(names.MALE_GIVEN), size=count)
    family_i = rng.integers(0, len(names.FAMILY_MALE), size=count)
    father_i = rng.integers(0, len(names.MALE_GIVEN), size=count)
    sex_l = sex.tolist()
    given = [
        (names.MALE_GIVEN if s == 1 else names.FEMALE_GIVEN)[g % len(names.FEMALE_GIVEN)]
        for s, g in zip(sex_l, given_i.tolist(), strict=True)
    ]
    family = [
        names.family_form(names.FAMILY_MALE[f], s)
        for s, f in zip(sex_l, family_i.tolist(), strict=True)
    ]
    patronymic = [
        names.patronymic(names.MALE_GIVEN[f], s)
        for s, f in zip(sex_l, father_i.tolist(), strict=True)
    ]

    pins = _pins(rng, sex, birth)
    tins = unique_draw(rng, 1, 3 * 10**9, count)
    reg_start = int(rng.integers(100_000_000, 200_000_000))
    reg_no = reg_start + np.arange(count, dtype=np.int64) * 3 + rng.integers(0, 3, size=count)

    marital = _marital(rng, age)
    p_death = np.where(age > 65, 0.09, 0.008)
    dies = rng.random(count) < p_death
    death_ago = rng.integers(1, 3 * 365, size=count)
    death = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    dies &= death_ago < age_days
    death[dies] = _REF - death_ago[dies].astype("timedelta64[D]")
    emigrated = (~dies) & (age >= 18) & (rng.random(count) < 0.015)
    status = np.where(dies, 3, np.where(emigrated, 2, 0)).astype(np.int64)

    address = rng.integers(0, address_count, size=count)
    moved = rng.random(count) < 0.08
    old = rng.integers(0, address_count, size=count)
    old = np.where(moved & (old != address), old, -1)

    return Population(
        person_id=[f"P{i:06d}" for i in range(1, count + 1)],
        sex=sex,
        birth=birth,
        given=given,
        family=family,
        patronymic=patronymic,
        pin=[f"{p:014d}" for p in pins.tolist()],
        tin=[f"{t:010d}" for t in tins.tolist()],
        reg_no=reg_no.astype(np.int64),
        marital=marital,
        status=status,
        death=death,
        address=address.astype(np.int64),
        old_address=old.astype(np.int64),
    )
