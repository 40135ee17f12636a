"""Approvals of seams' review packets: recorded once, never edited, read per seam."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from seamline.store.models import Approval, utcnow
from seamline.store.store import Store


@dataclass(frozen=True)
class ApprovalInfo:
    id: int
    seam: str
    role: str
    name: str
    note: str
    digest: str
    approved_at: datetime


def _info(row: Approval) -> ApprovalInfo:
    return ApprovalInfo(row.id, row.seam, row.role, row.name, row.note, row.digest, row.approved_at)


def record_approval(
    store: Store, *, seam: str, role: str, name: str, note: str, digest: str
) -> ApprovalInfo:
    """Append one approval; earlier ones stay as the history."""
    row = Approval(seam=seam, role=role, name=name, note=note, digest=digest, approved_at=utcnow())
    with store.session() as s:
        s.add(row)
        s.flush()
        return _info(row)


def approvals(store: Store, seam: str | None = None) -> list[ApprovalInfo]:
    """Every approval (of one seam, when given), oldest first."""
    query = select(Approval).order_by(Approval.id)
    if seam is not None:
        query = query.where(Approval.seam == seam)
    with store.session() as s:
        return [_info(r) for r in s.scalars(query)]
