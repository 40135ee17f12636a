"""Harmonize the demo scenario with the built-in normalizers: what each agency's data becomes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seamline.demo import generate_demo
from seamline.pipeline import run_pipeline
from seamline.store import Store
from seamline.workspace import load_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("harm") / "demo"
    generate_demo(root, people=400, seed=11)
    with sqlite3.connect(root / "data" / "tax" / "tax.sqlite") as db:
        # one taxpayer whose birth date disagrees with the date inside the PIN
        db.execute(
            "UPDATE taxpayers SET birth_date = '1901-01-01' WHERE rowid = (SELECT min(rowid) FROM taxpayers)"
        )
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        summary = run_pipeline(ws, store)
    assert summary.exit_code == 0, [s.messages for s in summary.stages]
    return root


def harmonized(root: Path, dataset: str) -> list[dict[str, object]]:
    return pq.read_table(
        root / ".seamline" / "data" / "harmonized" / f"{dataset}.parquet"
    ).to_pylist()


def test_every_landed_row_is_harmonized(demo: Path) -> None:
    data = demo / ".seamline" / "data"
    for path in (data / "landing").glob("*.parquet"):
        out = data / "harmonized" / path.name
        assert pq.ParquetFile(out).metadata.num_rows == pq.ParquetFile(path).metadata.num_rows


def test_identifiers_are_compacted_and_zeros_restored(demo: Path) -> None:
    tax = harmonized(demo, "tax_payers")
    dashed = [r for r in tax if "-" in str(r["national_id__orig"])]
    assert dashed, "the demo writes some PINs with separators"
    for r in dashed:
        if r["national_id"] is not None:
            assert r["national_id"] == str(r["national_id__orig"]).replace("-", "").replace(" ", "")
    social = harmonized(demo, "social_cases")
    restored = [r for r in social if r["tax_number__flag"] == "leading_zeros_restored"]
    assert restored
    assert all(
        len(str(r["tax_number"])) == 10
        and str(r["tax_number"]).endswith(str(r["tax_number__orig"]).removesuffix(".0"))
        for r in restored
    )


def test_identifier_and_birth_date_are_cross_checked(demo: Path) -> None:
    tax = harmonized(demo, "tax_payers")
    flagged = [r for r in tax if r["national_id__flag"] == "identifier_mismatch"]
    assert [r["birth_date__orig"] for r in flagged] == ["1901-01-01"]


def test_dates_and_codes_become_canonical(demo: Path) -> None:
    civil = harmonized(demo, "civil_persons")
    assert {type(r["birth_date"]).__name__ for r in civil if r["birth_date"] is not None} == {
        "date"
    }
    alive = [r for r in civil if str(r["death_date__orig"]) == "0"]
    assert alive and all(r["death_date"] is None and r["death_date__flag"] is None for r in alive)
    assert {r["marital_status"] for r in civil} <= {
        "single",
        "married",
        "divorced",
        "widowed",
        None,
    }
    social = harmonized(demo, "social_cases")
    assert {type(r["birth_date"]).__name__ for r in social if r["birth_date"] is not None} == {
        "date"
    }
