"""The check stage of ``seamline run``: contracts, drift and agreements of every seam.

Wire it after harmonize in :func:`seamline.pipeline.default_stages`. A failed contract
makes the stage ``checks_failed`` (exit code 1); drift and agreement problems are
findings and do not fail the run.
"""

from __future__ import annotations

from seamline.pipeline import RunContext, StageResult
from seamline.seams.agreements import check_agreements
from seamline.seams.check import run_checks
from seamline.seams.drift import detect_drift
from seamline.seams.junit import write_junit
from seamline.seams.notify import notify_new_findings


class CheckStage:
    name = "check"

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        if not ws.seams:
            return result
        # Seams whose provider an earlier stage failed on are still checked: the
        # stale-data row says so, and the owner should hear about it.
        run_id = store.start_run("check", workspace=ws.name, parent_id=ctx.run_id)
        report = run_checks(ws, store, None, run_id)
        drift = detect_drift(ws, store, run_id)
        issues = check_agreements(ws, store, run_id)
        notified = notify_new_findings(ws, store, ctx.run_id)  # every stage's new findings
        counts = {
            **report.counts(),
            "drift": len(drift.drifts),
            "agreement_issues": len(issues),
            "notified": len(notified.sent),
            "dead_lettered": len(notified.dead_lettered),
        }
        store.finish_run(run_id, "failed" if report.failed else "ok", counts=counts)
        result.counts = counts
        result.details = [*report.summary()]  # every rule: `seamline check`, the JUnit file
        result.messages = [
            f"{r.seam}: {r.rule} {r.status} (observed {r.observed_text}, expected {r.expected})"
            for r in report.rows
            if r.status != "pass"
        ]
        if notified.dead_letter:
            result.reports["dead letter"] = str(notified.dead_letter)
        reports = ws.data_dir / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        (reports / "check-latest.json").write_text(report.to_json(), encoding="utf-8")
        result.reports["checks"] = str(write_junit(report, reports / "check-latest.junit.xml"))
        if report.failed:
            result.status = "checks_failed"
        return result
