"""`seamline demo`: the four-agency scenario, its spec and its ground truth."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from seamline.demo import DemoSummary, generate_demo
from seamline.demo.civil import COPYBOOK, LAYOUT, RECORD_LENGTH
from seamline.errors import UsageError
from seamline.plugins import Registry
from seamline.sources import copybook, delimited, jsonsrc, sql
from seamline.sources.base import QuarantineRecord, ReadContext
from seamline.workspace import check_workspace

PEOPLE = 300


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo") / "ws", people=PEOPLE, seed=11)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def truth_records(root: Path, dataset: str) -> list[dict[str, str]]:
    return [r for r in read_csv(root / "_truth" / "records.csv") if r["dataset"] == dataset]


def unpack_comp3(raw: bytes) -> int | None:
    """Independent packed-decimal decoder for the checks (None on an invalid nibble)."""
    nibbles = [n for b in raw for n in (b >> 4, b & 0xF)]
    *digits, sign = nibbles
    if any(d > 9 for d in digits) or sign not in (0xC, 0xD, 0xF):
        return None
    value = int("".join(map(str, digits)))
    return -value if sign == 0xD else value


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_summary_counts_match_the_files(demo: DemoSummary) -> None:
    root = demo.path
    assert demo.people == PEOPLE
    assert demo.seed == 11
    assert demo.seconds > 0
    assert demo.records["civil_persons"] == PEOPLE
    assert (root / "data/civil/persons.dat").stat().st_size == PEOPLE * RECORD_LENGTH
    con = sqlite3.connect(root / "data/tax/tax.sqlite")
    try:
        (rows,) = con.execute("SELECT count(*) FROM taxpayers").fetchone()
        (tins,) = con.execute("SELECT count(DISTINCT tin) FROM taxpayers").fetchone()
    finally:
        con.close()
    assert rows == tins == demo.records["tax_payers"] > 0
    lines = (root / "data/social/beneficiaries.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) == demo.records["social_cases"] > 0
    addresses = read_csv(root / "data/address/addresses.csv")
    assert len(addresses) == demo.records["addresses"]
    assert list(addresses[0]) == [
        "address_id", "region", "district", "locality", "street", "house", "post_code"
    ]  # fmt: skip


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The four connectors the demo uses (and no others, so unrelated ones cannot interfere)."""
    reg = Registry()
    for module in (copybook, delimited, jsonsrc, sql):
        module.register(reg)
    return reg


def test_workspace_validates(demo: DemoSummary, registry: Registry) -> None:
    ws, issues = check_workspace(demo.path, env={}, registry=registry)
    assert issues == [], "\n".join(map(str, issues))
    assert ws is not None
    assert ws.project.name == "demo-registers"
    assert len(ws.agencies) == 4
    assert len(ws.datasets) == 4
    assert 2 <= len(ws.seams) <= 3


def test_every_record_reads_or_is_quarantined(demo: DemoSummary, registry: Registry) -> None:
    ws, issues = check_workspace(demo.path, env={}, registry=registry)
    assert ws is not None, issues
    expected_bad = {"civil_persons": 3, "social_cases": 2, "tax_payers": 0, "addresses": 0}
    for dataset in ws.datasets.values():
        reader_cls = registry.connector(dataset.source["kind"])
        options = reader_cls.options_model.model_validate(dataset.source)
        reader = reader_cls(options, ReadContext(base_dir=demo.path, dataset=dataset.id))
        rows, quarantined = 0, list[QuarantineRecord]()
        columns: set[str] = set()
        for batch in reader.batches():
            rows += batch.data.num_rows
            quarantined += batch.quarantined
            columns |= set(batch.data.column_names)
        assert rows + len(quarantined) == demo.records[dataset.id], dataset.id
        assert len(quarantined) == expected_bad[dataset.id], dataset.id
        assert {f.column for f in dataset.fields} <= columns, dataset.id
        truth = truth_records(demo.path, dataset.id)
        for q in quarantined:  # record_no counts records in file order, like the truth
            defects = truth[q.record_no - 1]["defects"].split(";")
            assert {"bad_packed_decimal", "malformed_json"} & set(defects), q
            assert q.reason and q.raw


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", people=120, seed=5)
    b = generate_demo(tmp_path / "b", people=120, seed=5)
    c = generate_demo(tmp_path / "c", people=120, seed=6)
    assert tree_hashes(a.path) == tree_hashes(b.path)
    assert a.records == b.records
    hashes_c = tree_hashes(c.path)
    assert hashes_c["data/civil/persons.dat"] != tree_hashes(a.path)["data/civil/persons.dat"]
    assert set(hashes_c) == set(tree_hashes(a.path))


def test_truth_maps_every_record_to_a_person(demo: DemoSummary) -> None:
    root = demo.path
    people = {r["person_id"]: r for r in read_csv(root / "_truth/people.csv")}
    assert len(people) == PEOPLE
    assert len({p["pin"] for p in people.values()}) == PEOPLE
    records = read_csv(root / "_truth/records.csv")
    assert all(r["entity_id"] in people for r in records)
    counts = Counter(r["dataset"] for r in records)
    assert counts == {
        "civil_persons": demo.records["civil_persons"],
        "tax_payers": demo.records["tax_payers"],
        "social_cases": demo.records["social_cases"],
    }
    keys = Counter((r["dataset"], r["record_key"]) for r in records)
    assert max(keys.values()) == 1
    # The tax duplicates: a few people have two TINs.
    tax_people = Counter(r["entity_id"] for r in records if r["dataset"] == "tax_payers")
    dups = sum(1 for r in records if "duplicate" in r["defects"].split(";"))
    assert dups == sum(n - 1 for n in tax_people.values())
    # entities.csv: the same people in canonical attributes (what `evaluate:` scores).
    entities = {r["entity_id"]: r for r in read_csv(root / "_truth/entities.csv")}
    assert entities.keys() == people.keys()
    for pid, p in people.items():
        e = entities[pid]
        assert (e["national_id"], e["tax_number"], e["family_name"]) == (
            p["pin"],
            p["tin"],
            p["family_name"],
        )
        assert e["sex"] == {"M": "male", "F": "female"}[p["sex"]]


def test_tax_rows_belong_to_their_true_person(demo: DemoSummary) -> None:
    root = demo.path
    people = {r["person_id"]: r for r in read_csv(root / "_truth/people.csv")}
    con = sqlite3.connect(root / "data/tax/tax.sqlite")
    try:
        rows = {r[0]: r for r in con.execute("SELECT tin, pin, birth_date FROM taxpayers")}
    finally:
        con.close()
    for rec in truth_records(root, "tax_payers"):
        tin, pin, birth = rows[rec["record_key"]]
        person = people[rec["entity_id"]]
        assert len(tin) == 10
        if pin is not None:
            assert re.sub(r"\D", "", pin) == person["pin"]
        if "duplicate" not in rec["defects"]:
            assert tin == person["tin"]
        if birth is not None:
            assert birth == person["birth_date"]


def test_ebcdic_records_decode_to_the_truth(demo: DemoSummary) -> None:
    root = demo.path
    data = (root / "data/civil/persons.dat").read_bytes()
    people = {r["person_id"]: r for r in read_csv(root / "_truth/people.csv")}
    records = truth_records(root, "civil_persons")
    assert len(data) == len(records) * RECORD_LENGTH

    def field(rec: bytes, name: str) -> bytes:
        col = LAYOUT[name.replace("_", "-")]
        return rec[col.offset : col.offset + col.size]

    bad = []
    for i, rec_truth in enumerate(records):
        rec = data[i * RECORD_LENGTH : (i + 1) * RECORD_LENGTH]
        person = people[rec_truth["entity_id"]]
        assert field(rec, "PIN").decode("cp037") == person["pin"]
        assert unpack_comp3(field(rec, "REG_NO")) == int(rec_truth["record_key"])
        family = field(rec, "FAMILY_NAME").decode("cp037").rstrip(" ")
        if "typo" not in rec_truth["defects"]:
            assert family == person["family_name_latin"]
        assert family.isascii()
        assert family == family.upper()
        assert field(rec, "GIVEN_NAME").decode("cp037").rstrip() == person["given_name_latin"]
        assert field(rec, "SEX_CD").decode("cp037") == person["sex"]
        assert field(rec, "MARITAL_CD").decode("cp037") in "SMDW"
        assert field(rec, "STATUS_CD").decode("cp037") == {"active": "A", "closed": "E"}.get(
            person["status"], "D"
        )
        death = unpack_comp3(field(rec, "DEATH_DATE"))
        assert death == int(person["death_date"].replace("-", "") or 0)
        birth = unpack_comp3(field(rec, "BIRTH_DATE"))
        if birth is None:
            bad.append(i)
            assert "bad_packed_decimal" in rec_truth["defects"]
        else:
            assert birth == int(person["birth_date"].replace("-", ""))
    assert len(bad) == 3


def _copybook_size(text: str) -> int:
    """Record size from the PIC clauses (X(n), 9(n) COMP-3, S9(n) COMP-3)."""
    size = 0
    for line in text.splitlines():
        if line[6:7] == "*" or "PIC" not in line:
            continue
        m = re.search(r"PIC\s+(S?)([X9])\((\d+)\)\s*(COMP-3)?", line)
        assert m is not None, line
        n = int(m.group(3))
        size += (n + 2) // 2 if m.group(4) else n
    return size


def test_copybook_matches_the_record_length(demo: DemoSummary) -> None:
    cpy = (demo.path / "data/civil/persons.cpy").read_text(encoding="ascii")
    assert cpy == COPYBOOK
    assert _copybook_size(cpy) == RECORD_LENGTH == 160
    assert all(len(line) <= 72 for line in cpy.splitlines())


def test_ndjson_is_nested_with_two_bad_lines(demo: DemoSummary) -> None:
    root = demo.path
    lines = (root / "data/social/beneficiaries.ndjson").read_text(encoding="utf-8").splitlines()
    people = {r["person_id"]: r for r in read_csv(root / "_truth/people.csv")}
    records = truth_records(root, "social_cases")
    assert len(lines) == len(records)
    broken = 0
    for line, rec in zip(lines, records, strict=True):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            broken += 1
            assert "malformed_json" in rec["defects"]
            continue
        person = people[rec["entity_id"]]
        assert obj["case_id"] == rec["record_key"]
        assert re.sub(r"\D", "", str(obj["person"]["pin"])) == person["pin"]
        assert set(obj["person"]["name"]) == {"first", "last", "middle"}
        y, m, d = person["birth_date"].split("-")
        assert obj["birth"] == f"{d}.{m}.{y}"
        assert obj["status"] in (1, 2, 3)
        assert set(obj["address"]) >= {"region", "district", "street", "house"}
        if obj["person"]["tin"] is not None:
            assert f"{obj['person']['tin']:010d}" == person["tin"]
    assert broken == 2
    assert broken / len(lines) < 0.05


def test_deaths_not_yet_in_the_social_fund(tmp_path: Path) -> None:
    summary = generate_demo(tmp_path / "ws", people=3000, seed=3)
    records = read_csv(summary.path / "_truth/records.csv")
    defects = Counter(d for r in records for d in r["defects"].split(";") if d)
    for kind in ("typo", "duplicate", "stale_address", "death_not_propagated", "pin_format"):
        assert defects[kind] > 0, kind
    people = read_csv(summary.path / "_truth/people.csv")
    assert {p["marital_status"] for p in people} == {"single", "married", "divorced", "widowed"}
    assert {p["status"] for p in people} == {"active", "closed", "deceased"}


def test_progress_is_called(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = generate_demo(tmp_path / "ws", people=50, progress=seen.append)
    assert len(seen) >= 4
    assert seen == sorted(seen)
    assert seen[-1] == sum(summary.records.values())


def test_refuses_a_foreign_folder(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        generate_demo(target, people=20)
    assert "--force" in str(err.value)
    with pytest.raises(UsageError, match="not a demo workspace"):
        generate_demo(target, people=20, force=True)
    (target / "seamline.yaml").write_text("name: payroll\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not a demo workspace"):
        generate_demo(target, people=20, force=True)
    assert (target / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_refuses_a_file_and_too_few_people(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not a folder"):
        generate_demo(target, people=20)
    with pytest.raises(UsageError, match="at least"):
        generate_demo(tmp_path / "ws", people=3)


def test_force_replaces_an_earlier_demo(tmp_path: Path) -> None:
    target = tmp_path / "ws"
    generate_demo(target, people=40, seed=1)
    (target / "data" / "stray.txt").write_text("old", encoding="utf-8")
    with pytest.raises(UsageError):
        generate_demo(target, people=40, seed=2)
    summary = generate_demo(target, people=60, seed=2, force=True)
    assert not (target / "data" / "stray.txt").exists()
    assert summary.records["civil_persons"] == 60
    assert (target / "data/civil/persons.dat").stat().st_size == 60 * RECORD_LENGTH


@pytest.mark.slow
def test_twenty_thousand_people_are_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    summary = generate_demo(tmp_path / "ws", people=20_000)
    elapsed = time.perf_counter() - started
    assert summary.records["civil_persons"] == 20_000
    assert elapsed < 6.0, f"{elapsed:.1f}s"
