"""``seamline seams``: one line per seam — who answers when the data does not move."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from seamline.seams.agreements import agreement_status
from seamline.seams.approval import approval_states
from seamline.seams.report import owner_text
from seamline.store import Store
from seamline.store.history import deliveries, last_checks, open_findings
from seamline.workspace.loader import Workspace


@dataclass
class SeamHealth:
    seam: str
    title: str
    owner: str
    owner_email: str | None
    provider: str
    consumer: str
    last_delivery: dt.datetime | None
    last_delivery_rows: int | None
    last_check: str | None
    """``pass``, ``fail``, ``error``, or None when the seam was never checked."""
    failed_rules: list[str]
    open_findings: int
    agreement: str
    agreement_expires: dt.date | None
    agreement_status: str
    approval: str = "not required"
    """``not required``, ``approved (...)`` or ``NEEDS APPROVAL: <role> missing|stale``."""
    needs_approval: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def seam_health(ws: Workspace, store: Store, *, today: dt.date | None = None) -> list[SeamHealth]:
    """Every seam of the workspace with its owner, last delivery, last check and findings."""
    today = today or dt.date.today()
    checks = last_checks(store)
    findings = open_findings(store)
    approvals = approval_states(ws, store)
    out: list[SeamHealth] = []
    for sid in sorted(ws.seams):
        seam = ws.seams[sid]
        history = deliveries(store, seam.provider)
        last = history[-1] if history else None
        check = checks.get(sid)
        out.append(
            SeamHealth(
                seam=sid,
                title=seam.title,
                owner=owner_text(seam),
                owner_email=seam.owner.email,
                provider=seam.provider,
                consumer=seam.consumer,
                last_delivery=last.at if last else None,
                last_delivery_rows=last.rows if last else None,
                last_check=check.status if check else None,
                failed_rules=check.failed if check else [],
                open_findings=findings.get(sid, 0),
                agreement=seam.agreement.reference,
                agreement_expires=seam.agreement.expires,
                agreement_status=agreement_status(seam, today),
                approval=approvals[sid].text,
                needs_approval=not approvals[sid].approved,
            )
        )
    return out
