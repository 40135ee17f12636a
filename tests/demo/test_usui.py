"""`seamline demo --scenario us-ui`: four US program files, their spec and ground truth."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from seamline.demo import DemoSummary, generate_demo
from seamline.demo.usui.claims import COPYBOOK, LAYOUT, OFFSETS, RECORD_LENGTH
from seamline.demo.usui.mess import PLACEHOLDER_SSNS
from seamline.demo.usui.wages import COLUMNS, LINE_LENGTH
from seamline.errors import UsageError
from seamline.plugins import Registry
from seamline.sources import copybook, delimited, fixedwidth, jsonsrc
from seamline.sources.base import QuarantineRecord, ReadContext

PEOPLE = 300
SEED = 11
DATASETS = ("ui_claims", "wage_records", "mva_identities", "benefit_payments")
log = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    log.info("us-ui scenario seed %d", SEED)
    return generate_demo(
        tmp_path_factory.mktemp("usui") / "ws", people=PEOPLE, seed=SEED, scenario="us-ui"
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    """Enough people for every kind of mess to occur."""
    log.info("us-ui scenario seed %d", 5)
    return generate_demo(
        tmp_path_factory.mktemp("usui") / "big", people=3000, seed=5, scenario="us-ui"
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def defects_of(root: Path) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in read_csv(root / "_truth/defects.csv"):
        out[(r["dataset"], r["record_key"])].add(r["defect"])
    return out


def unpack_comp3(raw: bytes) -> int | None:
    """Independent packed-decimal decoder for the checks (None on an invalid nibble)."""
    nibbles = [n for b in raw for n in (b >> 4, b & 0xF)]
    *digits, sign = nibbles
    if any(d > 9 for d in digits) or sign not in (0xC, 0xD, 0xF):
        return None
    value = int("".join(map(str, digits)))
    return -value if sign == 0xD else value


def test_summary_counts_match_the_files(demo: DemoSummary) -> None:
    root = demo.path
    assert demo.people == PEOPLE and demo.seed == SEED
    assert set(demo.records) == set(DATASETS)
    assert (root / "data/claims/claims.dat").stat().st_size == (
        demo.records["ui_claims"] * RECORD_LENGTH
    )
    wages = (root / "data/wages/wages.txt").read_text(encoding="ascii").splitlines()
    assert len(wages) == demo.records["wage_records"]
    mva = (root / "data/mva/identities.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(mva) == demo.records["mva_identities"]
    payments = read_csv(root / "data/payments/payments.csv")
    assert len(payments) == demo.records["benefit_payments"]
    truth = Counter(r["dataset"] for r in read_csv(root / "_truth/records.csv"))
    assert truth == Counter(demo.records)
    assert len(read_csv(root / "_truth/entities.csv")) == PEOPLE
    assert "name: demo-us-ui" in (root / "seamline.yaml").read_text(encoding="utf-8")


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", people=120, seed=5, scenario="us-ui")
    b = generate_demo(tmp_path / "b", people=120, seed=5, scenario="us-ui")
    c = generate_demo(tmp_path / "c", people=120, seed=6, scenario="us-ui")
    assert tree_hashes(a.path) == tree_hashes(b.path)
    hashes_c = tree_hashes(c.path)
    assert set(hashes_c) == set(tree_hashes(a.path))
    assert hashes_c["data/claims/claims.dat"] != tree_hashes(a.path)["data/claims/claims.dat"]


def test_the_civil_scenario_is_the_default_and_unchanged(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", people=60, seed=4)
    b = generate_demo(tmp_path / "b", people=60, seed=4, scenario="civil")
    assert tree_hashes(a.path) == tree_hashes(b.path)
    assert (a.path / "data/civil/persons.dat").exists()
    with pytest.raises(UsageError, match="unknown demo scenario"):
        generate_demo(tmp_path / "c", people=60, scenario="payroll")  # type: ignore[arg-type]


def test_force_replaces_a_demo_of_the_other_scenario(tmp_path: Path) -> None:
    target = tmp_path / "ws"
    generate_demo(target, people=40, seed=1)
    generate_demo(target, people=40, seed=1, scenario="us-ui", force=True)
    assert not (target / "data/civil").exists()
    generate_demo(target, people=40, seed=1, force=True)
    assert not (target / "data/claims").exists()


def test_truth_is_consistent_with_the_files(demo: DemoSummary) -> None:
    root = demo.path
    entities = {e["entity_id"]: e for e in read_csv(root / "_truth/entities.csv")}
    records = read_csv(root / "_truth/records.csv")
    assert list(records[0]) == ["dataset", "record_key", "entity_id"]
    assert {r["entity_id"] for r in records} == set(entities)
    keys: dict[str, list[str]] = defaultdict(list)
    for r in records:
        keys[r["dataset"]].append(r["record_key"])
    for dataset in ("ui_claims", "mva_identities", "benefit_payments"):
        assert len(set(keys[dataset])) == len(keys[dataset]), dataset
    assert keys["wage_records"] == [str(i) for i in range(1, demo.records["wage_records"] + 1)]
    payments = read_csv(root / "data/payments/payments.csv")
    assert keys["benefit_payments"] == [p["payment_id"] for p in payments]
    # Every person is in two to four datasets.
    seen: dict[str, set[str]] = defaultdict(set)
    for r in records:
        seen[r["entity_id"]].add(r["dataset"])
    assert {len(v) for v in seen.values()} <= {2, 3, 4}
    # Canonical forms: ISO dates, canonical codes, compact identifiers, E.164 phones.
    for e in entities.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", e["birth_date"])
        assert e["sex"] in {"male", "female"}
        assert re.fullmatch(r"\d{9}", e["national_id"])
        assert e["national_id"] not in PLACEHOLDER_SSNS
        assert not e["national_id"].startswith(("000", "666", "9"))
        assert re.fullmatch(r"(\+1\d{10})?", e["phone"])
        assert re.fullmatch(r"([A-Z]\d{14})?", e["driver_license"])
        assert re.fullmatch(r"\d{5}", e["post_code"])
        assert re.fullmatch(r"(\d{4})?", e["post_code_ext"])
        assert len(e["region"]) == 2
    defects = defects_of(root)
    assert {d for d, _ in defects} <= set(DATASETS)
    assert {k for k in defects} <= {(r["dataset"], r["record_key"]) for r in records}


def test_mva_and_payments_belong_to_their_true_person(demo: DemoSummary) -> None:
    root = demo.path
    entities = {e["entity_id"]: e for e in read_csv(root / "_truth/entities.csv")}
    owner = {
        (r["dataset"], r["record_key"]): r["entity_id"]
        for r in read_csv(root / "_truth/records.csv")
    }
    defects = defects_of(root)
    for line in (root / "data/mva/identities.ndjson").read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        key = ("mva_identities", obj["customer_no"])
        person = entities[owner[key]]
        assert obj["credential"]["number"].replace(" ", "") == person["driver_license"]
        m, d, y = obj["dob"].split("/")
        assert f"{y}-{m}-{d}" == person["birth_date"]
        assert obj["name"]["first"] == person["given_name"]
        if "typo" not in defects[key]:
            assert obj["name"]["last"] == person["family_name"]
        if not defects[key] & {"no_ssn", "masked_ssn", "invalid_ssn"}:
            assert re.sub(r"\D", "", obj["ssn"]) == person["national_id"]
        assert str(obj["address"]["zip"]).zfill(5)[:5] == person["post_code"]
    for p in read_csv(root / "data/payments/payments.csv"):
        key = ("benefit_payments", p["payment_id"])
        person = entities[owner[key]]
        if not defects[key]:
            assert re.sub(r"\D", "", p["payee_ssn"]) == person["national_id"]


def registry() -> Registry:
    reg = Registry()
    for module in (copybook, delimited, fixedwidth, jsonsrc):
        module.register(reg)
    return reg


def read_dataset(
    root: Path, dataset: str
) -> tuple[list[dict[str, object]], list[QuarantineRecord]]:
    """Read a dataset with seamline's own connector, as its spec declares it."""
    import yaml

    spec = yaml.safe_load((root / "datasets" / f"{dataset}.yaml").read_text(encoding="utf-8"))
    source = dict(spec["source"])
    reader_cls = registry().connector(source["kind"])
    reader = reader_cls(
        reader_cls.options_model.model_validate(source), ReadContext(base_dir=root, dataset=dataset)
    )
    rows: list[dict[str, object]] = []
    quarantined: list[QuarantineRecord] = []
    for batch in reader.batches():
        rows += batch.data.to_pylist()
        quarantined += batch.quarantined
    return rows, quarantined


def test_every_record_reads_or_is_quarantined_for_its_defect(demo: DemoSummary) -> None:
    root = demo.path
    truth = read_csv(root / "_truth/records.csv")
    defects = defects_of(root)
    expected = {"ui_claims": "bad_packed_decimal", "wage_records": "short_line",
                "mva_identities": "malformed_json"}  # fmt: skip
    for dataset in DATASETS:
        rows, quarantined = read_dataset(root, dataset)
        assert len(rows) + len(quarantined) == demo.records[dataset], dataset
        keys = [r["record_key"] for r in truth if r["dataset"] == dataset]
        intended = {
            i + 1 for i, k in enumerate(keys) if expected.get(dataset, "-") in defects[(dataset, k)]
        }
        assert {q.record_no for q in quarantined} == intended, dataset
        assert all(q.reason and q.raw for q in quarantined)
        if dataset == "mva_identities":  # `types:` lands numbers and strings alike as text
            assert all(isinstance(r["zip"], str) for r in rows)
            assert any(len(str(r["zip"])) == 4 for r in rows)  # a number that lost its zero
        if dataset in expected:
            assert intended, dataset


def test_claims_extract_decodes_to_the_truth(demo: DemoSummary) -> None:
    root = demo.path
    cpy = (root / "data/claims/claims.cpy").read_text(encoding="ascii")
    assert cpy == COPYBOOK
    assert all(len(line) <= 72 for line in cpy.splitlines())
    rows, quarantined = read_dataset(root, "ui_claims")
    assert len(quarantined) >= 1
    entities = {e["entity_id"]: e for e in read_csv(root / "_truth/entities.csv")}
    owner = {
        r["record_key"]: r["entity_id"]
        for r in read_csv(root / "_truth/records.csv")
        if r["dataset"] == "ui_claims"
    }
    defects = defects_of(root)
    for row in rows:
        key = str(row["CLAIM_ID"])
        person = entities[owner[key]]
        found = defects[("ui_claims", key)]
        if not found & {"invalid_ssn", "placeholder_ssn"}:
            assert re.sub(r"\D", "", str(row["CLMT_SSN"])) == person["national_id"]
        if "no_birth_date" in found:
            assert row["BIRTH_DATE"] == 0
        else:
            assert str(row["BIRTH_DATE"]) == person["birth_date"].replace("-", "")
        assert row["SEX_CD"] == person["sex"][0].upper()
        assert row["MAIL_ADDR_STATE_CD"] == person["region"]
        assert str(row["MAIL_ADDR_ZIP_CODE"]) == person["post_code"] + person["post_code_ext"]
        assert str(row["CLMT_NAME_LAST_NAME"]).isascii()
    # The raw bytes: packed dates where the copybook puts them, the damage where intended.
    data = (root / "data/claims/claims.dat").read_bytes()
    at = OFFSETS["BIRTH-DATE"]
    broken = [
        i for i in range(len(data) // RECORD_LENGTH)
        if unpack_comp3(data[i * RECORD_LENGTH + at : i * RECORD_LENGTH + at + 5]) is None
    ]  # fmt: skip
    assert sorted(q.record_no - 1 for q in quarantined) == broken
    assert sum(size for _, size in LAYOUT) == RECORD_LENGTH == 200


def test_wage_lines_follow_the_layout(demo: DemoSummary) -> None:
    lines = (demo.path / "data/wages/wages.txt").read_text(encoding="ascii").splitlines()
    full = [line for line in lines if len(line) == LINE_LENGTH]
    assert len(lines) - len(full) >= 1
    assert COLUMNS[-1][1] + COLUMNS[-1][2] - 1 == LINE_LENGTH
    for line in full:
        assert line[0] == "S"
        assert re.fullmatch(r"[A-Z' .-]+(?: (?:JR|SR|II|III))?, [A-Z -]+", line[12:52].rstrip())
        assert re.fullmatch(r"2025Q[1-4]", line[62:68])
        assert line[68:79].isdigit()


def test_the_mess_is_there(big: DemoSummary) -> None:
    root = big.path
    defects = Counter(d for r in read_csv(root / "_truth/defects.csv") for d in [r["defect"]])
    for kind in ("invalid_ssn", "placeholder_ssn", "typo", "duplicate", "no_ssn", "masked_ssn"):
        assert defects[kind] > 0, kind
    wages = (root / "data/wages/wages.txt").read_text(encoding="ascii").splitlines()
    ssns = [line[1:12].rstrip() for line in wages]
    notation = Counter(
        "dashes" if re.fullmatch(r"\d{3}-\d\d-\d{4}", s) else
        "spaces" if re.fullmatch(r"\d{3} \d\d \d{4}", s) else
        "plain" if re.fullmatch(r"\d{9}", s) else "other"
        for s in ssns
    )  # fmt: skip
    assert notation["plain"] > notation["dashes"] > notation["spaces"] > 0
    assert notation["other"] < len(ssns) * 0.01
    entities = read_csv(root / "_truth/entities.csv")
    families = {e["family_name"] for e in entities}
    for name in (
        "De La Cruz",
        "García López",
        "Van der Berg",
        "O'Brien",
        "McDonald",
        "Smith-Jones",
    ):
        assert name in families, name
    assert any(not e["given_name"].isascii() for e in entities)
    assert any(e["name_suffix"] for e in entities)
    assert any(e["unit"] for e in entities) and any(e["post_code_ext"] for e in entities)
    assert {e["region"] for e in entities} >= {"NJ", "NY", "PA"}
    mva = [
        json.loads(line)
        for line in (root / "data/mva/identities.ndjson").read_text(encoding="utf-8").splitlines()
        if line.endswith("}")
    ]
    zips = Counter(type(m["address"]["zip"]).__name__ for m in mva)
    assert zips["int"] > 0 and zips["str"] > 0
    assert any(isinstance(m["address"]["zip"], str) and "-" in m["address"]["zip"] for m in mva)
    states = {m["address"]["state"] for m in mva}
    assert {"NJ", "New Jersey", "NEW JERSEY"} <= states
    phones = {re.sub(r"\d", "9", str(m["phone"])) for m in mva if m["phone"]}
    assert len(phones) == 6
    lines = " ".join(m["address"]["line1"] for m in mva)
    assert " #" not in lines  # the MVA validates addresses: designators, never "#"
    for spelling in (" Street", " St ", " Ave", " Apt ", " North "):
        assert spelling in lines + " ", spelling
