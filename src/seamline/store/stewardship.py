"""Reads of the stewards' tables: decisions and the discrepancies reconcile stored.

Reconcile writes and reads these rows (``reconcile/worklist.py``,
``reconcile/decisions.py``) and the web UI reads them, through these functions, not
through the models.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, insert, select

from seamline.store.models import Decision, Discrepancy, utcnow
from seamline.store.store import Store


def decided_subjects(store: Store) -> set[tuple[str, str | None]]:
    with store.session() as s:
        rows = s.execute(
            select(Decision.subject, Decision.attribute).where(Decision.active.is_(True))
        )
        return {(subject, attribute) for subject, attribute in rows}


def recent_decisions(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    with store.session() as s:
        rows = s.scalars(select(Decision).order_by(Decision.id.desc()).limit(limit))
        return [
            {
                "id": d.id,
                "kind": d.kind,
                "subject": d.subject,
                "attribute": d.attribute,
                "value": d.value,
                "actor": d.actor,
                "reason": d.reason,
                "at": d.created_at,
                "active": d.active,
            }
            for d in rows
        ]


def conflict_values(store: Store) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(entity, attribute) -> the values each dataset holds, for the latest run.

    Read from the stored rows (not the worklist's joined text) so a value containing
    ``;`` or ``=`` stays one choice.
    """
    with store.session() as s:
        run_id = s.scalar(select(func.max(Discrepancy.run_id)))
        if run_id is None:
            return {}
        q = select(Discrepancy.entity_id, Discrepancy.attribute, Discrepancy.observed).where(
            Discrepancy.run_id == run_id, Discrepancy.classification == "conflict"
        )
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for entity, attribute, observed in s.execute(q):
            values = (observed or {}).get("values", [])
            out[(str(entity), str(attribute))] = [
                {"dataset": str(v.get("dataset")), "value": v.get("value")}
                for v in values
                if isinstance(v, dict)
            ]
        return out


def entity_discrepancies(store: Store, entity_id: str) -> dict[str, dict[str, Any]]:
    """Attribute -> classification and reason of one entity's discrepancies, latest run."""
    with store.session() as s:
        run_id = s.scalar(select(func.max(Discrepancy.run_id)))
        if run_id is None:
            return {}
        q = select(Discrepancy).where(
            Discrepancy.run_id == run_id, Discrepancy.entity_id == entity_id
        )
        return {
            d.attribute: {"classification": d.classification, "reason": d.reason}
            for d in s.scalars(q)
        }


def insert_discrepancies(store: Store, run_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Insert discrepancy rows (dicts of the model's columns, without run_id) in bulk.

    A Core executemany on the table, not the ORM's bulk path: the rows are plain
    dicts and nothing reads them back, and it takes 0.6x the time.
    """
    if not rows:
        return
    table: Any = Discrepancy.__table__
    with store.session() as s:
        for start in range(0, len(rows), 5000):
            chunk = [{**r, "run_id": run_id} for r in rows[start : start + 5000]]
            s.execute(insert(table), chunk)


def discrepancies(
    store: Store,
    run_id: int | None,
    classifications: Collection[str],
    *,
    attribute: str | None = None,
    entity_type: str | None = None,
) -> list[dict[str, Any]]:
    """The discrepancy rows of a run (the latest one when None) of these classifications,
    as dicts of ``classification``, ``entity_id``, ``attribute``, ``observed``,
    ``chosen`` and ``reason``; none when no run stored any."""
    with store.session() as s:
        if run_id is None:
            run_id = s.scalar(select(func.max(Discrepancy.run_id)))
            if run_id is None:
                return []
        q = select(Discrepancy).where(
            Discrepancy.run_id == run_id,
            Discrepancy.classification.in_(classifications),
        )
        if attribute:
            q = q.where(Discrepancy.attribute == attribute)
        if entity_type:
            q = q.where(Discrepancy.entity_type == entity_type)
        return [
            {
                "classification": d.classification,
                "entity_id": d.entity_id,
                "attribute": d.attribute,
                "observed": d.observed,
                "chosen": d.chosen,
                "reason": d.reason,
            }
            for d in s.scalars(q)
        ]


def add_decision(
    store: Store,
    *,
    kind: str,
    subject: str,
    attribute: str | None,
    value: str | None,
    actor: str,
    reason: str,
) -> int:
    """Record a decision, making inactive the active ones on the same subject and
    attribute of the same kind (or, for links, the opposite kind); returns its id."""
    with store.session() as s:
        # The subject is sealed when the store is encrypted: compared here, not in SQL.
        active = s.scalars(select(Decision).where(Decision.active.is_(True)))
        for old in (d for d in active if d.subject == subject):
            opposite = {old.kind, kind} == {"reject_link", "force_link"}
            if (old.kind == kind or opposite) and old.attribute == attribute:
                old.active = False
        d = Decision(
            kind=kind,
            subject=subject,
            attribute=attribute,
            value=value,
            actor=actor,
            reason=reason,
            created_at=utcnow(),
            active=True,
        )
        s.add(d)
        s.flush()
        return d.id


def deactivate_decision(store: Store, decision_id: int) -> bool:
    """Make a decision inactive; False when there is no such active decision."""
    with store.session() as s:
        d = s.get(Decision, decision_id)
        if d is None or not d.active:
            return False
        d.active = False
        return True


def active_decision_rows(store: Store) -> list[dict[str, Any]]:
    """Every active decision (``id``, ``kind``, ``subject``, ``attribute``, ``value``,
    ``actor``, ``reason``), oldest first."""
    with store.session() as s:
        rows = s.scalars(select(Decision).where(Decision.active.is_(True)).order_by(Decision.id))
        return [
            {
                "id": d.id,
                "kind": d.kind,
                "subject": d.subject,
                "attribute": d.attribute,
                "value": d.value,
                "actor": d.actor,
                "reason": d.reason,
            }
            for d in rows
        ]
