"""The workforce agency's claims master: an EBCDIC (cp037) extract laid out by a copybook.

Fixed-length records (record format F); amounts and dates packed decimal (COMP-3),
written with the civil scenario's column-wise helpers.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seamline.demo.civil import encode_text, pack_comp3
from seamline.demo.usui import mess
from seamline.demo.usui.people import REFERENCE_DATE, Employer, Person

COPYBOOK = """\
      *================================================================*
      * UICS - Unemployment Insurance Claims System (invented)         *
      * Claims master extract, one fixed-length record per claim.      *
      * Code page 037 (EBCDIC), record format F, 200 bytes.            *
      * Dates PIC 9(8) COMP-3 as CCYYMMDD; zero = not known.           *
      *================================================================*
       01  CLAIM-REC.
           05  CLAIM-ID            PIC X(10).
           05  CLMT-SSN            PIC X(11).
           05  CLMT-NAME.
               10  LAST-NAME       PIC X(25).
               10  FIRST-NAME      PIC X(15).
               10  MIDDLE-NAME     PIC X(15).
               10  NAME-SUFFIX     PIC X(3).
           05  BIRTH-DATE          PIC 9(8)      COMP-3.
           05  SEX-CD              PIC X(1).
           05  MAIL-ADDR.
               10  STREET-LINE     PIC X(40).
               10  CITY            PIC X(20).
               10  STATE-CD        PIC X(2).
               10  ZIP-CODE        PIC X(9).
           05  PHONE-NO            PIC X(15).
           05  BYB-DATE            PIC 9(8)      COMP-3.
           05  WBA-AMT             PIC S9(5)V99  COMP-3.
           05  CLAIM-STAT          PIC X(1).
           05  LAST-UPDT           PIC 9(8)      COMP-3.
           05  SEP-EMPLOYER-EIN    PIC X(9).
           05  FILLER              PIC X(5).
"""

LAYOUT = (
    ("CLAIM-ID", 10), ("CLMT-SSN", 11), ("LAST-NAME", 25), ("FIRST-NAME", 15),
    ("MIDDLE-NAME", 15), ("NAME-SUFFIX", 3), ("BIRTH-DATE", 5), ("SEX-CD", 1),
    ("STREET-LINE", 40), ("CITY", 20), ("STATE-CD", 2), ("ZIP-CODE", 9), ("PHONE-NO", 15),
    ("BYB-DATE", 5), ("WBA-AMT", 4), ("CLAIM-STAT", 1), ("LAST-UPDT", 5), ("SEP-EMPLOYER-EIN", 9),
    ("FILLER", 5),
)  # fmt: skip
RECORD_LENGTH = sum(size for _, size in LAYOUT)  # 200
OFFSETS = {name: sum(size for _, size in LAYOUT[:i]) for i, (name, _) in enumerate(LAYOUT)}

# Packed-decimal fields: (digits, signed).
_PACKED = {
    "BIRTH-DATE": (8, False),
    "BYB-DATE": (8, False),
    "WBA-AMT": (7, True),
    "LAST-UPDT": (8, False),
}

CLAIM_STATUS = ("A", "I", "D", "X")  # active, inactive, denied, exhausted


@dataclass
class Claims:
    keys: list[str] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    defects: dict[int, list[str]] = field(default_factory=dict)
    bad_packed: list[int] = field(default_factory=list)
    claim_of: dict[int, str] = field(default_factory=dict)  # person -> their first claim id


def _ymd(d: dt.date | None) -> int:
    return 0 if d is None else d.year * 10_000 + d.month * 100 + d.day


def write_claims(
    folder: Path, people: list[Person], employers: list[Employer], rng: random.Random
) -> Claims:
    """Write ``claims.dat`` and ``claims.cpy``; one claim per claimant, a few filed twice."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "claims.cpy").write_text(COPYBOOK, encoding="ascii")
    out = Claims()
    cols: dict[str, list[str]] = {n: [] for n, _ in LAYOUT if n not in _PACKED}
    packed: dict[str, list[int]] = {n: [] for n in _PACKED}
    serial = rng.randrange(10_000_000, 20_000_000)
    claimants = [i for i, p in enumerate(people) if p.claimant]
    order = claimants + [i for i in claimants if rng.random() < 0.015]  # re-filed claims
    for i in order:
        p = people[i]
        r = len(out.keys)
        serial += rng.randrange(1, 40)
        claim_id = f"UI{serial:08d}"
        out.claim_of.setdefault(i, claim_id)
        defects: list[str] = []
        ssn, defect = mess.messy_ssn(p.ssn, rng, (0.85, 0.12, 0.03), bad=0.004, placeholder=0.003)
        if defect:
            defects.append(defect)
        family, slipped = mess.maybe_typo(mess.upper_name(p.family, rng), rng, 0.004)
        if slipped:
            defects.append("typo")
        birth = None if rng.random() < 0.002 else p.birth
        if birth is None:
            defects.append("no_birth_date")
        a = p.address
        byb = REFERENCE_DATE - dt.timedelta(days=rng.randrange(10, 400))
        cols["CLAIM-ID"].append(claim_id)
        cols["CLMT-SSN"].append(ssn)
        cols["LAST-NAME"].append(family)
        cols["FIRST-NAME"].append(mess.upper_name(p.given, rng))
        cols["MIDDLE-NAME"].append(mess.upper_name(p.middle, rng))
        cols["NAME-SUFFIX"].append(p.suffix)
        cols["SEX-CD"].append(p.sex)
        cols["STREET-LINE"].append(mess.street_line(a, rng, upper=True, with_unit=True))
        cols["CITY"].append(a.city.upper())
        cols["STATE-CD"].append(a.state)
        cols["ZIP-CODE"].append(a.zip5 + a.zip4)
        cols["PHONE-NO"].append(mess.phone_notation(p.phone, rng) if p.phone else "")
        cols["CLAIM-STAT"].append(rng.choice(CLAIM_STATUS))
        cols["SEP-EMPLOYER-EIN"].append(employers[p.employers[-1]].ein)  # separating employer
        cols["FILLER"].append("")
        packed["BIRTH-DATE"].append(_ymd(birth))
        packed["BYB-DATE"].append(_ymd(byb))
        packed["WBA-AMT"].append(rng.randrange(10_000, 85_400))  # cents, up to 854.00
        packed["LAST-UPDT"].append(_ymd(byb + dt.timedelta(days=rng.randrange(0, 9))))
        out.keys.append(claim_id)
        out.person.append(i)
        if defects:
            out.defects[r] = defects
    n = len(out.keys)
    data = np.zeros((n, RECORD_LENGTH), dtype=np.uint8)
    for name, size in LAYOUT:
        at = OFFSETS[name]
        if name in _PACKED:
            digits, signed = _PACKED[name]
            block = pack_comp3(np.array(packed[name], dtype=np.int64), digits, signed=signed)
        else:
            block = encode_text(cols[name], size)
        data[:, at : at + size] = block
    # Damaged in transfer: a BIRTH-DATE digit nibble becomes 0xB; the reader must quarantine.
    bad = sorted(rng.sample(range(n), k=min(3, max(1, n // 50))))
    at = OFFSETS["BIRTH-DATE"]
    for r in bad:
        data[r, at + 2] = (data[r, at + 2] & 0xF0) | 0x0B
        out.defects.setdefault(r, []).append("bad_packed_decimal")
    out.bad_packed = bad
    (folder / "claims.dat").write_bytes(data.tobytes())
    return out
