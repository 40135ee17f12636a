"""Seams: contracts checked on every delivery, drift, agreements and seam health.

Library functions for ``seamline check``, ``seamline seams`` and the check stage of
``seamline run``:

- :func:`run_checks` evaluates each seam's contract and records the results;
- :func:`write_junit` writes a check report as JUnit XML;
- :func:`detect_drift` compares the latest delivery with the seam's history;
- :func:`check_agreements` flags expired or over-reaching agreements;
- :func:`seam_health` is the one-screen answer to "who is responsible".
"""

from seamline.seams.agreements import AgreementIssue, check_agreements
from seamline.seams.check import run_checks, select_seams
from seamline.seams.drift import Drift, DriftReport, detect_drift
from seamline.seams.health import SeamHealth, seam_health
from seamline.seams.junit import write_junit
from seamline.seams.report import CheckReport, CheckRow

__all__ = [
    "AgreementIssue",
    "CheckReport",
    "CheckRow",
    "Drift",
    "DriftReport",
    "SeamHealth",
    "check_agreements",
    "detect_drift",
    "run_checks",
    "seam_health",
    "select_seams",
    "write_junit",
]
