"""Reads of the stewards' tables: decisions and the discrepancies reconcile stored.

Reconcile writes these rows (``reconcile/worklist.py``, ``reconcile/decisions.py``); the
web UI reads them through these functions, not through the models.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from seamline.store.models import Decision, Discrepancy
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
