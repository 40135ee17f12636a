"""Steward decisions: accept a value, reject a link, force a link.

Kept in the store's ``decisions`` table and re-applied on every later run while
active. A link decision's subject is the two records' source keys (``uid``,
``dataset:key``) joined by ``|`` in sorted order, so it survives re-runs and
re-numbered entity ids; a value decision's subject is the (stable) entity id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from seamline.errors import UsageError
from seamline.store import Store
from seamline.store.stewardship import active_decision_rows, add_decision, deactivate_decision

DecisionKind = Literal["accept_value", "reject_link", "force_link"]
KINDS: tuple[DecisionKind, ...] = ("accept_value", "reject_link", "force_link")


def link_subject(left: str, right: str) -> str:
    """The subject of a link decision: the two source keys, sorted, joined by ``|``."""
    a, b = sorted((left, right))
    return f"{a}|{b}"


@dataclass(frozen=True)
class AcceptedValue:
    decision_id: int
    value: str | None
    actor: str
    reason: str


@dataclass
class Decisions:
    """The active decisions, indexed the way reconcile applies them."""

    values: dict[tuple[str, str], AcceptedValue] = field(default_factory=dict)
    """(entity id, attribute) -> the accepted value."""
    rejected: set[tuple[str, str]] = field(default_factory=set)
    forced: set[tuple[str, str]] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.values) + len(self.rejected) + len(self.forced)


def record_decision(
    store: Store,
    kind: str,
    subject: str,
    *,
    actor: str,
    reason: str,
    attribute: str | None = None,
    value: str | None = None,
) -> int:
    """Record a decision; a newer one on the same subject (and attribute) replaces it."""
    if kind not in KINDS:
        raise UsageError(f"unknown decision kind {kind!r}", allowed=", ".join(KINDS))
    if not actor.strip() or not reason.strip():
        raise UsageError("a decision needs who made it (actor) and why (reason)")
    if kind == "accept_value" and not attribute:
        raise UsageError("accept_value needs the attribute whose value is accepted")
    if kind != "accept_value":
        parts = subject.split("|")
        if len(parts) != 2 or not all(parts):
            raise UsageError(
                f"a link decision's subject is two record keys joined by '|', not {subject!r}",
                hint="For example: civil_persons:193685048|tax_payers:0002187656",
            )
        subject = link_subject(*parts)
        attribute = value = None
    return add_decision(
        store,
        kind=kind,
        subject=subject,
        attribute=attribute,
        value=value,
        actor=actor,
        reason=reason,
    )


def withdraw_decision(store: Store, decision_id: int) -> bool:
    """Make a decision inactive; False when there is no such active decision."""
    return deactivate_decision(store, decision_id)


def active_decisions(store: Store) -> Decisions:
    """Every active decision, oldest first (a later one on the same subject wins)."""
    out = Decisions()
    for d in active_decision_rows(store):
        if d["kind"] == "accept_value" and d["attribute"]:
            out.values[(d["subject"], d["attribute"])] = AcceptedValue(
                d["id"], d["value"], d["actor"], d["reason"]
            )
        elif d["kind"] in ("reject_link", "force_link"):
            a, _, b = d["subject"].partition("|")
            pair = (a, b)
            if d["kind"] == "reject_link":
                out.forced.discard(pair)
                out.rejected.add(pair)
            else:
                out.rejected.discard(pair)
                out.forced.add(pair)
    return out
