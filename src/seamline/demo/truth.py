"""The ground truth beside the data: who every person really is, and which records are theirs.

Written to ``_truth/``; the pipeline never reads it. Scoring (match quality, quarantine
recall) compares the pipeline's output with these two files.
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

RECORD_COLUMNS = ("dataset", "record_key", "person_id", "defects")


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


def write_records(
    path: Path,
    pop: Population,
    datasets: Sequence[tuple[str, Sequence[str], Sequence[int], dict[int, list[str]]]],
) -> None:
    """``records.csv``: (dataset, source record key, true person id, deliberate defects)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(RECORD_COLUMNS)
        for dataset, keys, person, defects in datasets:
            w.writerows(
                (dataset, key, pop.person_id[p], ";".join(defects.get(r, ())))
                for r, (key, p) in enumerate(zip(keys, person, strict=True))
            )
