"""``/v1/entities/{entity}/...``: the golden records of any canonical entity.

An agreement covers an entity through its seam's provider dataset (``entity:`` of the
dataset): a consumer whose agreement's provider holds ``Business`` records reads
``/v1/entities/Business/<scheme>:<id>`` with the agreement's attributes only, exactly as
``/v1/persons`` serves Person records. Lookups go by the identifier schemes the entity's
datasets normalize with; every request is audited like a person lookup.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from starlette.responses import Response

from seamline.exchange.agreements import Grant
from seamline.exchange.data import DataUnavailable, Person, PersonIndex, parse_ref
from seamline.exchange.errors import ApiError
from seamline.exchange.export import FORMATS, index_digest, ndjson_chunks, parquet_chunks
from seamline.exchange.service import Context, Exchange

_ENTITY = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


def find(index: PersonIndex, ref: str, grant: Grant | None, noun: str) -> Person:
    """The record ``ref`` (``<scheme>:<identifier>``) names; under ``grant`` only by an
    identifier the agreement covers (checked before resolving: no existence oracle)."""
    parsed = parse_ref(ref)
    if parsed is None:
        raise ApiError(
            400,
            "malformed_identifier",
            f"give the {noun} as <scheme>:<identifier>, e.g. kg_pin:…",
        )
    scheme, raw = parsed
    usable = {s: a for s, a in index.schemes.items() if grant is None or a in grant.attributes}
    attr = index.schemes.get(scheme)
    if attr is None:
        allowed = ", ".join(sorted(usable))
        raise ApiError(400, "unknown_scheme", f"unknown identifier scheme; use one of: {allowed}")
    if scheme not in usable:
        raise ApiError(
            403,
            "attribute_not_agreed",
            f"the agreement does not cover looking up by {attr} ({scheme}); "
            f"use one of: {', '.join(sorted(usable)) or 'none'}",
        )
    try:
        found = index.resolve(scheme, attr, raw)
    except ValueError:
        raise ApiError(400, "invalid_identifier", f"not a valid {scheme} identifier") from None
    if found is None:
        raise ApiError(404, f"{noun}_not_found", f"no {noun} with this {scheme} identifier")
    return found


async def stream_export(
    ex: Exchange,
    request: Request,
    ctx: Context,
    grant: Grant,
    index: PersonIndex,
    format: str,
    file_stem: str,
    resource: str,
) -> Response:
    """A bulk export of every record of ``index``, the agreement's attributes only,
    streamed once its single audit event (count and digest of the ids) is committed."""
    records = index.people
    attrs = list(grant.attributes)
    media, ext = FORMATS[format]
    chunks = (
        parquet_chunks(index, records, attrs)
        if format == "parquet"
        else ndjson_chunks(records, attrs)
    )
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", grant.agreement)
    return await ex.stream(
        request,
        ctx,
        chunks,
        media,
        f"{file_stem}-{name}.{ext}",
        {
            "resource": f"{resource}:export",
            "format": format,
            "subjects_count": len(records),
            "subjects_digest": index_digest(index),
            "attributes": attrs,
        },
    )


def _known(ex: Exchange, entity: str) -> None:
    if not _ENTITY.match(entity) or entity not in ex.ws.entities:
        raise ApiError(404, "unknown_entity", "no such entity in this workspace")


def _index(ex: Exchange, entity: str) -> PersonIndex:
    try:
        return ex.entity_index(entity)
    except DataUnavailable:
        raise ApiError(503, "not_ready", f"there are no golden {entity} records yet") from None


def add_entity_routes(app: FastAPI, ex: Exchange) -> None:
    @app.get(
        "/v1/entities/{entity}/{ref}",
        summary="Look a record of any entity up by an identifier",
    )
    async def get_entity(request: Request, entity: str, ref: str) -> Response:
        ctx = await ex.begin(request, "entity.lookup")
        request.state.audit_details = {"resource": f"{entity[:64]}:{ref[:80]}"}
        _known(ex, entity)
        grant = ex.authorize(ctx, entity)  # before the data: no existence oracle
        index = _index(ex, entity)
        found = find(index, ref, grant, "record")
        body: dict[str, Any] = {
            "entity": entity,
            "id": found.entity_id,
            "attributes": {a: found.values.get(a) for a in grant.attributes},
        }
        return await ex.answer(
            request,
            ctx,
            body,
            {
                "resource": f"{entity}:{found.entity_id}",
                "identifier": ref[:80],
                "subjects": [found.entity_id],
                "attributes": list(grant.attributes),
            },
        )

    @app.get(
        "/v1/entities/{entity}",
        summary="Every record of an entity, the agreement's attributes only (bulk export)",
        response_class=Response,
    )
    async def export_entity(
        request: Request,
        entity: str,
        format: Literal["ndjson", "parquet"] = Query(default="ndjson"),
    ) -> Response:
        ctx = await ex.begin(request, "entity.export")
        request.state.audit_details = {"resource": f"{entity[:64]}:export", "format": format}
        _known(ex, entity)
        grant = ex.authorize(ctx, entity)  # before the data: no existence oracle
        return await stream_export(
            ex, request, ctx, grant, _index(ex, entity), format, entity.lower(), entity
        )
