"""What every page handler needs: rendering, the signed-in user, roles, forms, CSRF.

``create_ui_app`` builds one :class:`Kit`; the page modules (``pages_*.py``) register
their routes with it, so app.py stays a list of the pages rather than one long module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from seamline.store import Store
from seamline.ui.accounts import User, current_user
from seamline.ui.auditlog import UiAudit
from seamline.ui.session import (
    SESSION_COOKIE,
    Session,
    SessionStore,
    Signer,
    read_session,
    same_token,
)
from seamline.workspace.loader import Workspace

MAX_FORM_BYTES = 64 * 1024
READ_ROLES = frozenset({"viewer", "steward", "owner", "auditor", "admin"})
WORKLIST_ROLES = frozenset({"steward", "owner", "auditor", "admin"})
"""Pages that show people's values: not for plain viewers."""
DECIDE_ROLES = frozenset({"steward", "admin"})
"""Who records reconciliation decisions and accepts crosswalk entries."""
AUDIT_ROLES = frozenset({"auditor", "admin"})
"""Who reads the access log and the data tracker."""
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def safe_next(target: str | None, base: str) -> str:
    """Where to go after signing in: only a path on this site ("//evil.example" or
    "https://..." would be an open redirect), else the overview."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return base + "/"


class NeedLogin(Exception):
    """Raised by :meth:`Kit.signed_in`; answered with a redirect to the sign-in page."""


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form body.

    Starlette's ``request.form()`` needs python-multipart, which seamline does not
    depend on; the UI's forms are small urlencoded ones, parsed here with a size cap.
    """
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415, "forms must be sent as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "the form is too large")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "the form could not be read") from None
    return {k: v[0] for k, v in parsed.items()}


@dataclass
class Kit:
    ws: Workspace
    store: Store
    templates: Jinja2Templates
    signer: Signer
    audit: UiAudit
    today: dt.date | None
    sessions: SessionStore

    @staticmethod
    def base(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        status: int = 200,
        session: Session | None = None,
        user: User | None = None,
    ) -> Response:
        ctx = {
            "base": self.base(request),
            "user": user,
            "csrf": session.csrf if session else "",
            "title": "",
            **context,
        }
        resp = self.templates.TemplateResponse(request, name, ctx, status_code=status)
        resp.headers.update(HEADERS)
        return resp

    def signed_in(self, request: Request) -> tuple[User, Session]:
        session = read_session(self.signer, request.cookies.get(SESSION_COOKIE), self.sessions)
        user = current_user(self.ws, session.user) if session else None
        if session is None or user is None:
            raise NeedLogin()
        return user, session

    @staticmethod
    def require(user: User, roles: frozenset[str]) -> None:
        if user.role not in roles:
            raise HTTPException(403, f"the {user.role} role may not do this")

    async def posted(
        self, request: Request, action: str, roles: frozenset[str]
    ) -> tuple[User, Session, dict[str, str]]:
        """The signed-in user, the session and the form of a state-changing POST, after checking the
        CSRF token and the role; refusals are audited under ``action``."""
        user, session = self.signed_in(request)
        form = await read_form(request)
        if not same_token(form.get("csrf"), session.csrf):
            await self.audit.record(user.name, action, None, "refused", {"reason": "csrf"})
            raise HTTPException(403, "missing or wrong CSRF token; reload the page")
        if user.role not in roles:
            await self.audit.record(user.name, action, None, "refused", {"reason": "role"})
            raise HTTPException(403, f"the {user.role} role may not do this")
        return user, session, form
