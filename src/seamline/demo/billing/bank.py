"""The bank's side: invoices paid, in part, together or not at all, and the statement.

The network's collection account receives the agencies' transfers. The bank exports
them twice: a CSV for the spreadsheet people and an ISO 20022 camt.053.001.08 statement
(``Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RmtInf``) for the ledger. The
reference is what the paying clerk typed: often the invoice number exactly, often
mistyped (case, spaces, a dropped or swapped digit), sometimes missing. Some invoices
are paid in two parts, some together with the next month's in one transfer, some not
yet; a few credits are no invoice's payment at all (a supplier's refund).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from seamline.demo.billing.agencies import Agency

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
ACCOUNT = "XX4500000000000000008812"
"""The network's collection account (invented)."""
CSV_COLUMNS = (
    "bank_ref", "booking_date", "value_date", "amount", "currency", "debtor_name",
    "debtor_iban", "reference",
)  # fmt: skip


@dataclass(frozen=True)
class Invoice:
    id: str
    agency: Agency
    period: str
    total_cents: int

    @property
    def issued(self) -> dt.date:
        y, m = (int(x) for x in self.period.split("-"))
        return dt.date(y + (m == 12), m % 12 + 1, 1)


@dataclass
class Payment:
    bank_ref: str
    booked: dt.date
    cents: int
    agency: Agency | None
    debtor: str
    iban: str
    reference: str
    links: list[tuple[str, int]] = field(default_factory=list)
    """(invoice id, cents of this payment allocated to it)."""
    kind: str = ""


def _mistype(ref: str, rng: random.Random) -> str:
    compact = ref.replace("-", "")
    digits = [i for i, c in enumerate(compact) if c.isdigit()]
    how = rng.randrange(5)
    if how == 0:
        return ref.lower()
    if how == 1:
        return compact
    if how == 2:
        return ref.replace("-", " ")
    if how == 3:
        i = rng.choice(digits[2:])  # drop a digit of the period
        return compact[:i] + compact[i + 1 :]
    i = rng.choice(digits[2:-1])  # swap two neighbouring digits of the period
    swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
    return swapped if swapped != compact else compact.lower()


def _reference(ids: list[str], rng: random.Random) -> tuple[str, str]:
    """What the clerk typed for these invoices, and how (exact, mistyped, missing)."""
    roll = rng.random()
    if roll < 0.5:
        return (" ".join(ids) if rng.random() < 0.7 else "Invoices " + ", ".join(ids)), "exact"
    if roll < 0.8:
        return " ".join(_mistype(i, rng) for i in ids), "mistyped"
    return rng.choice(("", "shared services", "monthly charges", "")), "missing"


def make_payments(invoices: list[Invoice], rng: random.Random) -> list[Payment]:
    """The transfers the bank booked for ``invoices`` (sorted by agency, then period)."""
    out: list[Payment] = []
    skip: set[str] = set()
    for i, inv in enumerate(invoices):
        if inv.id in skip or inv.total_cents <= 0:
            continue
        nxt = invoices[i + 1] if i + 1 < len(invoices) else None
        roll = rng.random()
        due = inv.issued + dt.timedelta(days=rng.randint(5, 40))
        if roll < 0.10:
            continue  # not paid (yet): the aging report's
        if roll < 0.18:
            first = inv.total_cents * rng.randint(30, 70) // 100
            for part, cents in enumerate((first, inv.total_cents - first)):
                ref, how = _reference([inv.id], rng)
                when = due + dt.timedelta(days=part * rng.randint(20, 45))
                out.append(_pay(inv.agency, when, cents, ref, [(inv.id, cents)], "partial-" + how))
            continue
        if roll < 0.25 and nxt is not None and nxt.agency == inv.agency and nxt.total_cents > 0:
            skip.add(nxt.id)
            ref, how = _reference([inv.id, nxt.id], rng)
            when = nxt.issued + dt.timedelta(days=rng.randint(3, 20))
            links = [(inv.id, inv.total_cents), (nxt.id, nxt.total_cents)]
            out.append(
                _pay(
                    inv.agency,
                    when,
                    inv.total_cents + nxt.total_cents,
                    ref,
                    links,
                    "combined-" + how,
                )
            )
            continue
        ref, how = _reference([inv.id], rng)
        out.append(_pay(inv.agency, due, inv.total_cents, ref, [(inv.id, inv.total_cents)], how))
    for n in range(max(2, len(invoices) // 60)):
        when = dt.date(2026, rng.randint(2, 12), rng.randint(1, 28))
        out.append(
            Payment("", when, rng.randint(1_000, 90_000), None, f"Supplier {n + 1} Ltd (refund)",
                    f"XX00999900000000{n:04d}", rng.choice(("Credit note", "Refund", "")), kind="unrelated")
        )  # fmt: skip
    out.sort(key=lambda p: (p.booked, p.debtor, p.cents))
    for n, p in enumerate(out, start=1):
        p.bank_ref = f"BK{p.booked:%y%m%d}{n:05d}"
    return out


def _pay(
    agency: Agency, when: dt.date, cents: int, ref: str, links: list[tuple[str, int]], kind: str
) -> Payment:
    debtor = agency.name.upper()[:24] if len(agency.name) % 3 == 0 else agency.name
    return Payment("", when, cents, agency, debtor, agency.iban, ref, links, kind)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def write_csv(path: Path, payments: list[Payment]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for p in payments:
            w.writerow(
                (p.bank_ref, f"{p.booked:%d.%m.%Y}", f"{p.booked:%d.%m.%Y}", _money(p.cents),
                 "EUR", p.debtor, p.iban, p.reference)
            )  # fmt: skip


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{tag}", attrib)
    if text is not None:
        el.text = text
    return el


def _path(
    parent: etree._Element, tags: str, text: str | None = None, **attrib: str
) -> etree._Element:
    """``Acct/Id/IBAN`` under ``parent``: each step a new element, the last with ``text``."""
    *heads, last = tags.split("/")
    for t in heads:
        parent = _el(parent, t)
    return _el(parent, last, text, **attrib)


def _balance(stmt: etree._Element, code: str, cents: int, day: dt.date) -> None:
    bal = _el(stmt, "Bal")
    _path(bal, "Tp/CdOrPrtry/Cd", code)
    _el(bal, "Amt", _money(cents), Ccy="EUR")
    _el(bal, "CdtDbtInd", "CRDT")
    _path(bal, "Dt/Dt", day.isoformat())


def write_camt(path: Path, payments: list[Payment], seed: int) -> None:
    """The payments as one camt.053.001.08 statement for the year."""
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    doc = _el(root, "BkToCstmrStmt")
    hdr = _el(doc, "GrpHdr")
    created = "2027-01-02T06:00:00"
    _el(hdr, "MsgId", f"STMT-2026-{seed:04d}")
    _el(hdr, "CreDtTm", created)
    stmt = _el(doc, "Stmt")
    _el(stmt, "Id", "2026-COLLECTIONS")
    _el(stmt, "CreDtTm", created)
    span = _el(stmt, "FrToDt")
    _el(span, "FrDtTm", "2026-01-01T00:00:00")
    _el(span, "ToDtTm", "2026-12-31T23:59:59")
    acct = _el(stmt, "Acct")
    _path(acct, "Id/IBAN", ACCOUNT)
    _el(acct, "Ccy", "EUR")
    _path(acct, "Ownr/Nm", "Shared Services Network")
    _balance(stmt, "OPBD", 0, dt.date(2026, 1, 1))
    _balance(stmt, "CLBD", sum(p.cents for p in payments), dt.date(2026, 12, 31))
    for p in payments:
        ntry = _el(stmt, "Ntry")
        _el(ntry, "Amt", _money(p.cents), Ccy="EUR")
        _el(ntry, "CdtDbtInd", "CRDT")
        _path(ntry, "Sts/Cd", "BOOK")
        _path(ntry, "BookgDt/Dt", p.booked.isoformat())
        _path(ntry, "ValDt/Dt", p.booked.isoformat())
        _el(ntry, "AcctSvcrRef", p.bank_ref)
        dom = _path(ntry, "BkTxCd/Domn")
        _el(dom, "Cd", "PMNT")
        fam = _el(dom, "Fmly")
        _el(fam, "Cd", "RCDT")
        _el(fam, "SubFmlyCd", "ESCT")
        tx = _path(ntry, "NtryDtls/TxDtls")
        refs = _el(tx, "Refs")
        _el(refs, "AcctSvcrRef", p.bank_ref)
        _el(refs, "EndToEndId", "NOTPROVIDED")
        _el(tx, "Amt", _money(p.cents), Ccy="EUR")
        _el(tx, "CdtDbtInd", "CRDT")
        parties = _el(tx, "RltdPties")
        _path(parties, "Dbtr/Pty/Nm", p.debtor)
        _path(parties, "DbtrAcct/Id/IBAN", p.iban)
        if p.reference:
            _path(tx, "RmtInf/Ustrd", p.reference)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
