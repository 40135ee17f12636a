"""`seamline demo --scenario billing`: workbooks in six layouts, the bank's files, truth,
and every stage of `seamline run` on it, scored against the truth."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from seamline.demo import generate_demo
from seamline.demo.billing.agencies import LAYOUTS
from seamline.demo.billing.bank import NS
from seamline.demo.billing.evaluate import evaluate
from seamline.pipeline import RunSummary, run_pipeline
from seamline.store import Store
from seamline.workspace import load_workspace

LINES = 2000  # 3-5 lines per agency and month: every layout and kind of mess
SEED = 11
log = logging.getLogger(__name__)


@dataclass
class Ran:
    root: Path
    summary: RunSummary


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    root = tmp_path_factory.mktemp("billing") / "ws"
    log.info("billing scenario seed %d, about %d lines", SEED, LINES)
    generate_demo(root, people=LINES, seed=SEED, scenario="billing")
    ws = load_workspace(root, env={})
    with Store.open(f"sqlite:///{root.parent}/store.db") as store:
        summary = run_pipeline(ws, store)
    return Ran(root, summary)


def _lines(root: Path) -> list[dict[str, str]]:
    with (root / "_truth" / "lines.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_stage_runs(ran: Ran) -> None:
    stages = {s.stage: s.status for s in ran.summary.stages}
    assert set(stages) >= {"connect", "inventory", "harmonize", "reconcile", "derive", "check"}
    assert all(status == "ok" for status in stages.values()), [
        (s.stage, s.status, s.messages) for s in ran.summary.stages
    ]
    # No reconcile spec and no Person dataset: nothing to link is no failure.
    (reconciled,) = [s for s in ran.summary.stages if s.stage == "reconcile"]
    assert any("nothing to link" in m for m in reconciled.messages), reconciled.messages


def test_every_billing_line_is_accounted_and_categories_are_right_or_flagged(ran: Ran) -> None:
    ws = load_workspace(ran.root, env={})
    scores = evaluate(ws)
    log.info("%s", scores.summary())
    assert scores.lines == len(_lines(ran.root)) > 1000
    assert scores.missing == 0 and scores.extra_landed == 0, scores.summary()
    assert scores.landed + scores.quarantined == scores.lines
    assert scores.quarantined > 0  # the Excel errors in amount cells
    assert scores.accounted_share == 1.0
    assert scores.category["wrong"] == 0, scores.summary()
    assert scores.category["flagged"] > 0  # the unknown codes are flagged, not guessed
    assert scores.category_share >= 0.995


def test_the_derive_stage_gives_invoices_to_the_cent_and_links_payments(ran: Ran) -> None:
    ws = load_workspace(ran.root, env={})
    derived = ws.data_dir / "derived"
    assert sorted(p.stem for p in derived.glob("*.parquet")) == sorted(
        p.stem for p in (ran.root / "derived").glob("*.yaml")
    )
    scores = evaluate(ws)
    log.info("%s", scores.summary())
    assert scores.invoices == {"equal": 38 * 12, "different": 0, "missing": 0, "extra": 0}
    assert scores.links is not None
    assert scores.links["f1"] >= 0.99, scores.links


def test_each_layout_is_present_with_its_header_and_totals(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=500, seed=3, scenario="billing")
    from seamline.demo.billing.workbooks import LAYOUTS as SHAPES

    seen: set[str] = set()
    spec = (root / "datasets" / "agency-billing.yaml").read_text(encoding="utf-8")
    for n in range(1, 39):
        layout = next(
            line.split("layout: ")[1].strip()
            for line in spec.splitlines()
            if line.strip().startswith(f"- name: a{n:02d} ")
        )
        seen.add(layout)
        shape = SHAPES[layout]
        wb = openpyxl.load_workbook(root / "data" / "billing" / f"a{n:02d}.xlsx")
        ws = wb[shape.sheet]
        header = [c.value for c in ws[shape.header_row]]
        assert sorted(h for h in header if h) == sorted(shape.columns), (n, header)
        if shape.titles:
            assert ws.merged_cells.ranges, n
        firsts = [str(r[0].value or "") for r in ws.iter_rows()]
        totals = sum(1 for v in firsts if v.casefold() in {"total", "grand total"})
        assert totals == {"none": 0, "end": 1, "month": 12}[shape.totals], (n, layout)
    assert seen == set(LAYOUTS) and len(seen) >= 6


def test_the_spec_validates_with_its_derived_files_beside_it(tmp_path: Path) -> None:
    from seamline.workspace import check_workspace
    from seamline.workspace.sourcefiles import source_file_issues

    root = tmp_path / "ws"
    generate_demo(root, people=300, seed=2, scenario="billing")
    ws, issues = check_workspace(root)
    assert ws is not None and not issues, issues
    assert not source_file_issues(ws)
    assert len([d for d in ws.datasets if d.startswith("billing_a")]) == 38
    assert {ws.datasets[d].owner for d in ws.datasets if d.startswith("billing_a")} == {
        f"agency-{n:02d}" for n in range(1, 39)
    }
    derived = sorted(p.stem for p in (root / "derived").glob("*.yaml"))
    assert derived == sorted(["billing_lines", "invoices", "payment_links", "invoice_aging",
                              "category_totals"])  # fmt: skip
    # Each agency's own billing lines and its own invoices, each under its own agreement.
    assert len(ws.seams) == 76
    invoices = {s.consumer: s.agreement.rows for s in ws.seams.values() if s.provider == "invoices"}
    assert len(invoices) == 38
    rows = invoices["portal-a07"]
    assert rows is not None and (rows.column, rows.equals) == ("agency_id", "agency-07")


def test_the_evaluation_says_what_was_not_computed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=300, seed=2, scenario="billing")
    scores = evaluate(load_workspace(root, env={}))
    assert scores.invoices is None and scores.links is None
    assert "invoices: not computed" in scores.summary()


def test_camt053_parses_and_matches_the_csv(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=500, seed=3, scenario="billing")
    doc = etree.parse(str(root / "data" / "bank" / "statement.camt053.xml"))
    ns = {"c": NS}
    assert doc.getroot().tag == f"{{{NS}}}Document"
    entries = doc.findall("c:BkToCstmrStmt/c:Stmt/c:Ntry", ns)
    with (root / "data" / "bank" / "payments.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert len(entries) == len(rows) > 100
    for entry, row in zip(entries, rows, strict=True):
        assert entry.findtext("c:AcctSvcrRef", namespaces=ns) == row["bank_ref"]
        assert entry.findtext("c:Amt", namespaces=ns) == row["amount"]
        tx = entry.find("c:NtryDtls/c:TxDtls", ns)
        assert tx is not None
        assert (tx.findtext("c:RmtInf/c:Ustrd", namespaces=ns) or "") == row["reference"]
    refs = [r["reference"] for r in rows]
    assert any(not r for r in refs) and any(r.startswith("INV-") for r in refs)
    with (root / "_truth" / "payment_links.csv").open(encoding="utf-8") as fh:
        kinds = {r["kind"].split("-")[0] for r in csv.DictReader(fh)}
    assert {"partial", "combined", "unrelated", "exact", "mistyped", "missing"} <= kinds


def test_the_same_seed_gives_the_same_files(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", people=300, seed=5, scenario="billing")
    b = generate_demo(tmp_path / "b", people=300, seed=5, scenario="billing")
    assert a.records == b.records
    names = [f"data/billing/a{n:02d}.xlsx" for n in range(1, 39)]
    names += ["data/bank/statement.camt053.xml", "data/bank/payments.csv", "_truth/lines.csv"]
    names += ["datasets/agency-billing.yaml", "derived/payment_links.yaml"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    c = generate_demo(tmp_path / "c", people=300, seed=6, scenario="billing")
    assert (tmp_path / "c" / names[0]).read_bytes() != (tmp_path / "a" / names[0]).read_bytes()
    assert c.records != a.records


def test_the_evaluation_prints_its_scores(ran: Ran, capsys: pytest.CaptureFixture[str]) -> None:
    from seamline.demo.billing.evaluate import main

    assert main([str(ran.root)]) == 0
    out = capsys.readouterr().out
    assert "0 missing (100.00% accounted)" in out
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err
