"""Deliver new findings and failed checks: one JSON POST per new finding, and the console.

A finding is *new* when it was first seen in the run being notified (or in one of its
stage runs): the store keeps one row per problem (its fingerprint), so a problem seen
again in a later run is the same finding and is not sent again. A failed contract rule
is recorded by the check as a ``contract.failed`` finding, so failed checks travel the
same way. A webhook that does not take a finding after every retry does not lose it:
the finding goes to the dead-letter file (one JSON line each) for replay.

The payload names the finding, its seam or dataset, the accountable owner and the
evidence (counts, shares, record positions, code values), never record contents.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from seamline.store import Store, status_history
from seamline.store.history import FindingRow, findings_touched
from seamline.workspace.loader import Workspace

Post = Callable[[str, dict[str, Any], float], int]
"""Send one JSON body to a URL within a timeout; returns the HTTP status code."""

SCHEMA = "seamline.finding/1"
PRIVATE_KEYS = frozenset({"sample", "samples", "raw", "record", "records", "rows_sample"})
"""Evidence keys that could carry record contents; dropped from every payload."""
MAX_TEXT = 2000


@dataclass
class NotifyResult:
    """What happened to the new findings of one run."""

    run_id: int
    findings: list[int] = field(default_factory=list)
    """Ids of the findings first seen in the run, in order."""
    sent: list[int] = field(default_factory=list)
    dead_lettered: list[int] = field(default_factory=list)
    attempts: int = 0
    """HTTP requests made in total, retries included."""
    console: list[str] = field(default_factory=list)
    dead_letter: Path | None = None
    """The dead-letter file, when anything was written to it."""

    @property
    def ok(self) -> bool:
        return not self.dead_lettered


def httpx_post(url: str, body: dict[str, Any], timeout: float) -> int:
    """The default :data:`Post`: httpx, JSON body, no redirects followed."""
    response = httpx.post(url, json=body, timeout=timeout, follow_redirects=False)
    return response.status_code


def new_findings(store: Store, run_id: int) -> list[FindingRow]:
    """Findings first seen in ``run_id`` or a stage run under it, or opened again there.

    A finding that was resolved or closed and is seen again is news like a new one.
    """
    runs, rows = findings_touched(store, run_id)
    return [f for f in rows if f.first_run_id in runs or reopened_in(f, runs)]


def _last_change(finding: FindingRow) -> dict[str, Any]:
    history = status_history(finding.evidence)
    return history[-1] if history else {}


def _reopened(finding: FindingRow) -> bool:
    """Whether the finding's latest status change opened it again."""
    return _last_change(finding).get("status") == "open"


def reopened_in(finding: FindingRow, runs: set[int]) -> bool:
    """Whether the finding was opened again in one of ``runs``."""
    return _reopened(finding) and _last_change(finding).get("run_id") in runs


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if str(k).lower() not in PRIVATE_KEYS}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value[:50]]  # positions and code values, not whole columns
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "..."
    return value


def payload(ws: Workspace, finding: FindingRow, run_id: int) -> dict[str, Any]:
    """The JSON body sent for one finding."""
    seam = ws.seams.get(finding.subject)
    return {
        "schema": SCHEMA,
        "workspace": ws.name,
        "run_id": run_id,
        "finding_id": finding.id,
        "fingerprint": finding.fingerprint,
        "kind": finding.kind,
        "severity": finding.severity,
        "subject": finding.subject,
        "seam": seam.id if seam else None,
        "provider": seam.provider if seam else None,
        "consumer": seam.consumer if seam else None,
        "owner": finding.owner,
        "message": _clean(finding.message),
        "evidence": _clean(dict(finding.evidence or {})),
        "first_seen": _iso(finding.first_seen),
        "reopened": _reopened(finding),
    }


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def console_line(finding: FindingRow) -> str:
    owner = f" -> {finding.owner}" if finding.owner else ""
    what = "reopened finding" if _reopened(finding) else "new finding"
    return f"{what} [{finding.severity}] {finding.kind} {finding.subject}: {finding.message}{owner}"


def resolve(ws: Workspace, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else ws.root / p


def notify_new_findings(
    ws: Workspace,
    store: Store,
    run_id: int,
    *,
    post: Post | None = None,
    console: Callable[[str], None] | None = None,
    backoff_seconds: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyResult:
    """Send each finding first seen in ``run_id`` to the webhook and the console.

    ``post`` replaces the HTTP client (default: httpx); ``console`` receives one line
    per new finding when ``notifications.console`` is on. A failed delivery is retried
    ``notifications.retries`` times, waiting ``backoff_seconds`` * 2**attempt between
    tries; a finding still not delivered is appended to the dead-letter file.
    """
    spec = ws.project.notifications
    result = NotifyResult(run_id)
    found = new_findings(store, run_id)
    result.findings = [f.id for f in found]
    for f in found:
        if spec.console:
            line = console_line(f)
            result.console.append(line)
            if console is not None:
                console(line)
        if not spec.webhook:
            continue
        body = payload(ws, f, run_id)
        attempts, error = _deliver(
            spec.webhook,
            body,
            post or httpx_post,
            retries=spec.retries,
            timeout=spec.timeout_seconds,
            backoff=backoff_seconds,
            sleep=sleep,
        )
        result.attempts += attempts
        if error is None:
            result.sent.append(f.id)
            continue
        result.dead_letter = resolve(ws, spec.dead_letter)
        _dead_letter(result.dead_letter, body, error, attempts, spec.webhook)
        result.dead_lettered.append(f.id)
    return result


def _retryable(status: int) -> bool:
    # A 4xx other than timeout/rate-limit means the receiver rejects this body: sending
    # it again cannot help, so it goes to the dead letter at once.
    return status >= 500 or status in (408, 425, 429)


def _deliver(
    url: str,
    body: dict[str, Any],
    post: Post,
    *,
    retries: int,
    timeout: float,
    backoff: float,
    sleep: Callable[[float], None],
) -> tuple[int, str | None]:
    """POST until a 2xx answer: (attempts made, the last error or None)."""
    error: str | None = None
    for attempt in range(retries + 1):
        if attempt:
            sleep(min(backoff * 2 ** (attempt - 1), 30.0))
        try:
            status = post(url, body, timeout)
        except httpx.TimeoutException:
            error = f"no answer within {timeout:g} s"
            continue
        except (httpx.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            continue
        if 200 <= status < 300:
            return attempt + 1, None
        error = f"HTTP {status}"
        if not _retryable(status):
            return attempt + 1, error
    return retries + 1, error


def _dead_letter(path: Path, body: dict[str, Any], error: str, attempts: int, url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(),
        # Only the host: webhook paths often embed the receiver's secret token.
        "webhook_host": urlsplit(url).hostname,
        "attempts": attempts,
        "error": error,
        "finding": body,
    }
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
