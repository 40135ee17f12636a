"""The billing network: 38 invented agencies, their layouts and their own category codes.

Every agency bills the shared services it used each month (computing, buildings,
payroll processing, vehicle pool) in a workbook of its own making. Four canonical
billing categories; each agency writes them in its own local codes, crosswalked in the
workspace's ``codelists/billing_category.yaml``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CATEGORIES = ("ict", "facilities", "payroll", "fleet")
"""The canonical billing categories."""

CATEGORY_LABELS = {
    "ict": "Computing and network services",
    "facilities": "Buildings, rooms and utilities",
    "payroll": "Payroll and personnel processing",
    "fleet": "Vehicle pool",
}

# Local code families an agency picks from: one code per category, each family its own
# habit (numbers, abbreviations, words in the agency's language, ledger accounts).
CODE_FAMILIES: tuple[tuple[str, str, str, str], ...] = (
    ("IT", "FAC", "PAY", "FLT"),
    ("110", "220", "330", "440"),
    ("ICT-01", "BLD-02", "HR-03", "VEH-04"),
    ("Informatics", "Premises", "Salaries", "Transport"),
    ("C", "B", "P", "V"),
    ("6100", "6200", "6300", "6400"),
    ("SRV-IT", "SRV-FM", "SRV-PR", "SRV-FL"),
)

LAYOUTS = ("plain", "titled", "cents", "blocks", "reordered", "spaced")
"""How an agency's workbook looks (see :mod:`seamline.demo.billing.workbooks`)."""

_NAMES = (
    "Revenue Office", "Land Survey Agency", "Water Resources Board", "Statistics Office",
    "Archives Service", "Civil Aviation Authority", "Customs Service", "Forestry Agency",
    "Meteorology Service", "Public Health Institute", "Road Maintenance Agency",
    "Maritime Authority", "Consumer Protection Office", "Energy Regulator",
    "Procurement Office", "Veterinary Service", "Cultural Heritage Office",
    "Youth and Sports Agency", "Pension Fund", "Employment Service", "Housing Agency",
    "Fisheries Directorate", "Mining Inspectorate", "Patent Office", "Seed Registry",
    "Food Safety Authority", "Broadcasting Council", "Rail Safety Board",
    "Geological Survey", "Lottery Supervisor", "Migration Office", "Ombudsman's Office",
    "Audit Chamber", "Election Commission", "Museum Trust", "National Library",
    "Emergency Service", "Standards Institute",
)  # fmt: skip
"""Invented agencies of an invented country; any likeness to a real office is coincidental."""

AGENCY_COUNT = len(_NAMES)


@dataclass(frozen=True)
class Agency:
    """One agency of the network and its workbook habits."""

    number: int
    name: str
    layout: str
    codes: tuple[str, str, str, str]
    """Its local code for each of :data:`CATEGORIES`, in that order."""
    iban: str

    @property
    def id(self) -> str:
        return f"agency-{self.number:02d}"

    @property
    def short(self) -> str:
        return f"A{self.number:02d}"

    @property
    def dataset(self) -> str:
        return f"billing_a{self.number:02d}"

    def local(self, category: str) -> str:
        return self.codes[CATEGORIES.index(category)]


def _iban(rng: random.Random) -> str:
    """An invented IBAN with a correct ISO 7064 mod 97-10 check; XX is no country."""
    bban = "".join(rng.choice("0123456789") for _ in range(16))
    digits = "".join(str(int(c, 36)) for c in bban + "XX00")
    check = 98 - int(digits) % 97
    return f"XX{check:02d}{bban}"


def make_agencies(rng: random.Random) -> list[Agency]:
    """The 38 agencies; layouts dealt in turn so each appears six or seven times."""
    out: list[Agency] = []
    for i, name in enumerate(_NAMES, start=1):
        layout = LAYOUTS[(i - 1) % len(LAYOUTS)]
        family = CODE_FAMILIES[rng.randrange(len(CODE_FAMILIES))]
        out.append(Agency(i, name, layout, family, _iban(rng)))
    return out
