"""Routes of the OIDC sign-in: ``/login/oidc`` starts it, ``/login/oidc/callback`` ends it.

See :mod:`seamline.ui.oidc`; its HTTP calls to the provider run off the event loop. ``state``, ``nonce`` and the PKCE verifier travel in a
signed HttpOnly cookie scoped to the callback, valid for ten minutes and used once.
"""

from __future__ import annotations

from fastapi import FastAPI, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from seamline.ui.accounts import current_user
from seamline.ui.kit import Kit, safe_next
from seamline.ui.oidc import OidcClient, OidcError, Pending
from seamline.ui.session import SESSION_COOKIE, SESSION_SECONDS, new_session, same_token

OIDC_COOKIE = "seamline_ui_oidc"
PENDING_SECONDS = 600


def register(app: FastAPI, kit: Kit, client: OidcClient) -> None:
    signer, audit, base = kit.signer, kit.audit, kit.base
    claim = client.config.username_claim

    def callback_url(request: Request) -> str:
        return str(request.url_for("oidc_callback"))

    @app.get("/login/oidc")
    async def oidc_start(request: Request, next_: str = Query("", alias="next")) -> Response:
        try:
            url, pending = await run_in_threadpool(client.start, callback_url(request), next_[:500])
        except OidcError as exc:
            raise HTTPException(502, f"single sign-on is not available: {exc.message}") from None
        resp = RedirectResponse(url, status_code=303)
        resp.set_cookie(
            OIDC_COOKIE, signer.dumps("oidc", pending.to_dict(), PENDING_SECONDS),
            max_age=PENDING_SECONDS, path=(base(request) or "") + "/login/oidc",
            httponly=True, samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
        return resp

    @app.get("/login/oidc/callback")
    async def oidc_callback(
        request: Request, code: str = "", state: str = "", error: str = ""
    ) -> Response:
        data = signer.loads("oidc", request.cookies.get(OIDC_COOKIE))
        pending = Pending.from_dict(data) if data else None
        if pending is None or not same_token(state, pending.state):
            await audit.record("-", "login", None, "refused", {"method": "oidc", "reason": "state"})
            raise HTTPException(403, "the sign-in expired or was not started here; start again")
        if error or not code:
            await audit.record("-", "login", None, "refused",
                               {"method": "oidc", "reason": f"provider: {error[:60]}"})  # fmt: skip
            raise HTTPException(403, "the identity provider did not sign you in")
        try:
            claims = await run_in_threadpool(
                client.finish, code[:2000], pending, callback_url(request)
            )
        except OidcError as exc:
            await audit.record(
                "-", "login", None, "refused", {"method": "oidc", "reason": exc.message}
            )
            raise HTTPException(403, f"single sign-on failed: {exc.message}") from None
        name = claims.get(claim)
        user = current_user(kit.ws, name) if isinstance(name, str) else None
        if user is None:
            who = name[:80] if isinstance(name, str) else "-"
            await audit.record(
                who, "login", None, "refused", {"method": "oidc", "reason": "account"}
            )
            raise HTTPException(
                403, f"{who} has no account in this UI; an admin adds it with seamline ui add-user"
            )
        await audit.record(user.name, "login", None, "ok", {"role": user.role, "method": "oidc"})
        _, token = new_session(signer, user.name, kit.sessions)
        resp = RedirectResponse(safe_next(pending.next, base(request)), status_code=303)
        resp.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_SECONDS, path=base(request) or "/",
            httponly=True, samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
        resp.delete_cookie(OIDC_COOKIE, path=(base(request) or "") + "/login/oidc")
        return resp
