"""Routes of the audit page: the access log, the chain check and the data tracker.

The tracker's identifier is sent by POST, not in the URL, so it stays out of the web
server's access log; the UI's own audit record names the entity id, not the identifier.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from seamline.ui.audit_view import (
    OUTCOMES,
    LogFilter,
    PeopleCache,
    access_log,
    chain_status,
    filter_choices,
    parse_day,
    track,
)
from seamline.ui.kit import AUDIT_ROLES, Kit
from seamline.ui.session import Session


def register(app: FastAPI, kit: Kit) -> None:
    people = PeopleCache()

    def page(
        request: Request,
        user: Any,
        session: Session,
        f: LogFilter,
        tracker: dict[str, Any] | None,
        ref: str = "",
    ) -> Response:
        events, total = access_log(kit.store, f)
        ctx = {
            "title": "Audit",
            "f": f,
            "events": events,
            "total": total,
            "choices": filter_choices(kit.store),
            "outcomes": OUTCOMES,
            "chain": chain_status(kit.store),
            "tracker": tracker,
            "ref": ref,
        }
        return kit.render(request, "audit.html", ctx, session=session, user=user)

    @app.get("/audit")
    async def audit(
        request: Request,
        client: str = "",
        purpose: str = "",
        outcome: str = "",
        since: str = "",
        until: str = "",
    ) -> Response:
        user, session = kit.signed_in(request)
        kit.require(user, AUDIT_ROLES)
        f = LogFilter(
            client[:200],
            purpose[:200],
            outcome if outcome in OUTCOMES else "",
            parse_day(since),
            parse_day(until),
        )
        await kit.audit.record(
            user.name, "view", "audit",
            details={"client": f.client, "purpose": f.purpose, "outcome": f.outcome,
                     "since": str(f.since or ""), "until": str(f.until or "")},
        )  # fmt: skip
        return page(request, user, session, f, None)

    @app.post("/audit/tracker")
    async def tracker(request: Request) -> Response:
        user, session, form = await kit.posted(request, "tracker", AUDIT_ROLES)
        ref = form.get("ref", "")[:120]
        result = track(kit.ws, kit.store, ref, people)
        resource = f"entity:{result['entity_id']}" if "entity_id" in result else None
        outcome = "ok" if resource else "not_found"
        await kit.audit.record(user.name, "tracker", resource, outcome)
        return page(request, user, session, LogFilter(), result, ref)
