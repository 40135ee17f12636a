"""Each agency's billing workbook for the year, in one of six layouts.

A workbook is the agency's running register: every line it billed, month after month,
on one sheet. The layouts differ the way home-made workbooks do: where the header sits
(row 1 to 4, under merged title cells or not), what the columns are called and in which
order, amounts as numbers, as text with thousands separators or in cents, dates as
Excel dates or as text in four notations, totals rows at the end or after each month.

Some lines are damaged on purpose (about 2 %): a local code the crosswalk does not know,
an amount nobody can read (``n/a``, a letter O for a zero), or an Excel error in the
amount cell, which the connector quarantines. The truth keeps every line by its row.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from seamline.demo.billing.agencies import CATEGORIES, CATEGORY_LABELS, Agency

YEAR = 2026
MONTHS = tuple(range(1, 13))
UNKNOWN_CODES = ("MISC", "99", "TBD", "OTHER")
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


@dataclass(frozen=True)
class Layout:
    """How one layout writes a workbook; the spec writes the matching dataset."""

    sheet: str
    header_row: int
    titles: int
    """Merged title rows above the header (a blank row follows them when header_row says so)."""
    columns: tuple[str, str, str, str, str]
    """The column names for: line reference, date, local code, description, amount."""
    order: tuple[int, ...]
    """Where each of those five columns goes, left to right."""
    date: str
    """``excel`` (a date cell) or a strftime format for text."""
    amount: str
    """``number``, ``comma`` (text 1,234.50), ``space`` (text 1 234.50) or ``cents``."""
    totals: str
    """``none``, ``end`` (one row under the year) or ``month`` (after each month)."""


LAYOUTS: dict[str, Layout] = {
    "plain": Layout(
        "Billing", 1, 0, ("Line", "Date", "Service code", "Description", "Amount"),
        (0, 1, 2, 3, 4), "excel", "number", "none",
    ),
    "titled": Layout(
        "Services", 4, 2, ("Ref", "Date", "Category", "Description", "Amount"),
        (0, 1, 2, 3, 4), "%d.%m.%Y", "comma", "end",
    ),
    "cents": Layout(
        "Sheet1", 2, 1, ("Item", "Booked", "Code", "Text", "Amount (cents)"),
        (0, 1, 2, 3, 4), "%Y%m%d", "cents", "none",
    ),
    "blocks": Layout(
        "Register", 1, 0, ("No", "Service date", "Cat.", "Service", "Amount"),
        (0, 1, 2, 3, 4), "%m/%d/%Y", "number", "month",
    ),
    "reordered": Layout(
        "Charges", 1, 0, ("Line no", "Date", "Code", "Details", "Amount"),
        (4, 2, 1, 3, 0), "%d/%m/%y", "number", "none",
    ),
    "spaced": Layout(
        "Year", 3, 1, ("Line ref", "Date", "Charge code", "Description", "Amount"),
        (0, 1, 3, 2, 4), "%Y-%m-%d", "space", "end",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One billing line as generated: the truth of it."""

    agency: Agency
    row: int
    """The sheet row the line is written in."""
    line_ref: str
    day: dt.date
    category: str
    local_code: str
    amount_cents: int
    defect: str
    """``""``, ``unknown_code``, ``bad_amount`` (unreadable text) or ``amount_error``
    (an Excel error in the cell; quarantined)."""

    @property
    def period(self) -> str:
        return f"{self.day.year:04d}-{self.day.month:02d}"

    @property
    def invoice_id(self) -> str:
        return invoice_id(self.agency, self.day.year, self.day.month)

    @property
    def billable(self) -> bool:
        """Whether the line counts in its invoice (an unreadable amount cannot)."""
        return self.defect not in ("bad_amount", "amount_error")


def invoice_id(agency: Agency, year: int, month: int) -> str:
    return f"INV-{agency.short}-{year:04d}{month:02d}"


_SERVICES = {
    "ict": ("Network port", "Mailbox", "Virtual server", "Helpdesk tickets", "Storage TB"),
    "facilities": ("Office rent", "Meeting rooms", "Cleaning", "Electricity share"),
    "payroll": ("Payslips", "Personnel files", "Pension filings"),
    "fleet": ("Car pool km", "Van rental", "Fuel cards"),
}


def _amount_text(cents: int, style: str) -> Any:
    whole, frac = divmod(cents, 100)
    if style == "number":
        return cents / 100
    if style == "cents":
        return cents
    sep = "," if style == "comma" else " "
    return f"{whole:,}".replace(",", sep) + f".{frac:02d}"


def _date_cell(day: dt.date, fmt: str) -> Any:
    return day if fmt == "excel" else day.strftime(fmt)


def _lines_for(agency: Agency, month: int, per_month: int, rng: random.Random) -> list[Line]:
    count = max(1, per_month + rng.randint(-per_month // 3, per_month // 3))
    out: list[Line] = []
    for n in range(1, count + 1):
        category = rng.choice(CATEGORIES)
        day = dt.date(YEAR, month, rng.randint(1, 28))
        cents = rng.choice((rng.randint(5_000, 99_999), rng.randint(100_000, 2_500_000)))
        roll = rng.random()
        defect = (
            "unknown_code"
            if roll < 0.012
            else "bad_amount"
            if roll < 0.018
            else "amount_error"
            if roll < 0.022
            else ""
        )
        code = rng.choice(UNKNOWN_CODES) if defect == "unknown_code" else agency.local(category)
        ref = f"{agency.short}-{month:02d}-{n:03d}"
        out.append(Line(agency, 0, ref, day, category, code, cents, defect))
    return out


def write_workbook(path: Path, agency: Agency, per_month: int, rng: random.Random) -> list[Line]:
    """Write ``agency``'s workbook for the year; return its lines with their rows."""
    lay = LAYOUTS[agency.layout]
    wb = openpyxl.Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover - a new workbook always has a sheet
        raise RuntimeError("openpyxl made a workbook without a sheet")
    ws.title = lay.sheet
    width = len(lay.columns)
    for t in range(lay.titles):
        text = (
            f"{agency.name}: shared services billed in {YEAR}"
            if t == 0
            else "Prepared by the finance unit; amounts in the national currency"
        )
        ws.cell(row=t + 1, column=1, value=text)
        ws.merge_cells(start_row=t + 1, start_column=1, end_row=t + 1, end_column=width)
    _put(ws, lay.header_row, lay, list(lay.columns))
    row = lay.header_row
    lines: list[Line] = []
    for month in MONTHS:
        if lay.totals == "month":
            row += 1
            ws.cell(row=row, column=1, value=dt.date(YEAR, month, 1).strftime("%B %Y"))
        month_total = 0
        for line in _lines_for(agency, month, per_month, rng):
            row += 1
            placed = Line(**{**line.__dict__, "row": row})
            lines.append(placed)
            _put(ws, row, lay, _cells(placed, lay, rng))
            month_total += line.amount_cents if line.billable else 0
        if lay.totals == "month":
            row += 1
            _total(ws, row, "Total", month_total, lay)
    if lay.totals == "end":
        total = sum(x.amount_cents for x in lines if x.billable)
        row += 1
        _total(ws, row, "TOTAL" if agency.layout == "titled" else "Grand total", total, lay)
    path.parent.mkdir(parents=True, exist_ok=True)
    _fixed_times(wb)
    wb.save(path)
    _fixed_zip_times(path)
    return lines


def _cells(line: Line, lay: Layout, rng: random.Random) -> list[Any]:
    amount: Any = _amount_text(line.amount_cents, lay.amount)
    if line.defect == "bad_amount":
        amount = rng.choice(("n/a", _amount_text(line.amount_cents, "comma").replace("0", "O")))
        if amount == _amount_text(line.amount_cents, "comma"):
            amount = "n/a"  # no zero to mistype
    elif line.defect == "amount_error":
        amount = "#VALUE!"
    service = rng.choice(_SERVICES[line.category])
    description = f"{service} ({CATEGORY_LABELS[line.category].split(',')[0].lower()})"
    return [line.line_ref, _date_cell(line.day, lay.date), line.local_code, description, amount]


def _total(ws: Any, row: int, label: str, cents: int, lay: Layout) -> None:
    """A totals row: the label in the sheet's first column, the sum under the amounts."""
    ws.cell(row=row, column=1, value=label)
    cell = ws.cell(row=row, column=lay.order[4] + 1, value=_amount_text(cents, lay.amount))
    if isinstance(cell.value, float):
        cell.number_format = "#,##0.00"


def _put(ws: Any, row: int, lay: Layout, values: list[Any]) -> None:
    """Write the five logical values at their layout positions."""
    for i, value in enumerate(values):
        if value is None:
            continue
        cell = ws.cell(row=row, column=lay.order[i] + 1, value=value)
        if isinstance(value, dt.date):
            cell.number_format = "DD/MM/YYYY"
        elif isinstance(value, float):
            cell.number_format = "#,##0.00"


def _fixed_zip_times(path: Path) -> None:
    """Rewrite the workbook's zip entries with one fixed time: openpyxl stamps them, and
    the document's ``modified`` property, with the time of saving and has no option for
    it, so the same seed gave other bytes."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    stamp = f"{YEAR + 1}-01-05T09:00:00Z".encode()
    entries = [
        (info, _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data))
        if info.filename == "docProps/core.xml"
        else (info, data)
        for info, data in entries
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=(YEAR + 1, 1, 5, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)


def _fixed_times(wb: Any) -> None:
    """The same seed gives the same bytes: no creation or change time of today."""
    stamp = dt.datetime(YEAR + 1, 1, 5, 9, 0, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "finance unit"
