"""A replay of deliveries where the upstream changes without notice.

The demo's provider files are edited between pipeline runs, as an upstream system
would change them: a new status code, a dropped column, dates switched to another
format, a volume collapse, and finally a delivery that does not come (stale). Each
change must be detected once, attributed to the right seam and owner, and an
unchanged delivery must raise nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from seamline.demo.generate import generate_demo
from seamline.pipeline import run_pipeline
from seamline.seams import check_agreements, detect_drift, run_checks, seam_health
from seamline.store import Store
from seamline.store.models import Finding
from seamline.workspace import load_workspace

PROVIDERS = ["addresses", "civil_persons", "social_cases"]
RECORD = 160  # bytes of one civil registry record (see data/civil/persons.cpy)
STATUS_AT = 100  # 0-based offset of STATUS-CD in a record

SOCIAL_SEAM = """\
id: social-to-civil
title: "Social fund -> civil registry: benefit cases for death matching"
provider: social_cases
consumer: cris-mainframe
owner: {name: "Aigul Toktogulova", agency: civil-registry}
agreement:
  reference: "DSA-2026-030"
  purpose: death-matching
  legal_basis: "Regulation on civil registration, para. 9 (invented)"
  attributes: [national_id, family_name, given_name, birth_date, status]
  starts: 2026-01-01
contract:
  rules:
    - {attribute: birth_date, check: not_null, tolerance: 0.01}
    - {attribute: birth_date, check: range, min: 1900-01-01, max: today}
"""

SEAM_KINDS = ("contract.", "drift.", "agreement.")
OWNERS = {
    "civil-to-social": "Zhyldyz Asanova (social-fund)",
    "civil-to-tax": "Bakyt Sadykov (tax-service)",
    "addresses-to-social": "Emil Bakirov (address-registry)",
    "social-to-civil": "Aigul Toktogulova (civil-registry)",
}


@dataclass
class Replay:
    root: Path
    store: Store
    seen: set[int] = field(default_factory=set)
    seen_seam: list[int] = field(default_factory=list)

    def deliver(self, now: dt.datetime | None = None, *, connect: bool = True) -> list[Finding]:
        """Run the pipeline (one delivery), then check, drift and agreements; new findings."""
        ws = load_workspace(self.root, env={})
        if connect:
            run_pipeline(ws, self.store, datasets=PROVIDERS)
        run_id = self.store.start_run("check", workspace=ws.name)
        run_checks(ws, self.store, None, run_id, now=now)
        detect_drift(ws, self.store, run_id)
        check_agreements(ws, self.store, run_id, today=dt.date(2026, 3, 1))
        self.store.finish_run(run_id, "ok")
        with self.store.session() as s:
            rows = list(s.scalars(select(Finding).order_by(Finding.id)))
        # Only the seams' own findings: harmonize and inventory report theirs apart.
        new = [f for f in rows if f.id not in self.seen and f.kind.startswith(SEAM_KINDS)]
        self.seen.update(f.id for f in rows)
        self.seen_seam.extend(f.id for f in new)
        return new


def kinds(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.kind, f.subject) for f in findings}


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    root = tmp_path_factory.mktemp("replay") / "demo"
    generate_demo(root, people=400)
    # 400 people deliver ~400 civil records: scale the demo's volume floors with them.
    for seam in (root / "seams").glob("*.yaml"):
        text = seam.read_text(encoding="utf-8")
        text = text.replace("min_rows: 1800", "min_rows: 360").replace(
            "min_rows: 810", "min_rows: 160"
        )
        seam.write_text(text, encoding="utf-8")
    (root / "seams" / "social-to-civil.yaml").write_text(SOCIAL_SEAM, encoding="utf-8")
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        yield Replay(root, store)


def _civil(root: Path) -> Path:
    return root / "data" / "civil" / "persons.dat"


def test_replay_of_deliveries(replay: Replay) -> None:
    root = replay.root
    # Baseline: the first delivery's findings are the workspace's standing state.
    first = replay.deliver()
    baseline = kinds(first)
    assert ("agreement.outside_attributes", "civil-to-tax") in baseline  # marital_status
    assert not [f for f in first if f.kind.startswith(("drift.", "contract."))], [
        f.message for f in first
    ]
    # Enough unchanged history for the robust statistics (median/MAD need 5 deliveries).
    for _ in range(5):
        assert replay.deliver() == [], "an unchanged delivery raised a finding"

    # 1. A new status code: 7 civil records now carry STATUS-CD "X".
    data = bytearray(_civil(root).read_bytes())
    for i in range(3, 10):
        data[i * RECORD + STATUS_AT] = "X".encode("cp037")[0]
    _civil(root).write_bytes(bytes(data))
    got = replay.deliver()
    assert kinds(got) == {
        ("drift.new_code", "civil-to-social"),
        ("drift.new_code", "civil-to-tax"),
        ("contract.failed", "civil-to-social"),
        ("contract.failed", "civil-to-tax"),
    }, [f.message for f in got]
    for f in got:
        assert f.owner == OWNERS[f.subject]
        if f.kind == "drift.new_code":
            assert f.evidence["value"] == "X" and f.evidence["rows"] == 7
            assert (
                f.evidence["suggested_action"]
                == "seamline codes suggest person_status civil_persons.STATUS_CD"
            )
        else:
            assert f.evidence["rule"] == "in_codelist:status"

    # 2. A dropped column: the address register stops sending `house`.
    path = root / "data" / "address" / "addresses.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = [c for c in rows[0] if c != "house"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    got = replay.deliver()
    print(sorted((f.kind, f.subject, f.message) for f in got))
    assert ("drift.column_removed", "addresses-to-social") in kinds(got)
    assert {f.subject for f in got} == {"addresses-to-social"}
    removed = [f for f in got if f.kind == "drift.column_removed"]
    assert len(removed) == 1 and removed[0].evidence["column"] == "house"
    assert all(f.owner == OWNERS["addresses-to-social"] for f in got)

    # 3. Dates switched format: the social fund sends ISO birth dates, not DD.MM.YYYY.
    path = root / "data" / "social" / "beneficiaries.ndjson"
    # Text edits, not JSON: the demo keeps a few broken lines for the quarantine.
    text = path.read_text(encoding="utf-8")
    text, switched = re.subn(r'"birth":"(\d{2})\.(\d{2})\.(\d{4})"', r'"birth":"\3-\2-\1"', text)
    assert switched > 50
    path.write_text(text, encoding="utf-8")
    got = replay.deliver()
    print(sorted((f.kind, f.subject, f.message) for f in got))
    assert ("drift.format_shift", "social-to-civil") in kinds(got)
    assert {f.subject for f in got} == {"social-to-civil"}
    assert all(f.owner == OWNERS["social-to-civil"] for f in got)

    # 4. A volume collapse: the civil registry sends a third of its records.
    data = _civil(root).read_bytes()
    keep = len(data) // RECORD // 3
    _civil(root).write_bytes(data[: keep * RECORD])
    got = replay.deliver()
    print(sorted((f.kind, f.subject, f.message) for f in got))
    assert ("drift.volume", "civil-to-social") in kinds(got)
    assert ("drift.volume", "civil-to-tax") in kinds(got)
    assert {f.subject for f in got} == {"civil-to-social", "civil-to-tax"}

    # 5. A stale delivery: nothing new arrives for three days.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    got = replay.deliver(later, connect=False)
    print(sorted((f.kind, f.subject, f.message) for f in got))
    assert all(f.evidence.get("rule") == "freshness" for f in got)
    assert {f.subject for f in got} == {"civil-to-social", "civil-to-tax"}

    # Each problem was detected once: every seam finding was first raised by the
    # delivery that carried its change, and a later delivery added none for it.
    with replay.store.session() as s:
        every = [f for f in s.scalars(select(Finding)) if f.kind.startswith(SEAM_KINDS)]
    assert len(every) == len(replay.seen_seam)
    health = {h.seam: h for h in seam_health(load_workspace(root, env={}), replay.store)}
    assert health["civil-to-tax"].last_check == "fail"
    assert health["civil-to-tax"].owner == OWNERS["civil-to-tax"]
