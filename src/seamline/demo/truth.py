"""The ground truth beside the data: who every person really is, and which records are theirs.

Written to ``_truth/`` in the format ``evaluate:`` reads (docs/reconcile.md):
``records.csv`` and ``entities.csv`` (true values in canonical harmonized form). The
demo's own ``people.csv`` adds what only its tests use (Latin spellings, the previous
address, the sex as the registry's letter).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from seamline.demo import names
from seamline.demo.address import Addresses
from seamline.demo.people import MARITAL_CODES, STATUS_CODES, Population, iso

PEOPLE_COLUMNS = (
    "person_id", "pin", "tin", "family_name", "given_name", "patronymic",
    "family_name_latin", "given_name_latin", "sex", "birth_date", "marital_status",
    "status", "death_date", "address_id", "previous_address_id",
)  # fmt: skip

RECORD_COLUMNS = ("dataset", "record_key", "entity_id", "defects")

# Canonical Person attributes, as harmonization writes them.
ENTITY_COLUMNS = (
    "entity_id", "national_id", "tax_number", "family_name", "given_name", "patronymic",
    "sex", "birth_date", "marital_status", "status", "death_date", "address_id",
)  # fmt: skip
_PEOPLE_AS_ENTITIES = {
    "entity_id": "person_id", "national_id": "pin", "tax_number": "tin",
}  # fmt: skip
_SEX = {"M": "male", "F": "female"}


def write_people(
    path: Path, pop: Population, addresses: Addresses, has_tin: Sequence[bool]
) -> None:
    """``people.csv``: one row per person with the true values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    births, deaths = iso(pop.birth), iso(pop.death)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PEOPLE_COLUMNS)
        for i in range(len(pop)):
            old = int(pop.old_address[i])
            w.writerow(
                (
                    pop.person_id[i],
                    pop.pin[i],
                    pop.tin[i] if has_tin[i] else "",
                    pop.family[i],
                    pop.given[i],
                    pop.patronymic[i],
                    names.civil_latin(pop.family[i]),
                    names.civil_latin(pop.given[i]),
                    "M" if pop.sex[i] == 1 else "F",
                    births[i],
                    MARITAL_CODES[int(pop.marital[i])],
                    STATUS_CODES[int(pop.status[i])],
                    deaths[i],
                    addresses.address_id[int(pop.address[i])],
                    addresses.address_id[old] if old >= 0 else "",
                )
            )


def write_entities(people: Path, path: Path) -> None:
    """``entities.csv``: ``people.csv`` in the canonical attributes' names and codes."""
    with (
        people.open(encoding="utf-8", newline="") as src,
        path.open("w", encoding="utf-8", newline="") as fh,
    ):
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ENTITY_COLUMNS)
        for row in csv.DictReader(src):
            row["sex"] = _SEX[row["sex"]]
            w.writerow(row[_PEOPLE_AS_ENTITIES.get(c, c)] for c in ENTITY_COLUMNS)


def write_records(
    path: Path,
    pop: Population,
    datasets: Sequence[tuple[str, Sequence[str], Sequence[int], dict[int, list[str]]]],
) -> None:
    """``records.csv``: (dataset, source record key, true person id, deliberate defects).

    The record key is the one reconcile identifies the record by: the reconcile spec's
    key column of the dataset (``REG_NO``, ``case_id``), else the source's ``key:``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(RECORD_COLUMNS)
        for dataset, keys, person, defects in datasets:
            w.writerows(
                (dataset, key, pop.person_id[p], ";".join(defects.get(r, ())))
                for r, (key, p) in enumerate(zip(keys, person, strict=True))
            )
