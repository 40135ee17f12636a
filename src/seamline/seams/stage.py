"""The check stage: contracts, drift and agreements of every seam.

``seamline run`` wires it after harmonize (:func:`seamline.pipeline.default_stages`);
``seamline check`` runs the same stage alone through the same pipeline, so both record
the same statuses under the same run ids and write the same reports. A failed contract
makes the stage ``checks_failed`` (exit code 1); drift and agreement problems are
findings and do not fail the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from seamline.seams.agreements import check_agreements
from seamline.seams.check import run_checks
from seamline.seams.drift import DriftReport, detect_drift
from seamline.seams.junit import write_junit
from seamline.seams.notify import notify_new_findings
from seamline.seams.report import CheckReport
from seamline.stagebase import RunContext, StageResult


class CheckStage:
    """Check ``seams`` (all when None); ``console`` receives each new-finding line."""

    name = "check"
    on_spark = "check ran its contract rules and freshness on {where}, and drift's count of unmapped codes; drift's comparisons with earlier deliveries (the store's schemas, profiles and row counts), agreements and notifications ran in this process"
    """Where the stage runs on a workspace with ``engine: spark``, said in the run."""
    runs_after_failure = True
    """Runs even when an earlier stage failed: the owner hears of a failed delivery."""

    def __init__(
        self,
        seams: Sequence[str] | None = None,
        *,
        console: Callable[[str], None] | None = None,
    ) -> None:
        self.seams = list(seams) if seams else None
        self.console = console
        self.report: CheckReport | None = None
        self.drift: DriftReport | None = None

    def run(self, ctx: RunContext) -> StageResult:
        result = StageResult(self.name)
        ws, store = ctx.workspace, ctx.store
        if not ws.seams and not ws.derived:
            return result
        # Seams whose provider an earlier stage failed on are still checked: the
        # stale-data row says so, and the owner should hear about it.
        run_id = store.start_run("check", workspace=ws.name, parent_id=ctx.run_id)
        try:
            report = run_checks(ws, store, self.seams, run_id)
            drift = detect_drift(ws, store, run_id, seams=self.seams)
            issues = check_agreements(ws, store, run_id, seams=self.seams)
            # Every stage's new findings under this run, drift and failed deliveries too.
            notified = notify_new_findings(ws, store, ctx.run_id, console=self.console)
        except BaseException as exc:
            store.finish_run(run_id, "failed", message=f"{type(exc).__name__}: {exc}")
            raise
        self.report, self.drift = report, drift
        counts = {
            **report.counts(),
            "drift": len(drift.drifts),
            "agreement_issues": len(issues),
            "notified": len(notified.sent),
            "dead_lettered": len(notified.dead_lettered),
        }
        status = "checks_failed" if report.failed else "ok"
        store.finish_run(run_id, status, counts=counts)
        result.counts = counts
        result.details = [*report.summary()]  # every rule: `seamline check`, the JUnit file
        result.messages = [
            f"{r.seam}: {r.rule} {r.status} (observed {r.observed_text}, expected {r.expected})"
            for r in report.rows
            if r.status != "pass"
        ]
        result.messages += [f"{seam}: not checked. {why}" for seam, why in report.skipped.items()]
        if self.console is None:  # under `seamline run` the new findings show as messages
            result.messages += notified.console
        if notified.dead_letter:
            result.reports["dead letter"] = str(notified.dead_letter)
        reports = ws.data_dir / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        (reports / "check-latest.json").write_text(report.to_json(), encoding="utf-8")
        result.reports["checks"] = str(write_junit(report, reports / "check-latest.junit.xml"))
        if report.failed:
            result.status = "checks_failed"
        return result
