"""The data tracker: who read one person's data, when, under which agreement and why.

Data events name the entity ids they served in ``details.subjects``. Finding them
narrows with a text match on the JSON (entity ids are unique hex strings, so the match
is selective on SQLite and PostgreSQL alike), then checks membership exactly, so the
answer never mentions anyone else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, select

from seamline.exchange.auditformat import _utc
from seamline.store import Store
from seamline.store.models import AuditEvent

DATA_ACTIONS = frozenset({"person.lookup", "person.search", "person.provenance"})


def accesses(store: Store, entity_id: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """Served data requests that returned this person's data, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.outcome == "ok")
        .where(AuditEvent.action.in_(sorted(DATA_ACTIONS)))
        .where(cast(AuditEvent.details, String).like(f"%{entity_id}%"))
        .order_by(AuditEvent.id.desc())
    )
    out: list[dict[str, Any]] = []
    with store.session() as s:
        for ev in s.scalars(query):
            d = ev.details or {}
            if entity_id not in (d.get("subjects") or []):
                continue
            out.append(
                {
                    "at": _utc(ev.at).isoformat(timespec="seconds"),
                    "client": ev.client,
                    "system": d.get("system"),
                    "end_user": d.get("end_user"),
                    "agreement": d.get("agreement"),
                    "purpose": ev.purpose,
                    "action": ev.action,
                    "attributes": d.get("attributes") or [],
                    "event_id": ev.id,
                }
            )
            if len(out) >= limit:
                break
    return out
