"""The data tracker: who read one person's data, when, under which agreement and why.

Data events name the entity ids they served in ``details.subjects``. Finding them
narrows with a text match on the JSON (entity ids are unique hex strings, so the match
is selective on SQLite and PostgreSQL alike), then checks membership exactly, so the
answer never mentions anyone else. In an encrypted store the details are sealed, so the
text match is left out and every served data event is opened and checked.

A bulk export (``person.export``) names no subjects, only their count and digest: it
held every person of the reference at the time. The tracker lists each served export
to every person, marked ``"bulk": true`` — a person who joined the reference later
sees exports that may predate them, which errs towards telling too much rather than
hiding an access.
"""

from __future__ import annotations

from typing import Any

from seamline.exchange.auditformat import _utc
from seamline.store import Store
from seamline.store.auditlog import served_events

DATA_ACTIONS = frozenset({"person.lookup", "person.search", "person.provenance"})
EXPORT_ACTION = "person.export"


def accesses(store: Store, entity_id: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """Served data requests that returned this person's data, newest first."""
    out: list[dict[str, Any]] = []
    for ev in served_events(store, entity_id, DATA_ACTIONS, EXPORT_ACTION):
        d = ev["details"] or {}
        bulk = ev["action"] == EXPORT_ACTION
        if not bulk and entity_id not in (d.get("subjects") or []):
            continue
        out.append(
            {
                "bulk": bulk,
                "at": _utc(ev["at"]).isoformat(timespec="seconds"),
                "client": ev["client"],
                "system": d.get("system"),
                # As the client claimed it (X-Seamline-User); never verified.
                "end_user": d.get("end_user_claimed", d.get("end_user")),
                "end_user_verified": False,
                "agreement": d.get("agreement"),
                "purpose": ev["purpose"],
                "action": ev["action"],
                "attributes": d.get("attributes") or [],
                "event_id": ev["id"],
            }
        )
        if len(out) >= limit:
            break
    return out
