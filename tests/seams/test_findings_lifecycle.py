"""Findings open, resolve when a later run no longer sees them, reopen, and close by hand."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seamline.demo.generate import generate_demo
from seamline.errors import StoreError
from seamline.harmonize.run import harmonize_dataset
from seamline.harmonize.stage import _record as record_harmonize
from seamline.pipeline import run_pipeline
from seamline.seams import run_checks
from seamline.store import Store
from seamline.workspace import load_workspace


def test_resolve_only_what_was_looked_for_and_not_seen(store_url: str) -> None:
    with Store.open(store_url) as store:
        first = store.start_run("check", workspace="w")
        gone = store.upsert_finding(kind="contract.failed", subject="a", message="m", run_id=first)
        other_seam = store.upsert_finding(
            kind="contract.failed", subject="b", message="m", run_id=first
        )
        other_kind = store.upsert_finding(
            kind="drift.schema", subject="a", message="m", run_id=first
        )
        still = store.upsert_finding(
            kind="contract.failed", subject="a", message="m", run_id=first, key="2"
        )
        second = store.start_run("check", workspace="w")
        store.upsert_finding(
            kind="contract.failed", subject="a", message="m", run_id=second, key="2"
        )

        resolved = store.resolve_findings(second, ["contract"], {"a"}.__contains__)

        assert resolved == 1
        status = {f.id: f.status for f in store.findings(status="all")}
        assert status == {gone: "resolved", other_seam: "open", other_kind: "open", still: "open"}
        history = next(f for f in store.findings(status="resolved")).evidence["status_history"]
        assert [(h["status"], h["run_id"]) for h in history] == [("resolved", second)]

        # The same problem seen again opens the finding again and keeps its history.
        third = store.start_run("check", workspace="w")
        store.upsert_finding(kind="contract.failed", subject="a", message="m2", run_id=third)
        again = {f.id: f for f in store.findings()}[gone]
        assert again.status == "open" and again.message == "m2" and again.times_seen == 2
        assert [h["status"] for h in again.evidence["status_history"]] == ["resolved", "open"]


def test_close_by_hand_needs_who_and_why(store_url: str) -> None:
    with Store.open(store_url) as store:
        run = store.start_run("check", workspace="w")
        fid = store.upsert_finding(kind="drift.schema", subject="s", message="m", run_id=run)
        with pytest.raises(StoreError, match="who closes it and why"):
            store.close_finding(fid, by="Aida Sultanova", reason=" ")
        with pytest.raises(StoreError, match="no finding 999"):
            store.close_finding(999, by="Aida Sultanova", reason="known")
        closed = store.close_finding(fid, by="Aida Sultanova", reason="column renamed on purpose")
        assert closed.status == "closed"
        assert store.findings() == []
        (entry,) = store.findings(status="closed")[0].evidence["status_history"]
        assert entry["by"] == "Aida Sultanova" and entry["reason"] == "column renamed on purpose"


def _seamline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
        timeout=120,
    )


def test_a_fixed_contract_resolves_its_finding(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    generate_demo(root, people=300)
    seam_file = root / "seams" / "civil-to-tax.yaml"
    text = seam_file.read_text(encoding="utf-8")
    assert "min_rows: 270," in text  # nine tenths of the people
    seam_file.write_text(text.replace("min_rows: 270,", "min_rows: 100000,"), encoding="utf-8")
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        run_pipeline(ws, store)
        volume = [
            f
            for f in store.findings(kind="contract.failed")
            if f.subject == "civil-to-tax" and f.evidence["rule"].startswith("volume")
        ]
        assert len(volume) == 1
        fid = volume[0].id

        # Checking another seam must not resolve it.
        run_checks(ws, store, ["civil-to-social"], store.start_run("check", workspace=ws.name))
        assert fid in {f.id for f in store.findings()}

        # A harmonize flag that a later run of the same dataset no longer raises is
        # resolved; another dataset's flags stay open.
        flagged = {
            f.subject.split(".")[0] for f in store.findings() if f.kind.startswith("harmonize.")
        }
        assert flagged, "the demo's data raises harmonize flags"
        dataset = sorted(flagged)[0]
        other = next(d for d in ws.datasets if d not in flagged)
        store.upsert_finding(
            kind="harmonize.invalid_identifier", subject=f"{other}.pin", message="m", run_id=None
        )
        rerun = store.start_run("harmonize", workspace=ws.name, dataset=dataset)
        clean = harmonize_dataset(ws, dataset)
        record_harmonize(store, rerun, ws, dataclasses.replace(clean, flags=[]))
        still = {
            f.subject.split(".")[0] for f in store.findings() if f.kind.startswith("harmonize.")
        }
        assert dataset not in still and other in still

    seam_file.write_text(text.replace("min_rows: 270,", "min_rows: 10,"), encoding="utf-8")
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        run_checks(ws, store, ["civil-to-tax"], store.start_run("check", workspace=ws.name))
        assert fid in {f.id for f in store.findings(status="resolved")}

    listed = _seamline("findings", "list", str(root), "--status", "resolved")
    assert listed.returncode == 0, listed.stderr
    assert "civil-to-tax" in listed.stdout and "resolved" in listed.stdout
    bad = _seamline("findings", "list", str(root), "--status", "gone")
    assert bad.returncode == 2 and "not one of open, resolved, closed, all" in bad.stderr
    closed = _seamline("findings", "close", str(fid), "-w", str(root), "--reason", "volume agreed")
    assert closed.returncode == 0, closed.stderr
    assert f"Closed finding {fid}" in closed.stdout
    missing = _seamline("findings", "close", "99999", "-w", str(root), "--reason", "x")
    assert missing.returncode != 0 and "no finding 99999" in missing.stderr
    assert "Traceback" not in missing.stderr
