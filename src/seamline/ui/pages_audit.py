"""Routes of the audit page: the access log, the chain check and the data tracker.

The tracker's identifier is sent by POST, not in the URL, so it stays out of the web
server's access log; the UI's own audit record names the entity id, not the identifier.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from seamline.exchange.chaincache import ChainCache
from seamline.ui.audit_view import (
    OUTCOMES,
    LogFilter,
    LogPage,
    PeopleCache,
    access_log,
    filter_choices,
    parse_day,
    track,
)
from seamline.ui.kit import AUDIT_ROLES, Kit
from seamline.ui.session import Session


def event_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 19 else None


def page_links(f: LogFilter, log: LogPage) -> dict[str, str | None]:
    """Query strings of the newest, newer and older pages, keeping the filter."""
    keep = {"client": f.client, "purpose": f.purpose, "outcome": f.outcome,
            "since": str(f.since or ""), "until": str(f.until or "")}  # fmt: skip
    keep = {k: v for k, v in keep.items() if v}

    def link(**at: int) -> str:
        return "?" + urlencode({**keep, **at}) if keep or at else "?"

    return {
        "newest": link() if log.newer else None,
        "newer": link(after=log.first_id) if log.newer and log.first_id else None,
        "older": link(before=log.last_id) if log.older and log.last_id else None,
    }


def register(app: FastAPI, kit: Kit) -> None:
    people = PeopleCache()
    chain = ChainCache()

    def page(
        request: Request,
        user: Any,
        session: Session,
        f: LogFilter,
        tracker: dict[str, Any] | None,
        ref: str = "",
        before: int | None = None,
        after: int | None = None,
        full: bool = False,
    ) -> Response:
        log = access_log(kit.store, f, before=before, after=after)
        ctx = {
            "title": "Audit",
            "f": f,
            "log": log,
            "pages": page_links(f, log),
            "choices": filter_choices(kit.store),
            "outcomes": OUTCOMES,
            "chain": chain.status(kit.store, full=full),
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
        before: str = "",
        after: str = "",
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
        # The chain check may walk the whole log: off the event loop, which also serves the API.
        return await run_in_threadpool(
            page, request, user, session, f, None, before=event_id(before), after=event_id(after)
        )

    @app.post("/audit/verify")
    async def verify(request: Request) -> Response:
        """Walk the whole chain again from its first event."""
        user, session, _ = await kit.posted(request, "verify", AUDIT_ROLES)
        await kit.audit.record(user.name, "verify", "audit")
        return await run_in_threadpool(page, request, user, session, LogFilter(), None, full=True)

    @app.post("/audit/tracker")
    async def tracker(request: Request) -> Response:
        user, session, form = await kit.posted(request, "tracker", AUDIT_ROLES)
        ref = form.get("ref", "")[:120]
        result = track(kit.ws, kit.store, ref, people)
        resource = f"entity:{result['entity_id']}" if "entity_id" in result else None
        outcome = "ok" if resource else "not_found"
        await kit.audit.record(user.name, "tracker", resource, outcome)
        return await run_in_threadpool(page, request, user, session, LogFilter(), result, ref)
