"""Cell values to text, Excel date serials, and header names.

Every output column is text: a sheet column freely mixes numbers, text and dates
(an ID typed as a number in one row and as text in the next), and guessing a type per
column would quarantine honest rows. Text is the one type every cell fits; types are
given later, by the normalize step, where a wrong guess is visible and fixable.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

EXCEL_1900 = dt.date(1899, 12, 30)
"""Day 0 of the 1900 system for serials above 60 (Excel counts a 29 February 1900)."""
EXCEL_1904 = dt.date(1904, 1, 1)
_ZERO_PAD = re.compile(r"0+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")
MAX_SERIAL = 2_958_465  # 9999-12-31


def number_text(value: int | float) -> str:
    """A number as plain text: ``12`` not ``12.0``, never scientific notation."""
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def code_text(value: int | float, number_format: str | None) -> str:
    """A number in a ``columns_as_text`` column, zero-padded as the sheet displays it."""
    text = number_text(value)
    fmt = (number_format or "").strip()
    if _ZERO_PAD.fullmatch(fmt) and (isinstance(value, int) or float(value).is_integer()):
        sign = "-" if text.startswith("-") else ""
        return sign + text.lstrip("-").rjust(len(fmt), "0")
    return text


def temporal_text(value: dt.datetime | dt.date | dt.time | dt.timedelta) -> str:
    """ISO text; a datetime at midnight is a date (that is how Excel stores dates)."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value.isoformat()


def cell_text(value: Any) -> str | None:
    """Any cell value as text; None and empty text are null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return temporal_text(value)
    text = str(value)
    return text if text != "" else None


def serial_date(serial: float, epoch_1904: bool = False) -> str:
    """An Excel date serial as ISO text; ValueError for serials that are no day.

    In the 1900 system Excel copies a Lotus bug and counts 29 February 1900 as day 60,
    so serials 1-59 start one day later than the rest; serial 60 is no real date.
    """
    if serial != serial or not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"{number_text(serial)} is not an Excel date serial")
    days = int(serial)
    seconds = round((serial - days) * 86_400)
    if epoch_1904:
        base = EXCEL_1904
    else:
        if days == 60:
            raise ValueError("Excel serial 60 is 29 February 1900, a day that did not exist")
        if days == 0:
            raise ValueError("Excel serial 0 is no date (it shows as 0 January 1900)")
        base = EXCEL_1900 if days > 60 else EXCEL_1900 + dt.timedelta(days=1)
    day = base + dt.timedelta(days=days)
    if seconds == 0:
        return day.isoformat()
    if seconds >= 86_400:
        return (day + dt.timedelta(days=1)).isoformat()
    return (dt.datetime.combine(day, dt.time(0)) + dt.timedelta(seconds=seconds)).isoformat()


def date_text(value: Any, epoch_1904: bool = False) -> str | None:
    """A ``date_columns`` cell as ISO text; ValueError when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{cell_text(value)} is not a date")
    if isinstance(value, (dt.datetime, dt.date)):
        return temporal_text(value)
    if isinstance(value, (int, float)):
        return serial_date(float(value), epoch_1904)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return serial_date(float(text), epoch_1904)
    if _ISO_DATE.fullmatch(text):
        return text
    raise ValueError(f"{text!r} is neither a date nor an Excel date serial")


def column_letter(index: int) -> str:
    """``A`` for 1, ``AA`` for 27."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def header_names(cells: list[Any]) -> list[str]:
    """Column names from a header row.

    The read-only reader that streams big sheets does not see merged cells, so a
    header merged across columns arrives as a name followed by empty cells. Carrying
    the last name forward (``Address``, ``Address_2``) keeps those columns named after
    their group, which is what the merge meant; empty cells before any name become
    ``column_A``. Repeated names get ``_2``, ``_3``.
    """
    names: list[str] = []
    last: str | None = None
    for i, cell in enumerate(cells, start=1):
        text = cell_text(cell)
        text = text.strip() if text is not None else None
        if text:
            last = text
            names.append(text)
        elif last is not None:
            names.append(last)
        else:
            names.append(f"column_{column_letter(i)}")
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        n = seen.get(name, 0) + 1
        seen[name] = n
        out.append(name if n == 1 else f"{name}_{n}")
    return out


def looks_like_header(values: list[Any], width: int) -> bool:
    """A row whose non-empty cells are mostly text and fill at least half the width."""
    filled = [v for v in values if v is not None and v != ""]
    text = [v for v in filled if isinstance(v, str) and not re.fullmatch(r"[\d.,\s-]+", v)]
    return bool(filled) and len(text) * 2 > len(filled) and len(filled) * 2 >= width
