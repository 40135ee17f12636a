"""The web UI: server-rendered pages for stewards, owners and auditors.

``create_ui_app(ws, store)`` builds a FastAPI app on its own (own error pages, so the
exchange's JSON error envelope never answers a browser); ``mount_ui(app, ws, store)``
mounts it under ``/ui`` of the exchange app.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from seamline.catalog.search import search_catalog
from seamline.errors import SeamlineError
from seamline.exchange.audit import AuditWriter
from seamline.exchange.guard import AttemptsRefused, Guard, Limits
from seamline.reconcile.decisions import KINDS, record_decision
from seamline.store import Store
from seamline.store.stewardship import conflict_values, recent_decisions
from seamline.ui import pages_audit, pages_codes, pages_entity, pages_oidc, views
from seamline.ui.accounts import check_password, sessions_path, ui_dir
from seamline.ui.auditlog import UiAudit
from seamline.ui.kit import DECIDE_ROLES, WORKLIST_ROLES, Kit, NeedLogin, read_form, safe_next
from seamline.ui.oidc import OidcClient, UiOidcConfig
from seamline.ui.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    SessionStore,
    Signer,
    load_secret,
    new_session,
    same_token,
)
from seamline.workspace.loader import Workspace

HERE = Path(__file__).parent
WORKLIST_SHOWN = 200
"""Worklist items shown on one page; the count above them is always the whole list."""


def create_ui_app(
    ws: Workspace,
    store: Store,
    *,
    today: dt.date | None = None,
    audit_writer: Any = None,
    oidc: UiOidcConfig | OidcClient | None = None,
    guard: Guard | None = None,
) -> FastAPI:
    """The UI app. ``audit_writer`` is a callable returning the exchange's AuditWriter
    (or None), so events join the hash-chained audit log when it runs; ``oidc`` adds
    sign-in through an OpenID Connect provider beside the local passwords; ``guard``
    checks passwords under attempt limits off the event loop (the exchange's, when
    mounted in it, so both count the same addresses)."""
    guard = guard or Guard(Limits(ws.data_dir))
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "svg"]),
    )
    kit = Kit(
        ws=ws,
        store=store,
        templates=Jinja2Templates(env=env),
        signer=Signer(load_secret(ui_dir(ws) / "secret.key")),
        audit=UiAudit(ui_dir(ws) / "audit.jsonl", audit_writer),
        today=today,
        sessions=SessionStore(sessions_path(ws)),
    )
    signer, audit, render, signed_in, base = (
        kit.signer,
        kit.audit,
        kit.render,
        kit.signed_in,
        kit.base,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    client = OidcClient(oidc) if isinstance(oidc, UiOidcConfig) else oidc
    sso_label = client.config.label if client else None
    if client is not None:
        pages_oidc.register(app, kit, client)

    @app.exception_handler(NeedLogin)
    async def _login_first(request: Request, exc: NeedLogin) -> Response:
        if request.method != "GET":
            return render(request, "error.html", {"status": 401, "message": "sign in first"}, 401)
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"{base(request)}/login?next={target}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message in ("Not Found", "error"):
            message = "there is no such page"
        ctx = {"status": exc.status_code, "message": message, "title": "Error"}
        return render(request, "error.html", ctx, exc.status_code)

    # --- sign in / out ---------------------------------------------------------------

    @app.get("/login")
    async def login_page(request: Request, next_: str = Query("", alias="next")) -> Response:
        # A signed random token in a cookie and in the form (double submit): the login
        # form has no session to bind its CSRF token to yet.
        token = signer.dumps("login", {"n": secrets.token_urlsafe(16)}, 3600)
        ctx = {"next": next_[:500], "login_csrf": token, "title": "Sign in", "error": None,
               "sso": sso_label}  # fmt: skip
        resp = render(request, "login.html", ctx)
        resp.set_cookie(
            LOGIN_COOKIE, token, max_age=3600, path=base(request) or "/",
            httponly=True, samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
        return resp

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await read_form(request)
        cookie = request.cookies.get(LOGIN_COOKIE)
        if not same_token(form.get("csrf"), cookie) or signer.loads("login", cookie) is None:
            await audit.record("-", "login", None, "refused", {"reason": "csrf"})
            raise HTTPException(403, "the form expired or was not sent from this site; reload it")
        name = form.get("username", "").strip()
        address = request.client.host if request.client is not None else "-"
        ctx = {"next": form.get("next", ""), "login_csrf": cookie, "title": "Sign in",
               "sso": sso_label}  # fmt: skip
        try:
            user = await check_password(ws, name, form.get("password", ""), guard, address)
        except AttemptsRefused as exc:
            await audit.record(name[:80] or "-", "login", None, "refused",
                               {"reason": "attempt limit", "limit": exc.reason})  # fmt: skip
            wait = f"Too many failed sign-ins. Try again in {exc.retry_after} seconds."
            resp = render(request, "login.html", {**ctx, "error": wait}, 429)
            resp.headers["Retry-After"] = str(exc.retry_after)
            return resp
        if user is None:
            await audit.record(name[:80] or "-", "login", None, "refused", {"reason": "password"})
            error = "The user name or the password is wrong."
            return render(request, "login.html", {**ctx, "error": error}, 401)
        await audit.record(user.name, "login", None, "ok", {"role": user.role})
        _, token = new_session(signer, user.name, kit.sessions)
        resp = RedirectResponse(safe_next(form.get("next"), base(request)), status_code=303)
        resp.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_SECONDS, path=base(request) or "/",
            httponly=True, samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
        resp.delete_cookie(LOGIN_COOKIE, path=base(request) or "/")
        return resp

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        user, session = signed_in(request)
        form = await read_form(request)
        if not same_token(form.get("csrf"), session.csrf):
            raise HTTPException(403, "missing or wrong CSRF token")
        kit.sessions.end(session.sid)  # the cookie stops working now, wherever it is
        await audit.record(user.name, "logout")
        resp = RedirectResponse(f"{base(request)}/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path=base(request) or "/")
        return resp

    # --- pages -----------------------------------------------------------------------

    @app.get("/")
    async def home(request: Request) -> Response:
        user, session = signed_in(request)
        await audit.record(user.name, "view", "home")
        ctx = {"title": "Overview", **views.home(ws, store, today)}
        return render(request, "home.html", ctx, session=session, user=user)

    @app.get("/catalogue")
    async def catalogue(request: Request, q: str = "") -> Response:
        user, session = signed_in(request)
        q = q[:200]
        try:
            hits = search_catalog(ws, q, limit=50)
        except SeamlineError as exc:
            raise HTTPException(400, exc.message) from None
        await audit.record(user.name, "view", "catalogue", details={"query": q})
        ctx = {
            "title": "Catalogue",
            "q": q,
            "hits": hits,
            "matrix": None if q else views.attribute_matrix(ws),
        }
        return render(request, "catalogue.html", ctx, session=session, user=user)

    @app.get("/datasets/{ident}")
    async def dataset(request: Request, ident: str) -> Response:
        user, session = signed_in(request)
        if ident not in ws.datasets:
            raise HTTPException(404)
        await audit.record(user.name, "view", f"dataset:{ident}")
        ctx = {"title": f"Dataset {ident}", **views.dataset_page(ws, store, ident)}
        return render(request, "dataset.html", ctx, session=session, user=user)

    @app.get("/seams")
    async def seams(request: Request) -> Response:
        user, session = signed_in(request)
        await audit.record(user.name, "view", "seams")
        ctx = {"title": "Seams", "board": views.seams_board(ws, store, today)}
        return render(request, "seams.html", ctx, session=session, user=user)

    @app.get("/seams/{ident}")
    async def seam(request: Request, ident: str) -> Response:
        user, session = signed_in(request)
        if ident not in ws.seams:
            raise HTTPException(404)
        await audit.record(user.name, "view", f"seam:{ident}")
        ctx = {"title": f"Seam {ident}", **views.seam_page(ws, store, ident, today)}
        return render(request, "seam.html", ctx, session=session, user=user)

    @app.get("/worklist")
    async def worklist(request: Request, attribute: str = "", done: int = 0) -> Response:
        user, session = signed_in(request)
        kit.require(user, WORKLIST_ROLES)
        await audit.record(user.name, "view", "worklist", details={"attribute": attribute})
        rows, total = views.worklist(store, attribute[:200], limit=WORKLIST_SHOWN)
        ctx = {
            "title": "Reconciliation worklist",
            "rows": rows,
            "total": total,
            "attribute": attribute,
            "decisions": recent_decisions(store),
            "can_decide": user.role in DECIDE_ROLES,
            "done": done,
            "error": None,
        }
        return render(request, "worklist.html", ctx, session=session, user=user)

    @app.post("/worklist/decide")
    async def decide(request: Request) -> Response:
        user, _, form = await kit.posted(request, "decide", DECIDE_ROLES)
        kind = form.get("kind", "")
        if kind not in KINDS:
            raise HTTPException(400, f"unknown decision kind; use one of {', '.join(KINDS)}")
        reason = form.get("reason", "").strip()[:2000]
        if kind == "accept_value":
            entity, attribute = form.get("entity_id", ""), form.get("attribute", "")
            value = form.get("value")
            choices = conflict_values(store).get((entity, attribute))
            if choices is None:
                raise HTTPException(404, "no such conflict in the latest run")
            if value not in {str(c["value"]) for c in choices if c["value"] is not None}:
                raise HTTPException(400, "choose one of the values the datasets hold")
            subject: str = entity
        else:
            attribute, value = "", None
            subject = f"{form.get('left', '')}|{form.get('right', '')}"
        try:
            decision_id = record_decision(
                store, kind, subject, actor=user.name, reason=reason,
                attribute=attribute or None, value=value,
            )  # fmt: skip
        except SeamlineError as exc:
            raise HTTPException(400, exc.message) from None
        await audit.record(
            user.name, "decide", f"decision:{decision_id}", "ok",
            {"kind": kind, "subject": subject, "attribute": attribute or None},
        )  # fmt: skip
        if form.get("return") == "entity" and kind == "accept_value":
            target = f"{base(request)}/entities/{quote(subject, safe='')}?done={decision_id}"
            return RedirectResponse(target, status_code=303)
        return RedirectResponse(f"{base(request)}/worklist?done={decision_id}", status_code=303)

    pages_codes.register(app, kit)
    pages_entity.register(app, kit)
    pages_audit.register(app, kit)
    return app


def mount_ui(
    app: FastAPI,
    ws: Workspace,
    store: Store,
    *,
    path: str = "/ui",
    oidc: UiOidcConfig | OidcClient | None = None,
) -> FastAPI:
    """Mount the UI under ``path`` of the exchange app; UI events join its audit chain."""

    def writer() -> AuditWriter | None:
        ex = getattr(app.state, "exchange", None)
        return getattr(ex, "writer", None)

    today = getattr(getattr(getattr(app.state, "exchange", None), "config", None), "today", None)
    guard = getattr(getattr(app.state, "exchange", None), "guard", None)
    ui = create_ui_app(ws, store, today=today, audit_writer=writer, oidc=oidc, guard=guard)
    app.mount(path, ui, name="ui")
    return ui
