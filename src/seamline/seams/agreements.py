"""Agreement enforcement: expiry, and a contract that reaches beyond its agreement.

A seam delivers what its data-sharing agreement lists, nothing more. The provider's
dataset may map more attributes (it serves other seams too); what is flagged is the
*seam* using an attribute the agreement does not list — a contract rule or a
cross-field expression that reads it, so the consumer's checks (and so its data)
reach a field it has no legal basis for — and an agreement promising attributes the
provider does not deliver at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seamline.seams.check import select_seams
from seamline.seams.report import owner_text
from seamline.seams.structure import required_attributes
from seamline.store import Store
from seamline.workspace.loader import Workspace
from seamline.workspace.models import SeamSpec

EXPIRY_WARNING_DAYS = 30


@dataclass
class AgreementIssue:
    seam: str
    owner: str
    what: str
    """``expired``, ``expiring``, ``not_started``, ``outside_attributes``, ``undelivered_attributes``."""
    message: str
    severity: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return f"agreement.{self.what}"


def agreement_status(seam: SeamSpec, today: dt.date) -> str:
    """``valid``, ``expiring`` (within 30 days), ``expired`` or ``not_started``."""
    a = seam.agreement
    if a.starts > today:
        return "not_started"
    if a.expires is None:
        return "valid"
    if a.expires < today:
        return "expired"
    if (a.expires - today).days <= EXPIRY_WARNING_DAYS:
        return "expiring"
    return "valid"


def seam_agreement_issues(ws: Workspace, seam: SeamSpec, today: dt.date) -> list[AgreementIssue]:
    a = seam.agreement
    owner = owner_text(seam)
    out: list[AgreementIssue] = []
    ev: dict[str, Any] = {"reference": a.reference, "starts": a.starts, "expires": a.expires}
    status = agreement_status(seam, today)
    if status == "expired" and a.expires is not None:
        out.append(
            AgreementIssue(
                seam.id, owner, "expired",
                f"seam {seam.id}: agreement {a.reference} expired on {a.expires} "
                f"({(today - a.expires).days} days ago); data still flows without a valid agreement",
                "error", {**ev, "key": "expired"},
            )
        )  # fmt: skip
    elif status == "expiring" and a.expires is not None:
        out.append(
            AgreementIssue(
                seam.id, owner, "expiring",
                f"seam {seam.id}: agreement {a.reference} expires on {a.expires} "
                f"(in {(a.expires - today).days} days); renew it with {seam.owner.name}",
                "warning", {**ev, "key": f"expiring:{a.expires}"},
            )
        )  # fmt: skip
    elif status == "not_started":
        out.append(
            AgreementIssue(
                seam.id, owner, "not_started",
                f"seam {seam.id}: agreement {a.reference} only starts on {a.starts}",
                "warning", {**ev, "key": f"not_started:{a.starts}"},
            )
        )  # fmt: skip
    agreed = set(a.attributes)
    outside = [n for n in required_attributes(seam) if n not in agreed]
    if outside:
        rules = [f"{r.check}:{r.attribute}" for r in seam.contract.rules if r.attribute in outside]
        out.append(
            AgreementIssue(
                seam.id, owner, "outside_attributes",
                f"seam {seam.id}: the contract reads {', '.join(outside)}, which agreement "
                f"{a.reference} does not list",
                "error",
                {**ev, "key": ",".join(outside), "attributes": outside, "rules": rules,
                 "suggested_action": f"add {', '.join(outside)} to the agreement or drop the rules"},
            )
        )  # fmt: skip
    spec = ws.datasets.get(seam.provider)
    if spec is not None:
        mapped = {f.attribute for f in spec.mappings() if f.attribute}
        missing = [n for n in a.attributes if n not in mapped]
        if missing:
            out.append(
                AgreementIssue(
                    seam.id, owner, "undelivered_attributes",
                    f"seam {seam.id}: agreement {a.reference} lists {', '.join(missing)}, which "
                    f"dataset {spec.id} does not map",
                    "warning", {**ev, "key": ",".join(missing), "attributes": missing},
                )
            )  # fmt: skip
    return out


def check_agreements(
    ws: Workspace,
    store: Store,
    run_id: int | None,
    *,
    seams: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> list[AgreementIssue]:
    """Every agreement problem of the selected seams, each recorded as a finding."""
    today = today or dt.date.today()
    chosen = select_seams(ws, seams)
    issues = [i for seam in chosen for i in seam_agreement_issues(ws, seam, today)]
    for i in issues:
        store.upsert_finding(
            kind=i.kind,
            subject=i.seam,
            message=i.message,
            severity=i.severity,
            evidence=i.evidence,
            owner=i.owner,
            run_id=run_id,
            key=str(i.evidence.get("key", "")),
        )
    if run_id is not None:
        checked = {seam.id for seam in chosen}
        store.resolve_findings(run_id, ["agreement"], checked.__contains__)
    return issues
