"""The exchange API (``seamline serve``): a FastAPI app over the golden Person records.

Handlers return plain JSON responses built from the in-memory index rather than
pydantic models: at thousands of lookups a second the validation layer would cost
more than the lookup itself.
"""

from __future__ import annotations

import gc
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seamline.exchange.agreements import Grant
from seamline.exchange.data import Person
from seamline.exchange.dataset_routes import add_dataset_routes
from seamline.exchange.entity_routes import add_entity_routes, find, stream_export
from seamline.exchange.errors import ERROR_RESPONSES, HTTP_CODES, ApiError, envelope
from seamline.exchange.export import FORMATS
from seamline.exchange.openapi import (
    PAGE_REF,
    PERSON_REF,
    add_agreement_schemas,
    add_security,
    agreement_document,
    person_agreements,
)
from seamline.exchange.provenance import nameable_datasets, provenance_view
from seamline.exchange.service import Exchange, ExchangeConfig, request_id
from seamline.exchange.tracker import accesses
from seamline.store import Store
from seamline.workspace.loader import Workspace

log = logging.getLogger("seamline.exchange")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Observe:
    """Pure ASGI middleware: metrics and one JSON log line per request, without PII.

    It logs the route template (``/v1/persons/{ref}``), never the path, which would
    carry the identifier asked for.
    """

    def __init__(self, app: ASGIApp, exchange: Exchange) -> None:
        self.app, self.exchange = app, exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            state = scope.get("state") or {}
            client = str(state.get("client_name") or "-")
            outcome = "ok" if status < 400 else "refused" if status < 500 else "error"
            m = self.exchange.metrics
            m.requests.labels(client, route, outcome).inc()
            m.latency.labels(route).observe(seconds)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    json.dumps(
                        {
                            "event": "request",
                            "request_id": state.get("request_id"),
                            "client": client,
                            "method": scope.get("method"),
                            "route": route,
                            "status": status,
                            "ms": round(seconds * 1000, 2),
                        }
                    )
                )


def _person_body(person: Person, grant: Grant) -> dict[str, Any]:
    return {
        "id": person.entity_id,
        "attributes": {a: person.values.get(a) for a in grant.attributes},
    }


def create_app(ws: Workspace, store: Store, config: ExchangeConfig | None = None) -> FastAPI:
    """The API app; start it with uvicorn (``seamline serve``) or FastAPI's TestClient."""
    ex = Exchange(ws, store, config or ExchangeConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ex.start()
        # The index, the app and the libraries are long-lived: moved out of the cyclic
        # collector, a full collection no longer scans them. Without this a gen-2 pass
        # stalled every request in flight for ~100 ms every second or two under load.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            ex.stop()

    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        title="seamline exchange",
        version="1",
        description="Golden Person records served under data-sharing agreements; "
        "every request is audited.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.exchange = ex
    agreements = person_agreements(ws)
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = add_agreement_schemas(plain_openapi(), agreements, ex.index)
            app.openapi_schema = add_security(
                doc, ex.index.schemes, mutual_tls=ex.config.mutual_tls
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return await ex.refuse(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404:
            message = "no such endpoint"
        headers = dict(exc.headers or {})  # 405 carries Allow: the methods the route takes
        return await ex.refuse(request, ApiError(exc.status_code, code, message, headers=headers))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return await ex.refuse(request, ApiError(422, "invalid_request", "; ".join(parts)))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.error(json.dumps({"event": "crash", "error": type(exc).__name__}))
        return envelope(500, "internal_error", "internal error", request_id(request))

    app.add_middleware(_Observe, exchange=ex)

    def lookup(ref: str, grant: Grant | None = None) -> Person:
        """The person ``ref`` names; under ``grant`` only by an identifier it covers."""
        return find(ex.index, ref, grant, "person")  # one look at the reference file

    def answers(ref: str, what: str) -> dict[int | str, dict[str, Any]]:
        return {
            200: {"description": what, "content": {"application/json": {"schema": {"$ref": ref}}}}
        }

    @app.get(
        "/v1/persons/{ref}",
        summary="Look a person up by an identifier",
        responses=answers(PERSON_REF, "the person, with the caller's agreement's attributes"),
    )
    async def get_person(request: Request, ref: str) -> Response:
        ctx = await ex.begin(request, "person.lookup")
        grant = ex.authorize(ctx)
        request.state.audit_details = {"resource": f"person:{ref[:80]}"}
        person = lookup(ref, grant)
        return await ex.answer(
            request,
            ctx,
            _person_body(person, grant),
            {
                "resource": f"person:{person.entity_id}",
                "identifier": ref[:80],
                "subjects": [person.entity_id],
                "attributes": list(grant.attributes),
            },
        )

    @app.get(
        "/v1/persons",
        summary="Find persons by family name and/or birth date",
        responses=answers(PAGE_REF, "one page of the persons found"),
    )
    async def search_persons(
        request: Request,
        family_name: str | None = Query(default=None, max_length=100),
        birth_date: str | None = Query(default=None, max_length=10),
        page: int = Query(default=1, ge=1, le=100_000),
        size: int = Query(default=20, ge=1, le=100),
    ) -> Response:
        ctx = await ex.begin(request, "person.search")
        grant = ex.authorize(ctx)
        query = {k: v for k, v in (("family_name", family_name), ("birth_date", birth_date)) if v}
        request.state.audit_details = {"resource": "persons", "query": query}
        if not query:
            raise ApiError(400, "query_required", "give family_name and/or birth_date")
        outside = [k for k in query if k not in grant.attributes]
        if outside:
            raise ApiError(
                403,
                "attribute_not_agreed",
                f"the agreement does not cover searching by {', '.join(outside)}",
            )
        if birth_date is not None and not DATE.match(birth_date):
            raise ApiError(400, "invalid_date", "birth_date must be YYYY-MM-DD")
        size = min(size, ex.config.max_page_size)
        found = ex.index.search(family_name, birth_date)
        chunk = found[(page - 1) * size : page * size]
        body = {
            "items": [_person_body(p, grant) for p in chunk],
            "page": page,
            "size": size,
            "total": len(found),
            "next_page": page + 1 if page * size < len(found) else None,
        }
        return await ex.answer(
            request,
            ctx,
            body,
            {
                "resource": "persons",
                "query": query,
                "subjects": [p.entity_id for p in chunk],
                "attributes": list(grant.attributes),
            },
        )

    @app.get(
        "/v1/persons:export",
        summary="Every person, the agreement's attributes only (bulk export, streamed)",
        response_class=Response,
        responses={
            200: {
                "description": "NDJSON (one person a line) or a Parquet file",
                "content": {
                    FORMATS["ndjson"][0]: {"schema": {"type": "string"}},
                    FORMATS["parquet"][0]: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    async def export_persons(
        request: Request,
        format: Literal["ndjson", "parquet"] = Query(default="ndjson"),
    ) -> Response:
        ctx = await ex.begin(request, "person.export")
        grant = ex.authorize(ctx)
        request.state.audit_details = {"resource": "persons:export", "format": format}
        return await stream_export(ex, request, ctx, grant, ex.index, format, "persons", "persons")

    @app.get("/v1/persons/{ref}/provenance/{attribute}", summary="Where one attribute came from")
    async def get_provenance(request: Request, ref: str, attribute: str) -> Response:
        ctx = await ex.begin(request, "person.provenance")
        grant = ex.authorize(ctx)
        request.state.audit_details = {
            "resource": f"person:{ref[:80]}",
            "attribute": attribute[:80],
        }
        if attribute not in ex.index.attributes:
            raise ApiError(404, "unknown_attribute", "Person has no such attribute")
        if attribute not in grant.attributes:
            raise ApiError(403, "attribute_not_agreed", f"the agreement does not cover {attribute}")
        person = lookup(ref, grant)
        source = provenance_view(
            person.provenance.get(attribute, {}),
            nameable_datasets(ws, grant),
            ex.provenance_secret,
        )
        body = {
            "id": person.entity_id,
            "attribute": attribute,
            "value": person.values.get(attribute),
            **source,
        }
        return await ex.answer(
            request,
            ctx,
            body,
            {
                "resource": f"person:{person.entity_id}",
                "identifier": ref[:80],
                "subjects": [person.entity_id],
                "attributes": [attribute],
            },
        )

    @app.get("/v1/tracker/{ref}", summary="Who accessed this person's data (citizen portal)")
    async def tracker(request: Request, ref: str) -> Response:
        ctx = await ex.begin(request, "tracker.read")
        ctx.purpose = ctx.purpose or "data-tracker"
        request.state.audit_details = {"resource": f"tracker:{ref[:80]}"}
        if ctx.caller.system not in ex.tracker_systems:
            raise ApiError(
                403, "not_a_tracker_client", "only the citizens' portal may read the tracker"
            )
        person = lookup(ref)
        from starlette.concurrency import run_in_threadpool

        found = await run_in_threadpool(accesses, ex.store, person.entity_id)
        return await ex.answer(
            request,
            ctx,
            {"id": person.entity_id, "accesses": found},
            {"resource": f"tracker:{person.entity_id}", "tracker_subject": person.entity_id},
        )

    @app.get(
        "/v1/agreements/{agreement}/openapi.json",
        summary="The OpenAPI document as seen under one of the caller's agreements",
        responses=answers("#/components/schemas/OpenApiDocument", "an OpenAPI 3.1 document"),
    )
    async def agreement_openapi(request: Request, agreement: str) -> Response:
        ctx = await ex.begin(request, "agreement.openapi")
        request.state.audit_details = {"resource": f"agreement:{agreement[:80]}"}
        doc = agreements.get(agreement)
        if doc is None or ctx.caller.system not in doc.consumers:
            raise ApiError(
                404, "agreement_not_found", "no agreement of this reference with your system"
            )
        return await ex.answer(
            request,
            ctx,
            agreement_document(app.openapi(), doc),
            {"resource": f"agreement:{doc.reference}"},
        )

    add_entity_routes(app, ex)
    add_dataset_routes(app, ex)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response('{"status":"ok"}', media_type="application/json")

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        problems = []
        if ex.writer is not None and not ex.writer.alive:
            problems.append("the audit writer is not running")
        if ex.serves_persons and len(ex.index) == 0:
            problems.append("no golden records are loaded")
        if problems:
            return envelope(503, "not_ready", "; ".join(problems), request_id(request))
        return Response(
            json.dumps(
                {"status": "ready", "persons": len(ex.index), "audit": ex.writer is not None}
            ),
            media_type="application/json",
        )

    async def reader(request: Request, action: str, open_: bool) -> None:
        """Unless ``open_``, the caller must authenticate (any client); audited."""
        if open_:
            return
        ctx = await ex.begin(request, action)
        await ex.audited(request, ctx, {"resource": request.url.path})

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        await reader(request, "metrics.read", ex.config.open_metrics)
        return Response(ex.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json(request: Request) -> Response:
        await reader(request, "docs.openapi", ex.config.open_docs)
        return Response(json.dumps(app.openapi()), media_type="application/json")

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> Response:
        await reader(request, "docs.read", ex.config.open_docs)
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - docs")

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> Response:
        await reader(request, "docs.read", ex.config.open_docs)
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - ReDoc")

    return app
