"""Entities other than Person through ``seamline run``: the built-in Business (a company
register against a VAT list) and a workspace's own Vehicle, each linked with a model
generated from the entity's declared attributes, with golden records, discrepancies and
the worklist naming the entity's attributes."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from linkage_kit import f1, seamline_run
from typer.testing import CliRunner

from business_kit import write_business_workspace
from seamline.cli import app
from seamline.reconcile.generic import library_legal_forms, organisation_key
from seamline.workspace.entities import BUILTIN_ENTITIES, AttributeSpec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _reconcile_stage(root: Path) -> dict[str, Any]:
    report = json.loads((root / ".seamline/data/reports/run-latest.json").read_text())
    stage: dict[str, Any] = next(s for s in report["stages"] if s["stage"] == "reconcile")
    return stage


def test_legal_form_words_fold_off_the_ends_of_names_only() -> None:
    import pyarrow as pa

    names = pa.array(
        ["Foxglen Dairy G.m.b.H.", "FOXGLEN DAIRY GMBH", "Limited Editions Ltd", "S.A.", None]
    )
    keys = organisation_key(names, library_legal_forms()).to_pylist()
    assert keys == ["foxglen dairy", "foxglen dairy", "limited editions", "sa", None]
    # A declared list replaces the library's: only its words are folded.
    assert organisation_key(names, ("Ltd",)).to_pylist()[:3] == [
        "foxglen dairy gmbh",
        "foxglen dairy gmbh",
        "limited editions",
    ]


def test_an_attributes_kind_comes_from_its_declaration() -> None:
    from pydantic import ValidationError

    assert AttributeSpec(name="total", type="decimal").match_kind() == "amount"
    assert AttributeSpec(name="ref", type="string").match_kind() == "text"
    declared = AttributeSpec(name="payer", type="string", match="organisation_name")
    assert declared.match_kind() == "organisation_name"
    with pytest.raises(ValidationError, match="tolerance applies to amounts only"):
        AttributeSpec(name="paid_on", type="date", tolerance=3)
    assert BUILTIN_ENTITIES["Person"].person_shaped()
    assert not BUILTIN_ENTITIES["Business"].person_shaped()


@pytest.fixture(scope="module")
def business(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("business") / "ws"
    truth = write_business_workspace(root, n=300, seed=7)
    outcome = seamline_run(root)
    assert outcome.exit_code == 0, outcome.output
    return root, (truth, outcome)


def test_two_business_registers_link_with_a_model_from_business_attributes(
    business: tuple[Path, Any],
) -> None:
    root, (_, outcome) = business
    true_of = {}
    with (root / "_truth" / "records.csv").open() as fh:
        for row in csv.DictReader(fh):
            true_of[f"{row['dataset']}:{row['record_key']}"] = row["entity_id"]
    scores = f1(outcome.entity_of, true_of.__getitem__)
    assert scores["f1"] >= 0.98, scores  # 1.0 on this seed
    stage = _reconcile_stage(root)
    assert stage["details"][0]["F1"] == pytest.approx(scores["f1"], abs=1e-4)
    # The model compares the entity's attributes, not a person's.
    model = json.loads((root / ".seamline/data/reference/business.model.json").read_text())
    assert {"legal_name", "address_full", "registration_date", "phone"} <= set(model["features"])
    assert not {f for f in model["features"] if "family" in f or "birth" in f}
    explained = CliRunner().invoke(app, ["reconcile", "--explain", "-w", str(root)])
    assert explained.exit_code == 0, explained.output
    assert "legal name (first word)" in explained.output
    assert "within 31 days" in explained.output


def test_business_golden_records_and_discrepancies(business: tuple[Path, Any]) -> None:
    root, (truth, _) = business
    golden = pq.read_table(root / ".seamline/data/reference/business.parquet").to_pylist()
    assert len(golden) == len(truth)
    by_reg = {g["legal_identifier"]: g for g in golden}
    # The register is authoritative for the legal name: its spelling wins over the tax
    # office's ("FOXGLEN DAIRY GMBH").
    for company in truth:
        assert by_reg[company.reg_no]["legal_name"].startswith(company.name)
        assert by_reg[company.reg_no]["legal_name__dataset"] == "companies"
    counts = _reconcile_stage(root)["counts"]
    # Legal-form variants and case are format only; typed names and shifted dates conflict.
    assert counts["format_only"] > 50
    assert counts["conflict"] > 50
    out = CliRunner().invoke(
        app,
        [
            "reconcile",
            "worklist",
            str(root),
            "--attribute",
            "registration_date",
            "-o",
            str(root / "wl.json"),
        ],
    )
    assert out.exit_code == 0, out.output
    rows = json.loads((root / "wl.json").read_text())
    assert rows and {r["attribute"] for r in rows} == {"registration_date"}
    assert all(r["entity_id"].startswith("business-") for r in rows)


def _vehicle_rows(n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    makes = ["ORBITA", "KESTREL", "VOLANTE", "MARLIN", "TUNDRA"]
    registrations, inspections = [], []
    for i in range(n):
        vin = "".join(rng.choice(letters) for _ in range(17))
        plate = f"{rng.choice('KLMNP')}{rng.randrange(100, 999)}{rng.choice('ABCXYZ')}"
        make = rng.choice(makes)
        model = f"{make.title()} {rng.choice(['City', 'Cargo', 'Sport', 'Family'])} {i % 7}"
        day = f"20{rng.randrange(10, 24)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 20):02d}"
        mass = rng.randrange(900, 2600)
        registrations.append(
            {"reg": f"R{i}", "vin": vin, "plate": plate, "make": make, "model": model,
             "first": day, "mass": mass, "_e": f"V{i}"}
        )  # fmt: skip
        if rng.random() < 0.75:
            seen_vin = "" if rng.random() < 0.3 else vin
            if seen_vin and rng.random() < 0.1:
                seen_vin = seen_vin[:5] + seen_vin[6] + seen_vin[5] + seen_vin[7:]
            inspections.append(
                {"no": f"I{i}", "vin": seen_vin,
                 "plate": plate if rng.random() < 0.8 else "",
                 "make": make, "model": model.upper(),
                 "first": day[:-2] + f"{int(day[-2:]) + rng.choice((0, 0, 3)):02d}",
                 "mass": mass + rng.choice((0, 0, 20, -30)), "_e": f"V{i}"}
            )  # fmt: skip
    return registrations, inspections


def _write_vehicle_workspace(root: Path, n: int = 250) -> dict[str, str]:
    regs, insp = _vehicle_rows(n, seed=3)

    def dump(path: str, data: Any) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(yaml.safe_dump(data, sort_keys=False))

    dump("seamline.yaml", {"name": "vehicles"})
    dump("agencies.yaml", {"agencies": [{"id": "transport", "name": "Invented Transport"}]})
    dump("systems/files.yaml",
         {"id": "files", "name": "Files", "agency": "transport", "interface": "batch-file"})  # fmt: skip
    dump(
        "entities/vehicle.yaml",
        {
            "id": "Vehicle",
            "title": "A road vehicle",
            "attributes": [
                {"name": "vin", "type": "identifier"},
                {"name": "plate", "type": "identifier"},
                {"name": "make", "type": "code"},
                {"name": "model_name", "type": "string"},
                {"name": "first_registered", "type": "date", "window_days": 7},
                {"name": "mass_kg", "type": "integer", "tolerance": 50},
            ],
        },
    )
    cols = {"vin": "vin", "plate": "plate", "make": "make", "model": "model_name",
            "first": "first_registered", "mass": "mass_kg"}  # fmt: skip
    for ds, rows, key in (("registrations", regs, "reg"), ("inspections", insp, "no")):
        path = root / "data" / f"{ds}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, [key, *cols], extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        fields: list[dict[str, Any]] = [{"column": key}]
        fields += [
            {"column": c, "attribute": a, "normalize": [{"text": {}}]} for c, a in cols.items()
        ]
        dump(
            f"datasets/{ds}.yaml",
            {"id": ds, "title": ds, "system": "files", "owner": "transport",
             "entity": "Vehicle", "sensitivity": "internal",
             "source": {"kind": "csv", "path": f"data/{ds}.csv", "key": [key]},
             "fields": fields},
        )  # fmt: skip
    dump("reconcile/vehicle.yaml", {"id": "vehicle", "entity": "Vehicle"})
    return {
        **{f"registrations:{r['reg']}": r["_e"] for r in regs},
        **{f"inspections:{r['no']}": r["_e"] for r in insp},
    }


def test_a_user_entity_links_through_the_same_path(tmp_path: Path) -> None:
    truth = _write_vehicle_workspace(tmp_path)
    outcome = seamline_run(tmp_path)
    assert outcome.exit_code == 0, outcome.output
    scores = f1(outcome.entity_of, truth.__getitem__)
    assert scores["f1"] >= 0.97, scores  # 0.994 on this seed
    model = json.loads((tmp_path / ".seamline/data/reference/vehicle.model.json").read_text())
    assert {"id_vin", "id_plate", "model_name", "first_registered", "mass_kg"} <= set(
        model["features"]
    )
    golden = pq.read_table(tmp_path / ".seamline/data/reference/vehicle.parquet")
    assert {"vin", "plate", "mass_kg"} <= set(golden.column_names)
    assert golden.num_rows == len(set(outcome.entity_of.values()))
    assert abs(golden.num_rows - len(set(truth.values()))) <= 3  # 249 of 250 on this seed
    explained = CliRunner().invoke(app, ["reconcile", "--explain", "-w", str(tmp_path)])
    assert "within 7 days" in explained.output and "within 50" in explained.output


def test_nothing_comparable_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_business_workspace(root, n=120, seed=5)
    # The VAT list keeps only its own number and the name: one shared attribute.
    spec = yaml.safe_load((root / "datasets/vat_payers.yaml").read_text())
    spec["fields"] = [
        f for f in spec["fields"] if f.get("attribute") in (None, "tax_number", "legal_name")
    ]
    (root / "datasets/vat_payers.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    outcome = seamline_run(root)
    assert outcome.exit_code == 0, outcome.output
    assert "Traceback" not in outcome.output
    said = " ".join(outcome.output.split())
    assert "fewer than two comparable attributes (found: legal_name;" in said
    stage = _reconcile_stage(root)
    assert stage["status"] == "ok"
    (note,) = [m for m in stage["messages"] if "comparable attributes" in m]
    assert "registration_date" in note and note.count(". ") == 0


def test_overrides_name_the_entitys_own_attributes(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_business_workspace(root, n=120, seed=9)
    spec: dict[str, Any] = {
        "id": "business",
        "entity": "Business",
        "blocking": [["legal_identifier"], ["legal_name"], ["phone"]],
        "comparisons": {"address_full": {"comparison": "none"}},
    }
    (root / "reconcile/business.yaml").write_text(yaml.safe_dump(spec))
    outcome = seamline_run(root)
    assert outcome.exit_code == 0, outcome.output
    model = json.loads((root / ".seamline/data/reference/business.model.json").read_text())
    assert [b["rule"] for b in model["blocking"]] == ["legal identifier", "legal name", "phone"]
    compared = [c["output_column_name"] for c in model["splink"]["comparisons"]]
    assert "f_address_full" not in compared and "f_legal_name" in compared
    # A person's attribute is no attribute of this model: a spec error naming what is.
    spec["blocking"] = [["family_name"]]
    (root / "reconcile/business.yaml").write_text(yaml.safe_dump(spec))
    refused = seamline_run(root)
    assert refused.exit_code != 0, refused.output  # the stage fails, as for persons
    said = " ".join(refused.output.split())
    assert "'family_name', which is no attribute the model can compare" in said
    assert "Allowed: address_full, legal_form, legal_identifier, legal_name," in said
    assert "Traceback" not in said
