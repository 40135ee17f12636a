"""Retention periods: ISO 8601 durations such as ``P5Y``, ``P18M``, ``P90D``, ``P2Y6M``.

Years and months are calendar steps (``P1Y`` from 29 Feb lands on 28 Feb), weeks and
days fixed steps, so a period means what an agreement's text means by it. A datum is
*past* its period at ``now`` when it is older than :meth:`Period.cutoff`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0
    text: str = ""

    def cutoff(self, now: datetime) -> datetime:
        """The oldest moment still inside the period, counted back from ``now``."""
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        total = now.year * 12 + (now.month - 1) - (self.years * 12 + self.months)
        year, month = divmod(total, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return now.replace(year=year, month=month + 1, day=day) - timedelta(days=self.days)

    def rough_days(self) -> float:
        """For comparing periods: a year 365.25 days, a month 30.44."""
        return self.years * 365.25 + self.months * 30.44 + self.days

    def __str__(self) -> str:
        return self.text


def parse_period(text: str) -> Period:
    """A period from ``P<n>Y<n>M<n>W<n>D`` (at least one part); ValueError otherwise."""
    m = _PERIOD.match(text.strip()) if isinstance(text, str) else None
    if m is None or not any(m.groups()):
        raise ValueError(
            f"{text!r} is not a retention period. Write an ISO 8601 duration of years, "
            "months, weeks or days, e.g. P5Y, P18M, P90D"
        )
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    return Period(years=y, months=mo, days=w * 7 + d, text=text.strip())


def check_period(value: str | None) -> str | None:
    """A pydantic validator body: None or a valid period, kept as written."""
    if value is not None:
        parse_period(value)
    return value
