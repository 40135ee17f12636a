"""The civil registry's mainframe extract: EBCDIC fixed-length records and their copybook.

Records are assembled column by column in a numpy byte matrix: text columns are
encoded to cp037 in one call per column, packed-decimal (COMP-3) columns are computed
with integer arithmetic. No COBOL writer library exists on PyPI, and a per-record
writer would be far too slow for 100,000 people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from seamline.demo import names
from seamline.demo.address import Addresses
from seamline.demo.noise import typo
from seamline.demo.people import Population, yyyymmdd

ENCODING = "cp037"

COPYBOOK = """\
      *================================================================*
      * CRIS - Civil Registry Information System (invented)            *
      * Person extract, one fixed-length record per registered person. *
      * Code page 037 (EBCDIC). Names are in Latin capitals.           *
      * Dates are PIC 9(8) COMP-3, YYYYMMDD; zero = no date.           *
      *================================================================*
       01  PERSON-REC.
           05  REG-NO              PIC S9(9)  COMP-3.
           05  PIN                 PIC X(14).
           05  FAMILY-NAME         PIC X(30).
           05  GIVEN-NAME          PIC X(20).
           05  PATRONYMIC          PIC X(24).
           05  SEX-CD              PIC X(1).
           05  BIRTH-DATE          PIC 9(8)   COMP-3.
           05  MARITAL-CD          PIC X(1).
           05  STATUS-CD           PIC X(1).
           05  DEATH-DATE          PIC 9(8)   COMP-3.
           05  ADDRESS-ID          PIC X(9).
           05  LAST-CHANGE         PIC 9(8)   COMP-3.
           05  FILLER              PIC X(40).
"""


@dataclass(frozen=True)
class Column:
    name: str
    offset: int
    size: int


def _layout() -> dict[str, Column]:
    sizes = [
        ("REG-NO", 5),
        ("PIN", 14),
        ("FAMILY-NAME", 30),
        ("GIVEN-NAME", 20),
        ("PATRONYMIC", 24),
        ("SEX-CD", 1),
        ("BIRTH-DATE", 5),
        ("MARITAL-CD", 1),
        ("STATUS-CD", 1),
        ("DEATH-DATE", 5),
        ("ADDRESS-ID", 9),
        ("LAST-CHANGE", 5),
        ("FILLER", 40),
    ]
    out: dict[str, Column] = {}
    offset = 0
    for name, size in sizes:
        out[name] = Column(name, offset, size)
        offset += size
    return out


LAYOUT = _layout()
RECORD_LENGTH = sum(c.size for c in LAYOUT.values())  # 160

MARITAL_LETTERS = ("S", "M", "D", "W")
STATUS_LETTERS = ("A", "", "E", "D")  # active, (suspended: not used), emigrated, deceased

Bytes2D = npt.NDArray[np.uint8]


def pack_comp3(values: npt.NDArray[np.int64], digits: int, *, signed: bool) -> Bytes2D:
    """Packed decimal of every value: ``digits`` digit nibbles, then the sign nibble.

    Signed fields carry C (+) or D (-), unsigned ones F, as IBM compilers write them.
    """
    nbytes = (digits + 2) // 2
    pad = nbytes * 2 - 1 - digits
    mag = np.abs(values).astype(np.int64)
    nibbles = np.zeros((len(values), nbytes * 2), dtype=np.uint8)
    for k in range(digits):
        nibbles[:, pad + k] = (mag // 10 ** (digits - 1 - k)) % 10
    if signed:
        nibbles[:, -1] = np.where(values < 0, 0xD, 0xC)
    else:
        nibbles[:, -1] = 0xF
    return ((nibbles[:, 0::2] << 4) | nibbles[:, 1::2]).astype(np.uint8)


def encode_text(values: Sequence[str], width: int, encoding: str = ENCODING) -> Bytes2D:
    """Left-justified, blank-padded, truncated text of every value in one codec call."""
    joined = "".join(v[:width].ljust(width) for v in values)
    raw = joined.encode(encoding)
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(values), width)


@dataclass(frozen=True)
class CivilExtract:
    keys: list[str]  # REG-NO of each record, as text
    person: list[int]  # person index of each record
    defects: dict[int, list[str]]  # record index -> deliberate defects
    bad_packed: list[int]  # record indexes with an invalid COMP-3 nibble


def write_civil(
    folder: Path, pop: Population, addresses: Addresses, rng: np.random.Generator
) -> CivilExtract:
    """Write ``persons.dat`` and ``persons.cpy`` into ``folder``; every person has a record."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "persons.cpy").write_text(COPYBOOK, encoding="ascii")
    n = len(pop)
    defects: dict[int, list[str]] = {}

    family = [names.civil_latin(f) for f in pop.family]
    given = [names.civil_latin(g) for g in pop.given]
    patronymic = [names.civil_latin(p) for p in pop.patronymic]
    slips = np.flatnonzero(rng.random(n) < 0.005)
    for i in slips.tolist():
        family[i] = typo(family[i], rng)
        defects.setdefault(i, []).append("typo")

    recent = np.datetime64("2016-01-01") + rng.integers(0, 3700, size=n).astype("timedelta64[D]")
    recent = np.maximum(recent, pop.birth)
    last_change = np.where(pop.dead, pop.death, recent)

    out = np.zeros((n, RECORD_LENGTH), dtype=np.uint8)

    def put(name: str, block: Bytes2D) -> None:
        col = LAYOUT[name]
        out[:, col.offset : col.offset + col.size] = block

    put("REG-NO", pack_comp3(pop.reg_no, 9, signed=True))
    put("PIN", encode_text(pop.pin, 14))
    put("FAMILY-NAME", encode_text(family, 30))
    put("GIVEN-NAME", encode_text(given, 20))
    put("PATRONYMIC", encode_text(patronymic, 24))
    put("SEX-CD", encode_text(["M" if s == 1 else "F" for s in pop.sex.tolist()], 1))
    put("BIRTH-DATE", pack_comp3(yyyymmdd(pop.birth), 8, signed=False))
    put("MARITAL-CD", encode_text([MARITAL_LETTERS[m] for m in pop.marital.tolist()], 1))
    put("STATUS-CD", encode_text([STATUS_LETTERS[s] for s in pop.status.tolist()], 1))
    put("DEATH-DATE", pack_comp3(yyyymmdd(pop.death), 8, signed=False))
    put("ADDRESS-ID", encode_text([addresses.address_id[a] for a in pop.address.tolist()], 9))
    put("LAST-CHANGE", pack_comp3(yyyymmdd(last_change), 8, signed=False))
    put("FILLER", encode_text([""] * n, 40))

    # A few records damaged in transfer: a digit nibble of BIRTH-DATE becomes 0xB,
    # which no packed decimal may contain, so the reader must quarantine them.
    bad = sorted(rng.choice(n, size=min(3, n // 100), replace=False).tolist())
    col = LAYOUT["BIRTH-DATE"]
    for i in bad:
        out[i, col.offset + 2] = (out[i, col.offset + 2] & 0xF0) | 0x0B
        defects.setdefault(i, []).append("bad_packed_decimal")

    (folder / "persons.dat").write_bytes(out.tobytes())
    return CivilExtract(
        keys=[str(r) for r in pop.reg_no.tolist()],
        person=list(range(n)),
        defects=defects,
        bad_packed=bad,
    )
