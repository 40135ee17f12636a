"""The OpenAPI 3.1 document with one Person schema per data-sharing agreement.

Every agreement of a seam that provides Person data becomes a component
``Person_<agreement>`` listing exactly that agreement's attributes (each required,
``null`` when the golden record has no value, nothing else allowed). The answers of
the lookup and the search refer to ``Person``, the ``anyOf`` of them: a consumer's
answer matches its own agreement's schema. ``/v1/agreements/{agreement}/openapi.json``
serves the document of one agreement, where ``Person`` is that schema alone.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from seamline.exchange.agreements import ENTITY
from seamline.exchange.data import PersonIndex
from seamline.workspace.derived import DERIVED_ID
from seamline.workspace.loader import Workspace

PERSON_REF = "#/components/schemas/Person"
PAGE_REF = "#/components/schemas/PersonPage"


@dataclass(frozen=True)
class AgreementDoc:
    reference: str
    component: str
    """``Person_<reference>`` with characters outside ``[A-Za-z0-9._-]`` as ``_``."""
    purpose: str
    legal_basis: str
    seams: tuple[str, ...]
    consumers: tuple[str, ...]
    attributes: tuple[str, ...]


def component_name(reference: str) -> str:
    return "Person_" + re.sub(r"[^A-Za-z0-9._-]", "_", reference)


def person_agreements(ws: Workspace) -> dict[str, AgreementDoc]:
    """reference -> its Person schema's facts, for every seam providing Person data."""
    found: dict[str, dict[str, Any]] = {}
    for seam in sorted(ws.seams.values(), key=lambda s: s.id):
        ds = ws.datasets.get(seam.provider)
        if ds is None or ds.entity != ENTITY:
            continue
        a = seam.agreement
        entry = found.setdefault(
            a.reference,
            {"a": a, "seams": [], "consumers": [], "attributes": {}},
        )
        entry["seams"].append(seam.id)
        if seam.consumer not in entry["consumers"]:
            entry["consumers"].append(seam.consumer)
        entry["attributes"].update(dict.fromkeys(a.attributes))
    return {
        ref: AgreementDoc(
            reference=ref,
            component=component_name(ref),
            purpose=e["a"].purpose,
            legal_basis=e["a"].legal_basis,
            seams=tuple(e["seams"]),
            consumers=tuple(e["consumers"]),
            attributes=tuple(e["attributes"]),
        )
        for ref, e in sorted(found.items())
    }


def json_type(typ: pa.DataType | None) -> dict[str, Any]:
    """The JSON Schema of a reference column's values as the API writes them (nullable)."""
    if typ is None or pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return {"type": ["string", "null"]}
    if pa.types.is_boolean(typ):
        return {"type": ["boolean", "null"]}
    if pa.types.is_integer(typ):
        return {"type": ["integer", "null"]}
    if pa.types.is_floating(typ):
        return {"type": ["number", "null"]}
    if pa.types.is_date(typ):
        return {"type": ["string", "null"], "format": "date"}
    return {}


def person_schema(doc: AgreementDoc, index: PersonIndex) -> dict[str, Any]:
    schema = index.schema
    props = {
        a: json_type(schema.field(a).type if schema is not None and a in schema.names else None)
        for a in doc.attributes
    }
    return {
        "title": doc.component,
        "description": (
            f"A Person as served under agreement {doc.reference} (purpose {doc.purpose}; "
            f"{doc.legal_basis}) to {', '.join(doc.consumers)}: only its attributes."
        ),
        "type": "object",
        "required": ["id", "attributes"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "description": "the golden record's entity id"},
            "attributes": {
                "type": "object",
                "required": list(doc.attributes),
                "additionalProperties": False,
                "properties": props,
            },
        },
        "x-seamline-agreement": {
            "reference": doc.reference,
            "purpose": doc.purpose,
            "legal_basis": doc.legal_basis,
            "seams": list(doc.seams),
        },
    }


def page_schema() -> dict[str, Any]:
    return {
        "title": "PersonPage",
        "type": "object",
        "required": ["items", "page", "size", "total", "next_page"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": PERSON_REF}},
            "page": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "next_page": {"type": ["integer", "null"]},
        },
    }


def add_agreement_schemas(
    document: dict[str, Any], docs: dict[str, AgreementDoc], index: PersonIndex
) -> dict[str, Any]:
    """``document`` with ``Person_<agreement>`` components, ``Person`` and ``PersonPage``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for doc in docs.values():
        schemas[doc.component] = person_schema(doc, index)
    refs = [{"$ref": f"#/components/schemas/{d.component}"} for d in docs.values()]
    schemas["Person"] = {
        "title": "Person",
        "description": "A Person under one of the agreements: the caller's own decides which.",
        # anyOf, not oneOf: two agreements may well list the same attributes.
        "anyOf": refs or [{"type": "object"}],
    }
    schemas["PersonPage"] = page_schema()
    schemas["OpenApiDocument"] = {
        "title": "OpenApiDocument",
        "type": "object",
        "required": ["openapi", "info", "paths"],
        "properties": {"openapi": {"type": "string"}},
    }
    return document


def agreement_document(document: dict[str, Any], doc: AgreementDoc) -> dict[str, Any]:
    """The full document narrowed to one agreement: ``Person`` is its schema alone."""
    out = copy.deepcopy(document)
    schemas = out["components"]["schemas"]
    for name in [n for n in schemas if n.startswith("Person_") and n != doc.component]:
        del schemas[name]
    schemas["Person"] = {"$ref": f"#/components/schemas/{doc.component}"}
    out["info"] = {
        **out.get("info", {}),
        "title": f"seamline exchange — agreement {doc.reference}",
        "description": (
            f"The API as seen under agreement {doc.reference}: purpose {doc.purpose} "
            f"(send it as X-Seamline-Purpose), {doc.legal_basis}; consumers "
            f"{', '.join(doc.consumers)}; attributes {', '.join(doc.attributes)}."
        ),
    }
    return out


PURPOSE_HEADER = "X-Seamline-Purpose"


def _header(name: str, required: bool, description: str) -> dict[str, Any]:
    # The server takes any value, trimmed and cut to 200 characters (service.HEADER_MAX);
    # an empty purpose counts as none. No pattern: the document admits what it takes.
    schema: dict[str, Any] = {"type": "string"}
    if required:
        schema["minLength"] = 1
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description + " Trimmed; the first 200 characters are kept.",
        "schema": schema,
    }


def add_security(
    document: dict[str, Any], schemes: Iterable[str], *, mutual_tls: bool = False
) -> dict[str, Any]:
    """Declare how callers authenticate, the purpose header, and the parameters' patterns.

    Every operation needs an API key (``X-API-Key`` or ``Authorization: Bearer``; with
    ``--oidc-issuer`` a bearer JWT) or, with ``mutual_tls``, a registered client
    certificate. Data operations need ``X-Seamline-Purpose``. ``{ref}`` is
    ``<scheme>:<identifier>`` with one of the reference's ``schemes``: the pattern says
    what the server parses; an identifier that fails its own check digit is still 400.
    """
    security = document.setdefault("components", {}).setdefault("securitySchemes", {})
    security["apiKey"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    security["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (sl_...) or, where configured, an OIDC access token (JWT).",
    }
    requirements: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]
    if mutual_tls:
        security["mutualTLS"] = {
            "type": "mutualTLS",
            "description": "A TLS client certificate registered with the client.",
        }
        requirements.append({"mutualTLS": []})
    document["security"] = requirements
    any_scheme = "[a-z][a-z0-9_]{0,39}"
    names = "|".join(re.escape(s) for s in sorted(schemes)) or any_scheme
    ref_pattern = rf"^(?:{names}):[^/\s]{{1,64}}$"
    # Any entity's records: the schemes are those of the entity asked for.
    entity_ref = rf"^{any_scheme}:[^/\s]{{1,64}}$"
    for path, item in document.get("paths", {}).items():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            params = op.setdefault("parameters", [])
            for p in params:
                if p.get("in") == "path" and p.get("name") == "ref":
                    pattern = entity_ref if path.startswith("/v1/entities") else ref_pattern
                    p["schema"] = {**p.get("schema", {}), "pattern": pattern}
                if p.get("in") == "path" and p.get("name") == "ident":
                    p["schema"] = {**p.get("schema", {}), "pattern": DERIVED_ID}
                if p.get("in") == "query" and p.get("name") == "birth_date":
                    p["schema"] = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
            if path.startswith(("/v1/persons", "/v1/entities", "/v1/datasets")):
                params.append(
                    _header(PURPOSE_HEADER, True, "Why the data is read; an agreement's purpose.")
                )
            if path.startswith(("/v1/persons", "/v1/entities", "/v1/datasets", "/v1/tracker")):
                params.append(
                    _header("X-Seamline-User", False, "The end user on whose behalf, as claimed.")
                )
    _add_links(document)
    return document


def _add_links(document: dict[str, Any]) -> None:
    """OpenAPI links from a person's lookup to the same person's provenance and tracker
    (the same ``ref``), so clients and stateful tests can chain the calls."""
    paths = document.get("paths", {})
    lookup = paths.get("/v1/persons/{ref}", {}).get("get")
    if lookup is None:
        return
    links = {}
    for name, path in (
        ("provenance", "/v1/persons/{ref}/provenance/{attribute}"),
        ("tracker", "/v1/tracker/{ref}"),
    ):
        op = paths.get(path, {}).get("get")
        if op is not None and "operationId" in op:
            links[name] = {
                "operationId": op["operationId"],
                "parameters": {"ref": "$request.path.ref"},
            }
    ok = lookup.get("responses", {}).get("200")
    if ok is not None and links:
        ok["links"] = links
