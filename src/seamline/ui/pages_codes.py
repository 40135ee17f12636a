"""Routes of the code-list page: browse, preview an accepted suggestion as a diff,
confirm it (the code list's YAML file is rewritten, comments kept)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from seamline.codes import accept
from seamline.errors import SeamlineError
from seamline.ui import codes_view
from seamline.ui.kit import DECIDE_ROLES, Kit

FIELDS = ("codelist", "dataset", "column", "local", "code")


def _mapping(form: dict[str, str]) -> tuple[str, str, str, str, str]:
    values = tuple(form.get(k, "").strip()[:300] for k in FIELDS)
    if not all(values[:3]) or not values[3] or not values[4]:
        raise HTTPException(400, "choose a code for the value")
    return values  # type: ignore[return-value]


def register(app: FastAPI, kit: Kit) -> None:
    cache = codes_view.CodesCache()

    @app.get("/codes")
    async def codes(request: Request, done: str = "") -> Response:
        user, session = kit.signed_in(request)
        await kit.audit.record(user.name, "view", "codes")
        ctx = {
            "title": "Code lists",
            "lists": cache.page(kit.ws),
            "can_accept": user.role in DECIDE_ROLES,
            "done": done[:300],
        }
        return kit.render(request, "codes.html", ctx, session=session, user=user)

    @app.post("/codes/preview")
    async def preview(request: Request) -> Response:
        user, session, form = await kit.posted(request, "codes.preview", DECIDE_ROLES)
        codelist, dataset, column, local, code = _mapping(form)
        try:
            plan = codes_view.preview(kit.ws, codelist, dataset, column, local, code)
        except SeamlineError as exc:
            raise HTTPException(400, exc.message) from None
        await kit.audit.record(
            user.name, "codes.preview", f"codelist:{codelist}", "ok",
            {"dataset": dataset, "column": column, "local": local, "code": code},
        )  # fmt: skip
        ctx = {
            "title": "Review the change",
            "plan": plan,
            "codelist": codelist,
            "dataset": dataset,
            "column": column,
            "local": local,
            "code": code,
        }
        return kit.render(request, "codes_preview.html", ctx, session=session, user=user)

    @app.post("/codes/accept")
    async def confirm(request: Request) -> Response:
        user, _, form = await kit.posted(request, "codes.accept", DECIDE_ROLES)
        codelist, dataset, column, local, code = _mapping(form)
        try:
            plan = codes_view.preview(kit.ws, codelist, dataset, column, local, code)
            if (plan["before"], plan["after"]) != (form.get("before"), form.get("after")):
                await kit.audit.record(
                    user.name, "codes.accept", f"codelist:{codelist}", "refused",
                    {"reason": "changed since the diff was shown"},
                )  # fmt: skip
                raise HTTPException(
                    409, "the code list changed since the diff was shown; review it again"
                )
            accept(kit.ws.root, codelist, dataset, column, {local: code})
        except SeamlineError as exc:
            raise HTTPException(400, exc.message) from None
        await kit.audit.record(
            user.name, "codes.accept", f"codelist:{codelist}", "ok",
            {"dataset": dataset, "column": column, "local": local, "code": code},
        )  # fmt: skip
        done = quote(f"{dataset}.{column}: {local} → {code}")
        return RedirectResponse(f"{kit.base(request)}/codes?done={done}", status_code=303)
