"""Two invented business registers of one (invented) country, written as a workspace.

A company register (``companies``: register number with a Luhn check digit, legal name,
legal form, registration date, address, phone) and a VAT list (``vat_payers``: VAT
number, the company's name as the tax office typed it — legal form spelt another way,
other case, typos —, the register number on most records, some of them mistyped,
registration date, sometimes a few days off, address, phone). The truth is written
beside the data (``_truth/records.csv``, ``entities.csv``). Seeded; every name and
number is made up.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIRST = [
    "Northwind",
    "Bluefield",
    "Silverlake",
    "Redstone",
    "Greenway",
    "Ironbridge",
    "Oakridge",
    "Clearwater",
    "Stonegate",
    "Brightwood",
    "Maplecrest",
    "Highmoor",
    "Eastvale",
    "Westbrook",
    "Foxglen",
    "Amberley",
    "Cobalt",
    "Lindenhall",
    "Ravensworth",
    "Thornbury",
    "Willowmere",
    "Zephyr",
    "Quillon",
    "Marlowe",
]
SECOND = [
    "Trading",
    "Logistics",
    "Bakery",
    "Consulting",
    "Textiles",
    "Engineering",
    "Dairy",
    "Software",
    "Freight",
    "Printing",
    "Timber",
    "Pharmacy",
    "Motors",
    "Ceramics",
    "Foods",
    "Builders",
    "Optics",
    "Garden",
    "Marine",
    "Energy",
]
FORMS = {
    "LTD": ("Ltd", "Limited", "Ltd."),
    "LLC": ("LLC", "L.L.C.", "Llc"),
    "GMBH": ("GmbH", "G.m.b.H.", "GMBH"),
    "SA": ("S.A.", "SA", "S.A"),
    "BV": ("B.V.", "BV", "B.V"),
    "INC": ("Inc.", "Inc", "Incorporated"),
}
STREETS = [
    "Mill Lane",
    "Harbour Road",
    "Station Street",
    "Church Walk",
    "Market Square",
    "Quarry Row",
]
TOWNS = ("Lakeford", "Brennick", "Ostvale", "Carran", "Dunmore")


@dataclass
class Company:
    key: str
    reg_no: str
    vat_no: str
    name: str
    form: str
    registered: str
    address: str
    phone: str


def luhn(digits: str) -> str:
    """``digits`` with a Luhn check digit appended."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str((10 - total % 10) % 10)


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, len(text) - 1)
    if text[i] == " " or text[i - 1] == " ":
        return text
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def companies(n: int, seed: int) -> list[Company]:
    rng = random.Random(seed)
    names = [f"{a} {b}" for a in FIRST for b in SECOND]
    rng.shuffle(names)
    picked = names[:n]
    # One company in 25 shares its name with another of another legal form ("Foxglen
    # Dairy Ltd" and "Foxglen Dairy GmbH"): folding legal forms alone would merge them.
    for i in range(0, n, 25):
        picked[i + 1] = picked[i]
    out: list[Company] = []
    for i, name in enumerate(picked):
        y, m, d = rng.randrange(1990, 2024), rng.randrange(1, 13), rng.randrange(1, 29)
        twin = bool(out) and out[-1].name == name
        form = rng.choice([f for f in sorted(FORMS) if not twin or f != out[-1].form])
        out.append(
            Company(
                key=f"C{i:04d}",
                reg_no=luhn(f"{rng.randrange(10**6, 10**7)}"),
                vat_no=f"VT{rng.randrange(10**8, 10**9)}",
                name=name,
                form=form,
                registered=f"{y:04d}-{m:02d}-{d:02d}",
                address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}",
                phone=f"+99 {rng.randrange(200, 999)} {rng.randrange(10**5, 10**6)}",
            )
        )
    return out


def _shift(date: str, days: int) -> str:
    y, m, d = (int(x) for x in date.split("-"))
    return f"{y:04d}-{m:02d}-{max(1, min(28, d + days)):02d}"


def registers(
    n: int, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Company]]:
    """The register's rows, the VAT list's rows, and the true companies."""
    rng = random.Random(seed + 1)
    truth = companies(n, seed)
    register = [
        {
            "reg_no": c.reg_no,
            "name": f"{c.name} {FORMS[c.form][0]}",
            "form": c.form,
            "registered": c.registered,
            "address": c.address,
            "phone": c.phone,
            "_entity": c.key,
        }
        for c in truth
    ]
    vat: list[dict[str, Any]] = []
    in_vat = [c for c in truth if rng.random() < 0.8]
    # A few companies are listed twice by the tax office (a re-registration).
    twice = rng.sample(in_vat, max(1, len(in_vat) // 25))
    for c in [*in_vat, *twice]:
        name = f"{c.name} {rng.choice(FORMS[c.form])}"
        if rng.random() < 0.3:
            name = name.upper()
        if rng.random() < 0.25:
            name = _typo(rng, name)
        reg = c.reg_no if rng.random() < 0.7 else ""
        if reg and rng.random() < 0.05:
            reg = reg[:-1] + str((int(reg[-1]) + 1) % 10)  # fails the check digit
        vat.append(
            {
                "vat_no": c.vat_no,
                "company": name,
                "reg_no": reg,
                "registered": _shift(c.registered, rng.choice((0, 0, 0, 1, -2))),
                "address": c.address if rng.random() < 0.8 else "",
                "phone": c.phone if rng.random() < 0.6 else "",
                "_entity": c.key,
            }
        )
    rng.shuffle(vat)
    for i, row in enumerate(vat):
        row["line"] = str(i + 1)
    return register, vat, truth


def _csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def write_business_workspace(root: Path, n: int = 300, seed: int = 7) -> list[Company]:
    """A workspace linking the two registers as ``Business``, scored against its truth."""
    register, vat, truth = registers(n, seed)
    _dump(root / "seamline.yaml", {"name": "business-test", "evaluate": {"truth": "_truth"}})
    _dump(
        root / "agencies.yaml",
        {
            "agencies": [
                {"id": "registrar", "name": "Invented Companies Registrar"},
                {"id": "tax-office", "name": "Invented Tax Office"},
            ]
        },
    )
    for sid, agency in (("register", "registrar"), ("vat", "tax-office")):
        _dump(
            root / "systems" / f"{sid}.yaml",
            {"id": sid, "name": sid, "agency": agency, "interface": "batch-file"},
        )
    _dump(
        root / "identifiers" / "reg_no.yaml",
        {"id": "reg_no", "title": "Company register number", "length": 8,
         "pattern": "[0-9]{8}", "check": "luhn"},
    )  # fmt: skip
    date = [{"date": {"format": "YYYY-MM-DD"}}]
    text = [{"text": {}}]  # trimmed, an empty value is missing
    _csv(root / "data" / "companies.csv", register, [k for k in register[0] if k != "_entity"])
    _dump(
        root / "datasets" / "companies.yaml",
        {
            "id": "companies",
            "title": "Company register",
            "system": "register",
            "owner": "registrar",
            "entity": "Business",
            "sensitivity": "public",
            "authoritative_for": ["legal_name", "legal_identifier", "legal_form"],
            "source": {"kind": "csv", "path": "data/companies.csv", "key": ["reg_no"]},
            "fields": [
                {"column": "reg_no", "attribute": "legal_identifier",
                 "normalize": [{"identifier": {"scheme": "reg_no"}}]},
                {"column": "name", "attribute": "legal_name", "normalize": text},
                {"column": "form", "attribute": "legal_form"},
                {"column": "registered", "attribute": "registration_date", "normalize": date},
                {"column": "address", "attribute": "address_full", "normalize": text},
                {"column": "phone", "attribute": "phone", "normalize": text},
            ],
        },
    )  # fmt: skip
    columns = ["line", "vat_no", "company", "reg_no", "registered", "address", "phone"]
    _csv(root / "data" / "vat.csv", vat, columns)
    _dump(
        root / "datasets" / "vat_payers.yaml",
        {
            "id": "vat_payers",
            "title": "VAT payers",
            "system": "vat",
            "owner": "tax-office",
            "entity": "Business",
            "sensitivity": "internal",
            "authoritative_for": ["tax_number"],
            "source": {"kind": "csv", "path": "data/vat.csv", "key": ["line"]},
            "fields": [
                {"column": "line"},
                {"column": "vat_no", "attribute": "tax_number"},
                {"column": "company", "attribute": "legal_name", "normalize": text},
                {"column": "reg_no", "attribute": "legal_identifier",
                 "normalize": [{"identifier": {"scheme": "reg_no"}}]},
                {"column": "registered", "attribute": "registration_date", "normalize": date},
                {"column": "address", "attribute": "address_full", "normalize": text},
                {"column": "phone", "attribute": "phone", "normalize": text},
            ],
        },
    )  # fmt: skip
    _dump(root / "reconcile" / "business.yaml", {"id": "business", "entity": "Business"})
    records = [
        {"dataset": "companies", "record_key": r["reg_no"], "entity_id": r["_entity"]}
        for r in register
    ] + [{"dataset": "vat_payers", "record_key": r["line"], "entity_id": r["_entity"]} for r in vat]
    _csv(root / "_truth" / "records.csv", records, ["dataset", "record_key", "entity_id"])
    entities = [
        {
            "entity_id": c.key,
            "legal_identifier": c.reg_no,
            "legal_name": f"{c.name} {FORMS[c.form][0]}",
            "registration_date": c.registered,
        }
        for c in truth
    ]
    _csv(root / "_truth" / "entities.csv", entities, list(entities[0]))
    return truth
