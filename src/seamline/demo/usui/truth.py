"""The us-ui ground truth in the generic format ``seamline run`` scores against.

``_truth/entities.csv``: one row per person, a column per canonical attribute, values
in canonical form. ``_truth/records.csv``: which person each source record belongs to
(``record_key`` as reconcile names the record). ``_truth/defects.csv``: the deliberate
defects per record, for tests and for reading the scores.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from seamline.demo.usui.people import Person

ENTITY_COLUMNS = (
    "entity_id", "national_id", "family_name", "given_name", "middle_name", "name_suffix",
    "birth_date", "sex", "driver_license", "phone", "house_number", "street", "unit",
    "locality", "region", "post_code", "post_code_ext",
)  # fmt: skip


def entity_row(p: Person) -> tuple[str, ...]:
    a = p.address
    return (
        p.person_id,
        p.ssn,
        p.family,
        p.given,
        p.middle,
        p.suffix,
        p.birth.isoformat(),
        "male" if p.sex == "M" else "female",
        p.license,
        "+1" + p.phone if p.phone else "",
        a.house,
        a.street_std,
        a.unit_std,
        a.city.upper(),
        a.state,
        a.zip5,
        a.zip4,
    )


Records = tuple[str, Sequence[str], Sequence[int], dict[int, list[str]]]


def write_truth(folder: Path, people: list[Person], datasets: Sequence[Records]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "entities.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ENTITY_COLUMNS)
        w.writerows(entity_row(p) for p in people)
    with (folder / "records.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("dataset", "record_key", "entity_id"))
        for dataset, keys, person, _ in datasets:
            w.writerows(
                (dataset, key, people[i].person_id) for key, i in zip(keys, person, strict=True)
            )
    with (folder / "defects.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("dataset", "record_key", "defect"))
        for dataset, keys, _, defects in datasets:
            for r in sorted(defects):
                w.writerows((dataset, keys[r], d) for d in defects[r])
