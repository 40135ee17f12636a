"""Store reads for a seam's review packet: clients, access log, checks, findings.

Only counts, names of systems and clients, rule names and finding messages leave this
module: never an audit event's actor, end user or resource (they can name a person).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seamline.store import FindingInfo, Store
from seamline.store.auditlog import access_columns
from seamline.store.checks import latest_check_results
from seamline.store.clients import clients_of_system
from seamline.store.history import aware


@dataclass
class AccessSummary:
    """What the audit log holds about a seam: counts only."""

    served: int = 0
    refused: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_client: dict[str, int] = field(default_factory=dict)
    by_purpose: dict[str, int] = field(default_factory=dict)
    by_action: dict[str, int] = field(default_factory=dict)
    end_users: int = 0
    """How many distinct end users were named (the names themselves are not shown)."""
    first: datetime | None = None
    last: datetime | None = None
    refused_without_grant: int = 0
    """Refused requests of the consumer system before any seam granted them (no agreement,
    wrong purpose, expired or not approved): the log cannot tell which seam they sought."""


def access_summary(store: Store, seam: str, consumer: str) -> AccessSummary:
    """Count the audit events of requests served under ``seam`` or refused to its consumer.

    The events are filtered in Python because the seam sits in the JSON details, which
    SQLite and PostgreSQL query differently; only four columns are read.
    """
    out = AccessSummary()
    outcomes: Counter[str] = Counter()
    clients: Counter[str] = Counter()
    purposes: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    users: set[str] = set()
    for at, client, action, purpose, outcome, details in access_columns(store):
        d = details if isinstance(details, dict) else {}
        seams = str(d.get("seam") or "").split(",")
        if seam not in seams:
            if d.get("system") == consumer and outcome != "ok" and not d.get("seam"):
                out.refused_without_grant += 1
            continue
        outcomes[str(outcome)] += 1
        clients[str(client or "-")] += 1
        purposes[str(purpose or "-")] += 1
        actions[str(action)] += 1
        # The exchange records the end user as the client claimed it (never verified).
        user = d.get("end_user_claimed") or d.get("end_user")
        if user:
            users.add(str(user))
        moment = aware(at)
        out.first = out.first or moment
        out.last = moment
    out.served = outcomes.get("ok", 0)
    out.refused = sum(outcomes.values()) - out.served
    out.by_outcome, out.by_client = dict(outcomes), dict(clients)
    out.by_purpose, out.by_action = dict(purposes), dict(actions)
    out.end_users = len(users)
    return out


def consumer_clients(store: Store, system: str) -> list[dict[str, Any]]:
    """The exchange clients of a consumer system: name, how they sign in, active or not."""
    return [
        {
            "name": c.name,
            "auth": "API key" + (" or TLS certificate" if c.cert_fingerprint else ""),
            "status": "revoked" if c.revoked_at is not None else "active",
            "since": aware(c.created_at).date().isoformat(),
        }
        for c in clients_of_system(store, system)
    ]


def latest_results(store: Store, seam: str) -> tuple[int | None, list[dict[str, Any]]]:
    """The run id and rule results of the seam's latest check (aggregates, no samples)."""
    run_id, rows = latest_check_results(store, seam)
    return run_id, [
        {
            "rule": r["rule"],
            "attribute": r["attribute"],
            "observed": _observed(r["observed"], r["details"]),
            "expected": r["expected"] or "",
            "status": r["status"],
        }
        for r in rows
    ]


def _observed(value: float | None, details: Any) -> str:
    if value is None:
        return "-"
    unit = details.get("unit") if isinstance(details, dict) else None
    if unit == "share":
        return f"{value:.2%}"
    if unit == "hours":
        return f"{value:.1f} h"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def seam_findings(store: Store, seam: str, provider: str) -> list[FindingInfo]:
    """Every finding on the seam or on a field of its provider dataset, open or not."""
    prefix = f"{provider}."
    return [
        f
        for f in store.findings(status="all")
        if f.subject == seam or f.subject.startswith(prefix) or f.subject == provider
    ]
