"""Route of the entity page (records side by side, golden value provenance)."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from seamline.store.stewardship import recent_decisions
from seamline.ui.entity_view import PreparedCache, entity_page
from seamline.ui.kit import DECIDE_ROLES, WORKLIST_ROLES, Kit

ENTITY_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def register(app: FastAPI, kit: Kit) -> None:
    cache = PreparedCache()

    @app.get("/entities/{entity_id}")
    async def entity(request: Request, entity_id: str, done: int = 0) -> Response:
        user, session = kit.signed_in(request)
        kit.require(user, WORKLIST_ROLES)
        if not ENTITY_ID.match(entity_id):
            raise HTTPException(404)
        page = entity_page(kit.ws, kit.store, entity_id, cache)
        if page is None:
            raise HTTPException(404, f"no entity {entity_id} in the reference data")
        await kit.audit.record(user.name, "view", f"entity:{entity_id}")
        ctx = {
            "title": f"{page['entity']} {entity_id}",
            **page,
            "can_decide": user.role in DECIDE_ROLES,
            "decisions": [d for d in recent_decisions(kit.store, 200) if d["subject"] == entity_id],
            "done": done,
        }
        return kit.render(request, "entity.html", ctx, session=session, user=user)
