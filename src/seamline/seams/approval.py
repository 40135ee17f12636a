"""Approvals: which roles must approve a seam's agreement, and whether they have.

An approval is bound to the digest of the review packet it approved
(:func:`seamline.seams.review.packet_digest`). When the agreement, the contract or
the declared data behind them change, the digest changes and an earlier approval is
*stale*: the seam needs approving again. Workspaces without ``approvals:`` require
none, so their seams are served as before.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from seamline.errors import UsageError
from seamline.seams.review import packet_digest
from seamline.store import Store
from seamline.store.approvals import ApprovalInfo, approvals, record_approval
from seamline.workspace.loader import Workspace
from seamline.workspace.models import ID, ApprovalsSpec, SeamSpec

RoleStatus = Literal["approved", "stale", "missing"]


@dataclass(frozen=True)
class RoleApproval:
    role: str
    status: RoleStatus
    name: str | None = None
    at: datetime | None = None
    digest: str | None = None


@dataclass(frozen=True)
class ApprovalState:
    seam: str
    digest: str
    required: list[str]
    enforce: bool
    roles: list[RoleApproval] = field(default_factory=list)
    history: list[ApprovalInfo] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        """True when every required role approved the current packet (or none is required)."""
        return all(r.status == "approved" for r in self.roles)

    @property
    def blocked(self) -> bool:
        """True when the exchange must refuse to serve the seam."""
        return self.enforce and not self.approved

    @property
    def text(self) -> str:
        """One line for tables: ``not required``, ``approved``, or what is missing."""
        if not self.required:
            return "not required"
        if self.approved:
            return "approved (" + ", ".join(self.required) + ")"
        gaps = [f"{r.role} {r.status}" for r in self.roles if r.status != "approved"]
        return "NEEDS APPROVAL: " + ", ".join(gaps)


def approval_rules(ws: Workspace, seam: SeamSpec) -> ApprovalsSpec:
    """The seam's own ``approvals:``, else the workspace's (default: none required)."""
    return seam.approvals if seam.approvals is not None else ws.project.approvals


def _state(ws: Workspace, seam: SeamSpec, history: list[ApprovalInfo]) -> ApprovalState:
    rules = approval_rules(ws, seam)
    digest = packet_digest(ws, seam)
    roles = []
    for role in rules.required:
        mine = [a for a in history if a.role == role]
        current = [a for a in mine if a.digest == digest]
        if current:
            a = current[-1]
            roles.append(RoleApproval(role, "approved", a.name, a.approved_at, a.digest))
        elif mine:
            a = mine[-1]
            roles.append(RoleApproval(role, "stale", a.name, a.approved_at, a.digest))
        else:
            roles.append(RoleApproval(role, "missing"))
    return ApprovalState(seam.id, digest, list(rules.required), rules.enforce, roles, history)


def approval_state(ws: Workspace, store: Store, seam_id: str) -> ApprovalState:
    seam = _seam(ws, seam_id)
    return _state(ws, seam, approvals(store, seam.id))


def approval_states(ws: Workspace, store: Store) -> dict[str, ApprovalState]:
    """The approval state of every seam of the workspace."""
    history = approvals(store)
    return {
        sid: _state(ws, seam, [a for a in history if a.seam == sid])
        for sid, seam in sorted(ws.seams.items())
    }


def _seam(ws: Workspace, seam_id: str) -> SeamSpec:
    seam = ws.seams.get(seam_id)
    if seam is None:
        raise UsageError(
            f"no seam {seam_id!r} in the workspace",
            hint="Run `seamline seams` to list the seams.",
            allowed=", ".join(sorted(ws.seams)) or "none",
        )
    return seam


def approve(
    ws: Workspace,
    store: Store,
    seam_id: str,
    *,
    role: str,
    name: str,
    note: str = "",
    digest: str | None = None,
) -> tuple[ApprovalInfo, ApprovalState]:
    """Record ``name``'s approval in ``role`` of the seam's current review packet.

    ``digest`` (from the packet the approver read) must match the current packet;
    a packet generated before the agreement or contract changed is refused.
    """
    seam = _seam(ws, seam_id)
    rules = approval_rules(ws, seam)
    if rules.required and role not in rules.required:
        raise UsageError(
            f"role {role!r} is not one that approves seam {seam.id}",
            hint="Approve as one of the roles the workspace requires (approvals: in "
            "seamline.yaml or the seam's file).",
            allowed=", ".join(rules.required),
        )
    if not re.match(ID, role):
        raise UsageError(
            f"role {role!r} is not a role id",
            allowed="lower-case ids such as owner or security",
            hint="Give --as ROLE.",
        )
    if not name.strip():
        raise UsageError("the approver's name is empty", hint="Give --by NAME.")
    current = packet_digest(ws, seam)
    if digest is not None and digest.strip().lower() != current:
        raise UsageError(
            f"the packet you read (digest {digest[:12]}…) is not the current packet of seam "
            f"{seam.id} (digest {current[:12]}…); the agreement, contract or declared data "
            "changed since",
            hint=f"Run `seamline seams review {seam.id}` and read the new packet.",
        )
    info = record_approval(
        store, seam=seam.id, role=role, name=name.strip(), note=note, digest=current
    )
    return info, approval_state(ws, store, seam.id)


class ApprovalGate:
    """For the exchange: which seams may not be served, re-read at most every ``ttl`` s.

    The workspace is fixed for the server's life, so digests are computed once; the
    approvals are re-read from the store so a new approval takes effect without a restart.
    """

    def __init__(self, ws: Workspace, store: Store, ttl: float = 5.0) -> None:
        self.ws, self.store, self.ttl = ws, store, ttl
        self._needed = any(approval_rules(ws, s).required for s in ws.seams.values())
        self._blocked: dict[str, ApprovalState] = {}
        self._at = -float("inf")
        self._lock = threading.Lock()

    def refusal(self, seam_id: str) -> ApprovalState | None:
        """The seam's approval state when it must not be served, else None."""
        if not self._needed:
            return None
        with self._lock:
            now = time.monotonic()
            if now - self._at > self.ttl:
                states = approval_states(self.ws, self.store)
                self._blocked = {k: v for k, v in states.items() if v.blocked}
                self._at = now
            return self._blocked.get(seam_id)

    def unapproved(self, seam_id: str) -> str | None:
        """Why the seam may not be served (its missing or stale approvals), else None."""
        state = self.refusal(seam_id)
        if state is None:
            return None
        gaps = [f"{r.role} {r.status}" for r in state.roles if r.status != "approved"]
        return "approval " + ", ".join(gaps) + f". Run `seamline seams review {seam_id}`"
