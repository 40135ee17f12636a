"""The one error shape of the exchange API: ``{"error": {code, message, request_id}}``."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from starlette.responses import Response


class ApiError(Exception):
    """An error answered to the caller: HTTP status, a stable code, a clear message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = dict(extra.get("headers") or {})


# Starlette's own errors (unknown route, wrong method) carry only a status; give each a code.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def envelope(
    status: int,
    code: str,
    message: str,
    request_id: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    body.update(extra)
    headers = {"X-Request-Id": request_id, **(headers or {})}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="seamline"'
    return Response(
        json.dumps({"error": body}, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str


class ErrorBody(BaseModel):
    """The error envelope, documented in the OpenAPI for every status the API answers."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": code.replace("_", " ")}
    for status, code in HTTP_CODES.items()
    if status not in (405, 500)
}
